"""Wrong passwords and codes pause one (address, account) pair, never the account for everyone.

Personas: the teacher (two-factor on), a stranger guessing at the teacher's account from
203.0.113.5, and the teacher at school, at 198.51.100.7.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pyotp
import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory
from django.urls import reverse
from pytest_django.fixtures import Settings

from accounts import signin, twofactor
from accounts.actions.twofactor import enrol_second_factor
from accounts.models import School, User
from archive.models import Record
from tests.factories import PASSWORD

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse


pytestmark = pytest.mark.django_db

STRANGER, TEACHER_AT_SCHOOL = "203.0.113.5", "198.51.100.7"


def log_in(client: Client, password: str = PASSWORD, address: str = STRANGER, username: str = "teacher",
           **extra: Any) -> TestResponse:
    return client.post(reverse("login"), {"username": username, "password": password},
                       REMOTE_ADDR=address, **extra)


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def enrolled(school: School, teacher: User) -> str:
    school.require_staff_2fa = True
    school.save()
    secret = twofactor.new_secret()
    enrol_second_factor(teacher, secret)
    return secret


# --- the client address --------------------------------------------------------------------
def _ip(settings: Settings, remote: str | None, forwarded: str | None = None,
        trusted: Iterable[str] = ()) -> str | None:
    settings.SCHOOLCHAT_TRUSTED_PROXIES = list(trusted)
    meta: dict[str, Any] = {"REMOTE_ADDR": remote} if remote else {}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    request = RequestFactory().get("/", **meta)
    if not remote:
        request.META.pop("REMOTE_ADDR", None)
    return signin.client_ip(request)


def test_without_trusted_proxies_x_forwarded_for_is_ignored(settings: Settings) -> None:
    assert _ip(settings, "10.0.0.2", "203.0.113.5") == "10.0.0.2"


def test_behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client(settings: Settings) -> None:
    proxies = ["10.0.0.0/8"]
    assert _ip(settings, "10.0.0.2", "203.0.113.5", proxies) == "203.0.113.5"
    # A client writing its own X-Forwarded-For cannot choose its address: the proxy appends
    # the real one, and that is the rightmost hop we do not trust.
    assert _ip(settings, "10.0.0.2", "1.2.3.4, 203.0.113.5", proxies) == "203.0.113.5"
    assert _ip(settings, "10.0.0.2", "203.0.113.5, 10.0.0.7", proxies) == "203.0.113.5"
    assert _ip(settings, "10.0.0.2", "203.0.113.5:4711", proxies) == "203.0.113.5"
    assert _ip(settings, "10.0.0.2", "2001:db8::5", proxies) == "2001:db8::5"
    # A peer that is not a trusted proxy speaks only for itself.
    assert _ip(settings, "192.0.2.9", "203.0.113.5", proxies) == "192.0.2.9"
    # Unreadable hops do not become addresses.
    assert _ip(settings, "10.0.0.2", "garbage", proxies) == "10.0.0.2"


def test_a_unix_socket_peer_is_believed_only_when_listed(settings: Settings) -> None:
    assert _ip(settings, None, "203.0.113.5") is None
    assert _ip(settings, None, "203.0.113.5", ["unix"]) == "203.0.113.5"


# --- lockout per address and account ---------------------------------------------------------
def test_a_stranger_cannot_lock_the_teacher_out(school: School, teacher: User) -> None:
    stranger, colleague = Client(), Client()
    for _ in range(4):
        assert log_in(stranger, "wrong").status_code == 200
    assert log_in(stranger, "wrong").status_code == 429
    # Paused for the stranger, even with the right password ...
    assert log_in(stranger).status_code == 429
    assert not logged_in(stranger)
    # ... while the teacher, elsewhere, logs in.
    assert log_in(colleague, address=TEACHER_AT_SCHOOL)["Location"] == reverse("messaging:inbox")
    assert logged_in(colleague)


def test_the_account_backs_off_when_guesses_come_from_many_addresses(settings: Settings, school: School,
                                                                     teacher: User,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    settings.SCHOOLCHAT_ACCOUNT_BACKOFF_AFTER = 6
    for n in range(6):
        log_in(Client(), "wrong", address=f"192.0.2.{n + 1}")
    # The next try, from anywhere and with the right password, is asked to wait ...
    client = Client()
    page = log_in(client, address=TEACHER_AT_SCHOOL)
    assert page.status_code == 200 and not logged_in(client)
    assert "Wait 1 second and try again" in page.content.decode()
    # ... briefly: the delay doubles per failure, capped, and is never a lockout.
    real_now = signin._now
    monkeypatch.setattr(signin, "_now", lambda: real_now() + timedelta(seconds=2))
    assert log_in(client, address=TEACHER_AT_SCHOOL)["Location"] == reverse("messaging:inbox")
    assert logged_in(client)


def test_the_delay_grows_and_stops_at_the_maximum(settings: Settings, school: School, teacher: User) -> None:
    settings.SCHOOLCHAT_ACCOUNT_BACKOFF_AFTER = 2
    settings.SCHOOLCHAT_ACCOUNT_BACKOFF_MAX_SECONDS = 8
    waits = []
    for n in range(8):
        AccessAttempt.objects.create(username="teacher", ip_address=f"192.0.2.{n + 1}",
                                     user_agent="", get_data="", post_data="", http_accept="",
                                     path_info="/login/", failures_since_start=1)
        waits.append(signin.backoff_seconds("teacher"))
    assert waits == [0, 1, 2, 4, 8, 8, 8, 8]
    # Other accounts are untouched.
    assert signin.backoff_seconds("parent") == 0


# --- second-factor codes ----------------------------------------------------------------------
def start(client: Client, address: str = STRANGER) -> None:
    assert log_in(client, address=address)["Location"] == reverse("accounts:2fa_verify")


def test_wrong_codes_count_toward_the_same_pause_as_passwords(enrolled: str, teacher: User) -> None:
    client = Client()
    for _ in range(2):
        log_in(client, "wrong")
    start(client)
    for _ in range(2):
        assert client.post(reverse("accounts:2fa_verify"), {"code": "123456"},
                           REMOTE_ADDR=STRANGER).status_code == 400
    # The fifth failure (two passwords, now three codes) pauses sign-in from this address.
    assert client.post(reverse("accounts:2fa_verify"), {"code": "123456"},
                       REMOTE_ADDR=STRANGER).status_code == 429
    # Logging in again does not give five fresh tries: the password is refused too.
    assert log_in(client).status_code == 429
    assert not logged_in(client)
    # Each wrong code is an alert in the audit log, and so is the pause.
    alerts = Record.objects.filter(kind="account.2fa_failed")
    assert alerts.count() == 3
    assert Record.objects.filter(kind="account.sign_in_paused").count() == 1
    # The teacher, elsewhere, still signs in with the current code.
    colleague = Client()
    start(colleague, TEACHER_AT_SCHOOL)
    colleague.post(reverse("accounts:2fa_verify"), {"code": pyotp.TOTP(enrolled).now()},
                   REMOTE_ADDR=TEACHER_AT_SCHOOL)
    assert logged_in(colleague)


def test_starting_the_login_over_gives_no_fresh_tries(enrolled: str, teacher: User) -> None:
    client = Client()
    for _ in range(2):
        start(client)
        for _ in range(2):
            assert client.post(reverse("accounts:2fa_verify"), {"code": "000000"},
                               REMOTE_ADDR=STRANGER).status_code == 400
        client.logout()
    start(client)
    assert client.post(reverse("accounts:2fa_verify"), {"code": "000000"},
                       REMOTE_ADDR=STRANGER).status_code == 429
    assert log_in(client).status_code == 429


def test_a_code_logs_in_once(enrolled: str, teacher: User) -> None:
    code = pyotp.TOTP(enrolled).now()
    first, second = Client(), Client()
    start(first, TEACHER_AT_SCHOOL)
    start(second, TEACHER_AT_SCHOOL)
    first.post(reverse("accounts:2fa_verify"), {"code": code}, REMOTE_ADDR=TEACHER_AT_SCHOOL)
    assert logged_in(first)
    # Overheard or replayed within its 30 seconds, the same code is refused.
    again = second.post(reverse("accounts:2fa_verify"), {"code": code},
                        REMOTE_ADDR=TEACHER_AT_SCHOOL)
    assert again.status_code == 400 and not logged_in(second)
    # The next step's code is still good.
    second.post(reverse("accounts:2fa_verify"),
                {"code": pyotp.TOTP(enrolled).at(time.time() + 30)},
                REMOTE_ADDR=TEACHER_AT_SCHOOL)
    assert logged_in(second)
