"""A parent's first login in their own language, through a live server on a committing
database, in a school made with ``create_school``: the password page speaks the phone's
language and offers it; the language chosen there is the parent's on every page after."""

import re

import pytest
from pytest_django.live_server_helper import LiveServer

from accounts.actions.invitations import invite_new_account
from accounts.models import Role, School, User
from tests.http import LiveClient, new_school_link

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "a-long-school-secret-7"


def _speaking(client: LiveClient, language: str) -> LiveClient:
    for opener in (client.opener, client.raw):
        opener.addheaders = [("Accept-Language", language)]
    return client


def test_a_parent_chooses_russian_on_a_dutch_phone_and_keeps_it(live_server: LiveServer) -> None:
    head = LiveClient(live_server.url)
    assert head.post(new_school_link(live_server.url),
                     {"new_password1": PASSWORD, "new_password2": PASSWORD}).status == 200
    school = School.objects.get(slug="regenboog")
    admin = User.objects.get(username="head")
    parent, token = invite_new_account(school, actor=admin, username="regenboog-g001",
                                       display_name="Olga Petrova", role=Role.PARENT)
    phone = _speaking(LiveClient(live_server.url), "nl")
    page = phone.get(f"/invite/{token}/")
    assert page.status == 200 and "Kies uw wachtwoord" in page.text
    assert re.search(r'<option value="nl" selected>Nederlands</option>', page.text)
    answer = phone.post(f"/invite/{token}/", {"new_password1": PASSWORD,
                                              "new_password2": PASSWORD, "language": "ru"})
    # Signed in at once, on pages in the chosen language.
    assert answer.status == 200 and answer.url == live_server.url + "/"
    assert 'lang="ru"' in answer.text and "Выйти" in answer.text
    parent.refresh_from_db()
    assert parent.language == "ru" and parent.is_active
    # Signed in on another device that asks for English: the parent's own language.
    laptop = _speaking(LiveClient(live_server.url), "en")
    inbox = laptop.post("/login/", {"username": "regenboog-g001", "password": PASSWORD})
    assert inbox.status == 200 and 'lang="ru"' in inbox.text and "Выйти" in inbox.text
    # The footer's selector changes it for every device.
    laptop.post("/i18n/setlang/", {"language": "nl", "next": "/"}, form_page="/")
    parent.refresh_from_db()
    assert parent.language == "nl"
    again = _speaking(LiveClient(live_server.url), "ru")
    home = again.post("/login/", {"username": "regenboog-g001", "password": PASSWORD})
    assert 'lang="nl"' in home.text
