"""A new school's first logins, as parents and staff meet them on their phones: through a live
server on a committing database, in a school made with ``create_school`` (not the demo).

Personas: the school's first admin ("head", who accepted the printed link), a parent whose
account came with an e-mail address and a generated username, two parents sharing one family
mailbox, the DPO the operator made.
"""

import io
import re
from http.cookiejar import Cookie

import pyotp
import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.core.management import call_command
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from accounts.actions.invitations import accept_invitation, invite_new_account
from accounts.actions.twofactor import enrol_second_factor
from accounts.models import Role, School, User
from accounts.twofactor import new_secret, qr_svg
from archive.models import Record
from tests.http import Answer, LiveClient, new_school_link

FirstAdmin = tuple[LiveClient, User, Answer]

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "a-long-school-secret-7"
GENERIC = "That username or e-mail address and password do not match an account."
SECRET_KEY = re.compile(r'<code class="secret"[^>]*>([A-Z2-7 ]+)</code>')


@pytest.fixture
def first_admin(live_server: LiveServer, settings: Settings) -> FirstAdmin:
    """A fresh school; the browser that accepted the admin's printed link, and the admin."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    browser = LiveClient(live_server.url)
    link = new_school_link(live_server.url)
    answer = browser.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    # The password just set counts as the first factor: on to the second, no login form.
    assert answer.status == 200 and answer.url.endswith("/login/two-factor/"), answer.text[:2000]
    return browser, User.objects.get(username="head"), answer


def person(admin: User, username: str, role: str = Role.PARENT, email: str = "") -> User:
    """Someone the admin made, who set their password from the link."""
    assert admin.school is not None
    made, _token = invite_new_account(admin.school, actor=admin, username=username,
                                      display_name=username.title(), role=role, email=email)
    return accept_invitation(made.invitations.get(), PASSWORD)


def log_in(client: LiveClient, username: str, password: str = PASSWORD,
           next_url: str = "") -> Answer:
    path = "/login/" + (f"?next={next_url}" if next_url else "")
    return client.post(path, {"username": username, "password": password,
                              **({"next": next_url} if next_url else {})})


def username_value(page: str) -> str:
    found = re.search(r'<input id="id_username"[^>]*value="([^"]*)"', page)
    assert found, page[:2000]
    return found.group(1)


def errors(page: str) -> list[str]:
    return re.findall(r'<div class="error" role="alert"><p>([^<]*)</p>', page)


# --- 1. a username or an e-mail address ---------------------------------------------------------
def test_a_parent_logs_in_with_the_e_mail_address_the_school_has(
        first_admin: FirstAdmin, live_server: LiveServer) -> None:
    _browser, admin, _ = first_admin
    person(admin, "regenboog-g001", email="Olga.Petrova@example.invalid")
    phone = LiveClient(live_server.url)
    answer = log_in(phone, "olga.petrova@EXAMPLE.invalid")
    assert answer.status == 200 and answer.url == live_server.url + "/", answer.text[:2000]
    assert GENERIC not in answer.text
    # The username still works, and a wrong password by e-mail gets the generic error.
    assert log_in(LiveClient(live_server.url), "regenboog-g001").url == live_server.url + "/"
    wrong = log_in(LiveClient(live_server.url), "olga.petrova@example.invalid", "wrong-one")
    assert wrong.url.endswith("/login/") and GENERIC in wrong.text


def test_an_address_two_accounts_share_logs_neither_in_and_says_no_more(
        first_admin: FirstAdmin, live_server: LiveServer) -> None:
    _browser, admin, _ = first_admin
    person(admin, "regenboog-g001", email="family@example.invalid")
    person(admin, "regenboog-g002", email="Family@example.invalid")
    shared = log_in(LiveClient(live_server.url), "family@example.invalid")
    unknown = log_in(LiveClient(live_server.url), "nobody@example.invalid")
    assert shared.url.endswith("/login/") and GENERIC in shared.text
    assert unknown.url.endswith("/login/") and GENERIC in unknown.text
    assert errors(shared.text) == errors(unknown.text) == [GENERIC + " Check both and try again."]
    # Each still logs in with their username.
    assert log_in(LiveClient(live_server.url), "regenboog-g002").url == live_server.url + "/"


def test_typing_the_e_mail_address_counts_against_the_usernames_lockout(
        first_admin: FirstAdmin, live_server: LiveServer, settings: Settings) -> None:
    settings.AXES_FAILURE_LIMIT = 4
    _browser, admin, _ = first_admin
    person(admin, "regenboog-g001", email="olga@example.invalid")
    guesser = LiveClient(live_server.url)
    for typed in ("regenboog-g001", "regenboog-g001", "olga@example.invalid"):
        assert GENERIC in log_in(guesser, typed, "wrong").text
    # The fourth wrong try, by the other name, is the one that pauses the account here.
    assert log_in(guesser, "OLGA@example.invalid", "wrong").status == 429
    for typed in ("olga@example.invalid", "regenboog-g001"):
        paused = log_in(guesser, typed)
        assert paused.status == 429 and "Too many attempts" in paused.text
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {"regenboog-g001"}
    assert Record.objects.filter(kind="account.sign_in_paused").count() == 1


# --- 2. after "Your password is set" ------------------------------------------------------------
def test_the_invitation_asks_for_no_password_again_and_a_later_login_has_the_username(
        first_admin: FirstAdmin, live_server: LiveServer) -> None:
    browser, _admin, answer = first_admin
    assert "Your password is set" in answer.text
    assert 'name="password"' not in answer.text and 'value="' + PASSWORD not in answer.text
    # Not signed in before the second factor.
    assert browser.get("/school/").url.startswith(live_server.url + "/login/")
    # Should the second step be left, the login form starts with the username.
    login = browser.get("/login/").text
    assert username_value(login) == "head"
    assert 'type="password" autocomplete="current-password" required autofocus' in login
    # Only in the browser that accepted it, and never from a link.
    stranger = LiveClient(live_server.url)
    assert username_value(stranger.get("/login/").text) == ""
    assert username_value(stranger.get("/login/?username=head").text) == ""
    # Still there on a reload, until the login.
    assert username_value(browser.get("/login/").text) == "head"


# --- 3 and 4. two-factor setup on a phone, and where each role lands ---------------------------
def test_the_admin_sets_up_two_factor_from_a_phone_and_lands_on_the_admin_area(
        first_admin: FirstAdmin) -> None:
    browser, admin, setup = first_admin
    assert setup.url.endswith("/login/two-factor/"), setup.url
    page = setup.text
    key = SECRET_KEY.search(page)
    assert key, page[:3000]
    secret = key.group(1).replace(" ", "")
    assert re.fullmatch(r"([A-Z2-7]{4} )+[A-Z2-7]{1,4}", key.group(1))
    uri = pyotp.TOTP(secret).provisioning_uri(name="head", issuer_name="Schoolchat")
    assert f'href="{uri.replace("&", "&amp;")}"' in page
    assert "Open in your authenticator app" in page
    # The QR code is drawn here, inline, of exactly that link; no image from elsewhere.
    assert str(qr_svg(uri, "QR code of the setup key")) in page
    assert "<img" not in page and "data:" not in page
    # The first code comes before any recovery code: no hint about codes not yet made.
    assert "one of your recovery codes" not in page
    assert "Your recovery codes come next" in page
    codes = browser.post("/login/two-factor/", {"code": pyotp.TOTP(secret).now()})
    assert "Your recovery codes" in codes.text
    go_on = re.search(r'<a href="([^"]+)">I have saved them', codes.text)
    assert go_on and go_on.group(1) == "/school/"
    assert browser.get(go_on.group(1)).status == 200
    admin.refresh_from_db()
    assert admin.totp_confirmed_at is not None


def test_the_dpo_lands_on_the_archive(
        first_admin: FirstAdmin, live_server: LiveServer) -> None:
    out = io.StringIO()
    call_command("operator_account", "create", "--school", "regenboog", "--role", "dpo",
                 "--username", "dpo", "--email", "dpo@example.invalid", "--url", live_server.url,
                 stdout=out)
    dpo = accept_invitation(User.objects.get(username="dpo").invitations.get(), PASSWORD)
    secret = new_secret()
    enrol_second_factor(dpo, secret)
    browser = LiveClient(live_server.url)
    assert log_in(browser, "dpo").url.endswith("/login/verify/")
    home = browser.post("/login/verify/", {"code": pyotp.TOTP(secret).now()})
    assert home.status == 200 and home.url == live_server.url + "/archive/", home.url


def test_without_two_factor_each_role_lands_where_its_work_is(
        first_admin: FirstAdmin, live_server: LiveServer) -> None:
    _browser, admin, _ = first_admin
    assert admin.school is not None
    School.objects.filter(pk=admin.school.pk).update(require_staff_2fa=False)
    person(admin, "juf", role=Role.TEACHER)
    person(admin, "ouder")
    landed = {name: log_in(LiveClient(live_server.url), name).url[len(live_server.url):]
              for name in ("head", "juf", "ouder")}
    assert landed == {"head": "/school/", "juf": "/", "ouder": "/"}
    # A page that asked for the login wins, for the admin too.
    asked = log_in(LiveClient(live_server.url), "head", next_url="/school/people/")
    assert asked.url == live_server.url + "/school/people/"
    # A parent who asks for the admin area gets there only as far as their rights go.
    refused = log_in(LiveClient(live_server.url), "ouder", next_url="/school/")
    assert refused.status == 404


# --- 5. the admin e-mails a new person's invitation --------------------------------------------
def test_the_admin_e_mails_a_new_teachers_invitation_in_the_schools_language(
        first_admin: FirstAdmin, live_server: LiveServer, settings: Settings) -> None:
    settings.LANGUAGE_CODE = "nl"
    _browser, admin, _ = first_admin
    client = LiveClient(live_server.url, admin)
    client.jar.set_cookie(_language_cookie(client, "en"))  # the admin reads English
    mail.outbox = []
    newest = Record.objects.order_by("-position").first()
    assert newest is not None
    since = newest.position
    answer = client.post("/school/people/", {
        "username": "juf", "display_name": "Juf Anna", "role": "teacher",
        "email": "anna@example.invalid", "phone": "", "send_invitation": "on"})
    assert answer.status == 200, answer.text[:2000]
    assert "The invitation was e-mailed to Juf Anna at anna@example.invalid" in answer.text
    assert "/invite/" not in answer.text
    assert [m.to for m in mail.outbox] == [["anna@example.invalid"]]
    sent = mail.outbox[0]
    assert sent.subject == "Uw Schoolchat-account" and "juf" in sent.body, sent.subject
    new = list(Record.objects.filter(position__gt=since, kind__startswith="admin.")
               .order_by("position").values_list("kind", flat=True))
    assert new == ["admin.account_created", "admin.invitation_issued",
                   "admin.invitations_emailed"]
    link = next(w for w in sent.body.split() if "/invite/" in w)
    teacher = LiveClient(live_server.url)
    accepted = teacher.post(link[len(live_server.url):],
                            {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert accepted.url.endswith("/login/two-factor/")
    assert "otpauth://totp/Schoolchat:juf" in accepted.text


def test_e_mailing_the_invitation_needs_an_address(
        first_admin: FirstAdmin, live_server: LiveServer) -> None:
    _browser, admin, _ = first_admin
    client = LiveClient(live_server.url, admin)
    mail.outbox = []
    answer = client.post("/school/people/", {
        "username": "juf", "display_name": "Juf Anna", "role": "teacher",
        "email": "", "phone": "", "send_invitation": "on"})
    assert answer.status == 200 and "Add an e-mail address to e-mail the invitation to." \
        in answer.text
    assert not User.objects.filter(username="juf").exists() and mail.outbox == []


def _language_cookie(client: LiveClient, code: str) -> Cookie:
    from django.conf import settings

    from tests.http import _cookie

    host = client.base_url.split("//")[1].split(":")[0]
    return _cookie(settings.LANGUAGE_COOKIE_NAME, code, host if "." in host else host + ".local")
