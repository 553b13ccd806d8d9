"""Each person's own language: chosen at first login, changed at the foot of any page, used on
every page they open signed in and in every mail written to them, whoever's screen caused it."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.mail import EmailMessage
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoCaptureOnCommitCallbacks

from accounts.actions.invitations import issue_invitation
from accounts.models import Invitation, Role, School, User
from archive import scopes
from archive.models import Record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GOOD = "a-long-and-unusual-passphrase-42"


@pytest.fixture
def newcomer(school: School) -> User:
    user = UserFactory(username="newcomer", display_name="Nia Newcomer", role=Role.PARENT,
                       school=school, email="nia@example.invalid", is_active=False)
    user.set_unusable_password()
    user.save()
    return user


def _selected(html: str) -> str:
    form = html[html.index('name="language"', html.index("<main")):]
    option = form[:form.index("</select>")].split(" selected")[0]
    return option.rsplit('value="', 1)[1].split('"', 1)[0]


def test_the_first_login_offers_the_browsers_language_and_keeps_the_choice(
        client: Client, newcomer: User) -> None:
    _invitation, token = issue_invitation(newcomer)
    url = reverse("accounts:invitation", args=[token])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="nl")
    html = page.content.decode()
    assert "Kies uw wachtwoord" in html
    assert _selected(html) == "nl"
    response = client.post(url, {"new_password1": GOOD, "new_password2": GOOD, "language": "ru"},
                           HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 302
    newcomer.refresh_from_db()
    assert newcomer.language == "ru"
    # The login page that follows is in the chosen language.
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"
    login = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert 'lang="ru"' in login


def test_a_first_login_refuses_a_language_that_is_not_offered(client: Client,
                                                              newcomer: User) -> None:
    _invitation, token = issue_invitation(newcomer)
    url = reverse("accounts:invitation", args=[token])
    response = client.post(url, {"new_password1": GOOD, "new_password2": GOOD, "language": "xx"})
    assert response.status_code == 400
    newcomer.refresh_from_db()
    assert newcomer.language == "" and not newcomer.is_active


def test_the_footer_selector_keeps_a_signed_in_persons_language_on_every_device(
        client: Client, parent: User) -> None:
    client.force_login(parent)
    response = client.post(reverse("set_language"), {"language": "nl", "next": "/"})
    assert response.status_code == 302
    parent.refresh_from_db()
    assert parent.language == "nl"
    assert Record.objects.filter(scope=scopes.school(parent.school_id),
                                 kind="account.language_set").count() == 1
    # Another browser, asking for English and without the cookie, gets Dutch once signed in.
    elsewhere = Client(HTTP_ACCEPT_LANGUAGE="en")
    elsewhere.force_login(parent)
    html = elsewhere.get(reverse("messaging:inbox")).content.decode()
    assert 'lang="nl"' in html and "Afmelden" in html
    # The same choice again changes nothing and records nothing.
    client.post(reverse("set_language"), {"language": "nl", "next": "/"})
    assert Record.objects.filter(kind="account.language_set").count() == 1


def test_a_signed_out_visitor_changes_only_this_browsers_language(client: Client) -> None:
    response = client.post(reverse("set_language"), {"language": "ru", "next": "/login/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"
    assert 'lang="ru"' in client.get("/login/").content.decode()
    assert not Record.objects.filter(kind="account.language_set").exists()


def test_a_language_not_offered_changes_nothing(client: Client, parent: User) -> None:
    client.force_login(parent)
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    parent.refresh_from_db()
    assert parent.language == ""
    assert client.get(reverse("set_language")).status_code == 405


def test_a_russian_persons_pages_are_russian_whatever_the_browser_asks(client: Client,
                                                                       parent: User) -> None:
    parent.language = "ru"
    parent.save()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    client.force_login(parent)
    html = client.get(reverse("messaging:inbox"), HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert 'lang="ru"' in html and "Выйти" in html


def test_an_admin_browsing_in_english_invites_a_dutch_parent_in_dutch(
        client: Client, admin: User, school: School, mailoutbox: list[EmailMessage],
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    dutch = UserFactory(username="dutch", display_name="Daan de Boer", role=Role.PARENT,
                        school=school, email="daan@example.invalid", is_active=False,
                        language="nl")
    dutch.set_unusable_password()
    dutch.save()
    unset = UserFactory(username="unset", display_name="Uma Unset", role=Role.PARENT,
                        school=school, email="uma@example.invalid", is_active=False)
    unset.set_unusable_password()
    unset.save()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(reverse("accounts:school_invitations"))
    assert 'lang="en"' in client.get(reverse("accounts:school_invitations")).content.decode()
    assert page.status_code in (200, 302)
    to = {m.to[0]: m for m in mailoutbox}
    assert to["daan@example.invalid"].subject == "Uw Schoolchat-account"
    assert "Beste Daan de Boer" in to["daan@example.invalid"].body
    # Someone who never chose: the installation's language, not the admin's screen.
    assert to["uma@example.invalid"].subject == "Your Schoolchat account"


AMS = ZoneInfo("Europe/Amsterdam")


@pytest.mark.parametrize(("language", "shown"), [
    ("en", "until 8 Dec 2099 22:20."),
    ("nl", "en tot 8 dec. 2099 22:20."),
    ("ru", "и до 8 декабря 2099, 22:20."),
])
def test_dates_are_written_the_way_each_language_writes_them(client: Client, newcomer: User,
                                                             language: str, shown: str) -> None:
    invitation, token = issue_invitation(newcomer)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=datetime(2099, 12, 8, 22, 20, tzinfo=AMS))
    html = client.get(reverse("accounts:invitation", args=[token]),
                      HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert shown in html
    assert "p.m." not in html and ".." not in html.replace("...", "")
