"""Two-factor sign-in for staff when the school requires it: enrolment, codes, recovery codes."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pyotp
import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import RecoveryCode, Role, School, User
from tests.factories import PASSWORD, UserFactory

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse


pytestmark = pytest.mark.django_db


@pytest.fixture
def strict_school(school: School) -> School:
    school.require_staff_2fa = True
    school.save()
    return school


def log_in(client: Client, username: str) -> TestResponse:
    return client.post(reverse("login"), {"username": username, "password": PASSWORD})


def next_code(secret: str) -> str:
    """The code of the next 30-second step, which the server accepts for clock drift."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def enrol(client: Client) -> tuple[str, TestResponse]:
    page = client.get(reverse("accounts:2fa_setup"))
    secret = page.context["secret"]
    assert page.context["grouped"].replace(" ", "") == secret
    assert secret in page.content.decode().replace(" ", "")
    response = client.post(reverse("accounts:2fa_setup"), {"code": pyotp.TOTP(secret).now()})
    return secret, response


def test_staff_must_enrol_before_they_are_logged_in(client: Client, strict_school: School,
                                                    teacher: User) -> None:
    response = log_in(client, "teacher")
    assert response.status_code == 302 and response["Location"] == reverse("accounts:2fa_setup")
    assert not logged_in(client)
    # Nothing is reachable in between: the session holds no user yet.
    assert client.get(reverse("messaging:inbox")).status_code == 302
    secret, response = enrol(client)
    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == 10 and logged_in(client)
    teacher.refresh_from_db()
    assert teacher.totp_secret == secret and teacher.totp_confirmed_at
    # Stored hashed only.
    stored = set(RecoveryCode.objects.filter(user=teacher).values_list("code_hash", flat=True))
    assert not set(codes) & stored


def test_an_enrolled_teacher_gives_a_code_at_every_login(client: Client, strict_school: School,
                                                         teacher: User) -> None:
    log_in(client, "teacher")
    secret, _ = enrol(client)
    client.logout()
    assert log_in(client, "teacher")["Location"] == reverse("accounts:2fa_verify")
    wrong = client.post(reverse("accounts:2fa_verify"), {"code": "000000"})
    assert wrong.status_code == 400 and not logged_in(client)
    # The code that confirmed enrolment is used up; the next one (30 s on) works.
    right = client.post(reverse("accounts:2fa_verify"), {"code": next_code(secret)})
    assert right.status_code == 302 and logged_in(client)


def test_a_recovery_code_works_once(client: Client, strict_school: School, teacher: User) -> None:
    log_in(client, "teacher")
    _secret, response = enrol(client)
    code = response.context["codes"][0]
    for expected in (True, False):
        client.logout()
        log_in(client, "teacher")
        client.post(reverse("accounts:2fa_verify"), {"code": code})
        assert logged_in(client) is expected


def test_too_many_wrong_codes_start_the_login_over(client: Client, strict_school: School,
                                                   teacher: User) -> None:
    log_in(client, "teacher")
    enrol(client)
    client.logout()
    log_in(client, "teacher")
    for _ in range(5):
        client.post(reverse("accounts:2fa_verify"), {"code": "123456"})
    assert client.get(reverse("accounts:2fa_verify"))["Location"] == reverse("login")


@pytest.mark.parametrize("role", [Role.ADMIN, Role.DPO, Role.TEACHER, Role.SAFEGUARDING])
def test_every_staff_role_needs_the_second_factor(client: Client, strict_school: School, role: Role) -> None:
    UserFactory(username="someone", role=role, school=strict_school)
    assert log_in(client, "someone")["Location"] == reverse("accounts:2fa_setup")
    assert not logged_in(client)


def test_parents_do_not_need_it(client: Client, strict_school: School, parent: User) -> None:
    assert log_in(client, "parent")["Location"] == reverse("messaging:inbox")
    assert logged_in(client)


def test_a_school_with_the_policy_off_does_not_ask(client: Client, school: School, teacher: User) -> None:
    assert not school.require_staff_2fa
    assert log_in(client, "teacher")["Location"] == reverse("messaging:inbox")


def test_new_schools_require_it_by_default(db: None) -> None:
    from accounts.models import School

    assert School.objects.create(name="New", slug="new").require_staff_2fa


def test_the_pages_without_a_pending_login_send_you_to_login(client: Client, db: None) -> None:
    for name in ("accounts:2fa_setup", "accounts:2fa_verify"):
        assert client.get(reverse(name))["Location"] == reverse("login")


def test_the_setup_page_uses_no_external_service(client: Client, strict_school: School,
                                                 teacher: User) -> None:
    log_in(client, "teacher")
    body = client.get(reverse("accounts:2fa_setup")).content.decode()
    assert "http://" not in body.replace("http://testserver", "")
    assert "https://" not in body


def test_turning_the_policy_on_ends_staff_sessions_that_began_without_it(client: Client, school: School,
                                                                         admin: User, teacher: User,
                                                                         parent: User) -> None:
    from django.test import Client

    teacher_client, parent_client = Client(), Client()
    teacher_client.force_login(teacher)
    parent_client.force_login(parent)
    client.force_login(admin)
    client.post(reverse("accounts:school_policies"), {"digital_consent_age": "16",
                                                      "require_staff_2fa": "on",
                                                      "confirm_group_size": "15"})
    school.refresh_from_db()
    assert school.require_staff_2fa
    # The teacher must log in again (now with a second factor); parents are not affected.
    assert teacher_client.get(reverse("messaging:inbox")).status_code == 302
    assert parent_client.get(reverse("messaging:inbox")).status_code == 200
    assert log_in(Client(), "teacher")["Location"] == reverse("accounts:2fa_setup")


def test_a_parent_made_staff_must_log_in_again_with_a_second_factor(client: Client, strict_school: School,
                                                                   parent: User) -> None:
    from django.test import Client

    admin = UserFactory(username="boss", role=Role.ADMIN, school=strict_school)
    parent_client = Client()
    parent_client.force_login(parent)
    client.force_login(admin)
    client.post(reverse("accounts:school_person", args=[parent.pk]), {
        "display_name": "Anna Jansen", "role": "staff", "email": "", "phone": ""})
    parent.refresh_from_db()
    assert parent.role == "staff"
    assert parent_client.get(reverse("messaging:inbox")).status_code == 302
