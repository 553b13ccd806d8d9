"""Invitation and reset links: one time, 7 days, revocable, hashed; the login page never tells
whether an account exists."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from accounts.actions.invitations import issue_invitation, revoke_invitation
from accounts.actions.leavers import process_leaver
from accounts.actions.people import create_account
from accounts.models import Invitation, Role, School, User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

GOOD = "a long and unusual pass phrase 42"


def url(token: str) -> str:
    return reverse("accounts:invitation", args=[token])


@pytest.fixture
def newcomer(school: School, admin: User) -> User:
    return create_account(school, actor=admin, username="newcomer",
                                  display_name="Nia Newcomer", role=Role.PARENT,
                                  email="nia@example.invalid")


def test_an_invited_person_sets_a_password_once_and_can_log_in(client: Client, newcomer: User,
                                                               admin: User) -> None:
    _invitation, token = issue_invitation(newcomer, actor=admin)
    page = client.get(url(token))
    assert page.status_code == 200 and "newcomer" in page.content.decode()
    response = client.post(url(token), {"new_password1": GOOD, "new_password2": GOOD})
    # Setting the password signs the person in: no second typing of it.
    assert response.status_code == 302 and response["Location"] == reverse("messaging:inbox")
    assert client.get(response["Location"]).status_code == 200
    newcomer.refresh_from_db()
    assert newcomer.is_active and newcomer.check_password(GOOD)
    client.logout()
    assert client.post(reverse("login"), {"username": "newcomer", "password": GOOD}
                       ).status_code == 302
    # The same link a second time: a clear page, nothing changes.
    client.logout()
    again = client.get(url(token))
    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    again = client.post(url(token), {"new_password1": "x" + GOOD, "new_password2": "x" + GOOD})
    assert again.status_code == 410
    newcomer.refresh_from_db()
    assert newcomer.check_password(GOOD)


def test_only_a_hash_of_the_token_is_stored(newcomer: User, admin: User) -> None:
    invitation, token = issue_invitation(newcomer, actor=admin)
    stored = Invitation.objects.get(pk=invitation.pk)
    assert token not in stored.token_hash and len(stored.token_hash) == 64


def test_the_django_password_validators_apply(client: Client, newcomer: User, admin: User) -> None:
    _invitation, token = issue_invitation(newcomer, actor=admin)
    response = client.post(url(token), {"new_password1": "12345678", "new_password2": "12345678"})
    assert response.status_code == 400
    assert "too common" in response.content.decode()
    newcomer.refresh_from_db()
    assert not newcomer.is_active


def test_an_expired_link_gives_a_clear_page(client: Client, newcomer: User, admin: User) -> None:
    invitation, token = issue_invitation(newcomer, actor=admin)
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    response = client.get(url(token))
    assert response.status_code == 410 and "expired" in response.content.decode()


def test_a_revoked_link_gives_a_clear_page(client: Client, newcomer: User, admin: User) -> None:
    invitation, token = issue_invitation(newcomer, actor=admin)
    revoke_invitation(invitation, actor=admin)
    response = client.get(url(token))
    assert response.status_code == 410 and "withdrawn" in response.content.decode()


def test_a_new_link_replaces_the_old_one(client: Client, newcomer: User, admin: User) -> None:
    _first, old = issue_invitation(newcomer, actor=admin)
    _second, new = issue_invitation(newcomer, actor=admin)
    assert client.get(url(old)).status_code == 410
    assert client.get(url(new)).status_code == 200


def test_an_unknown_link_gives_a_clear_page(client: Client, db: None) -> None:
    response = client.get(url("not-a-real-token"))
    assert response.status_code == 404 and "not valid" in response.content.decode()


def test_a_reset_link_sets_a_new_password_and_ends_other_sessions(client: Client, parent: User,
                                                                  admin: User) -> None:
    from django.test import Client

    other_device = Client()
    other_device.force_login(parent)
    invitation, token = issue_invitation(parent, actor=admin,
                                                 purpose=Invitation.Purpose.RESET)
    assert invitation.purpose == "reset"
    response = client.post(url(token), {"new_password1": GOOD, "new_password2": GOOD})
    assert response.status_code == 302
    parent.refresh_from_db()
    assert parent.check_password(GOOD)
    inbox = other_device.get(reverse("messaging:inbox"))
    assert inbox.status_code == 302 and inbox["Location"].startswith(reverse("login"))


def test_the_login_page_does_not_tell_whether_an_account_exists(client: Client, parent: User,
                                                                newcomer: User) -> None:
    answers = []
    for username, password in [("parent", "wrong password"),
                               ("nobody-by-this-name", "wrong password"),
                               ("newcomer", "anything at all"),
                               # An e-mail address typed as the login: known or not, alike.
                               ("anna@example.invalid", "wrong password"),
                               ("nobody@example.invalid", "wrong password")]:
        response = client.post(reverse("login"), {"username": username, "password": password})
        assert response.status_code == 200
        body = response.content.decode()
        body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)
        answers.append(body.replace(username, "USERNAME"))
    assert len(set(answers)) == 1


def test_there_is_no_self_service_password_reset_or_signup(client: Client, db: None) -> None:
    for path in ["/password_reset/", "/accounts/password_reset/", "/signup/", "/register/"]:
        assert client.get(path).status_code == 404


def test_a_user_with_a_password_logs_in(client: Client, parent: User) -> None:
    response = client.post(reverse("login"), {"username": "parent", "password": PASSWORD})
    assert response.status_code == 302


def test_a_left_account_cannot_use_an_old_link(client: Client, school: School, admin: User) -> None:
    person = UserFactory(username="gone", school=school, role=Role.PARENT)
    _invitation, token = issue_invitation(person, actor=admin)
    process_leaver(person, actor=admin)
    assert client.get(url(token)).status_code == 410
    assert not User.objects.get(pk=person.pk).is_active


def test_login_is_throttled_the_same_for_existing_and_unknown_accounts(client: Client, parent: User,
                                                                       settings: Settings) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    for username in ("parent", "nobody-by-this-name"):
        for _ in range(3):
            client.post(reverse("login"), {"username": username, "password": "wrong"})
        locked = client.post(reverse("login"), {"username": username, "password": PASSWORD})
        assert locked.status_code == 429
        assert "Too many attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(("language", "heading", "expired"), [
    ("ru", "Задайте пароль", "Срок действия ссылки истёк"),
    ("nl", "Kies uw wachtwoord", "Deze link is verlopen"),
])
def test_invitation_pages_speak_the_browsers_language(client: Client, newcomer: User, admin: User,
                                                      language: str, heading: str, expired: str) -> None:
    invitation, token = issue_invitation(newcomer, actor=admin)
    page = client.get(url(token), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert heading in page
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    page = client.get(url(token), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert expired in page


# --- what the invitations page says about letters ---------------------------------------------
def _letters_section(client: Client) -> str:
    page = client.get(reverse("accounts:school_invitations")).content.decode()
    return page.split('id="letters"')[1].split("</section>")[0]


def test_a_school_with_no_parent_without_an_address_says_so_not_that_they_set_passwords(
        client: Client, school: School, admin: User, parent: User) -> None:
    # The one parent has an e-mail address; nobody has "set a password" without one.
    client.force_login(admin)
    section = _letters_section(client)
    assert "has set a password" not in section
    assert "every parent the school may contact has an e-mail address" in section


def test_the_page_says_every_parent_without_an_address_set_a_password_only_when_they_did(
        client: Client, school: School, admin: User, parent_5a: User) -> None:
    User.objects.filter(pk=parent_5a.pk).update(email="")
    client.force_login(admin)
    assert "Every parent without an e-mail address has set a password." in _letters_section(
        client)
    # An account that is not in use (here: switched off by hand, not a leaver) has not.
    User.objects.filter(pk=parent_5a.pk).update(is_active=False)
    section = _letters_section(client)
    assert "has set a password" not in section
    assert "1 parent without an e-mail address has not set a password" in section


def test_printing_letters_with_nobody_to_write_to_does_not_claim_passwords_were_set(
        client: Client, school: School, admin: User, parent: User) -> None:
    client.force_login(admin)
    page = client.post(reverse("accounts:school_letters")).content.decode()
    assert "has set a password" not in page
    assert "every parent the school may contact has an e-mail address" in page
