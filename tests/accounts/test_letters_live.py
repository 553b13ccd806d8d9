"""Printed invitation letters and their short codes, through a live server on a committing
database, in a school made with ``create_school``.

Personas: "head", the first admin; Irina Petrova and Lot Visser, mothers the roster made
without an e-mail address (a letter each); Anna Jansen, who has an address (no letter).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from accounts import ratelimit
from accounts.models import Invitation, School, User
from accounts.roster import import_roster
from archive import chain
from tests.accounts.test_dashboard import ROSTER
from tests.accounts.test_roster import as_csv
from tests.accounts.test_school_admin_live import kinds
from tests.http import Answer, LiveClient, new_school_link

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "a-long-school-secret-7"
CODE = re.compile(r"<p class=\"code\" data-code>([A-Z2-9]{4}-[A-Z2-9]{4})</p>")
WRONG = "That code is not right. Check it against the letter and try again."


def print_letters(client: LiveClient) -> Answer:
    answer = client.post("/school/invitations/letters", {}, form_page="/school/invitations/")
    assert answer.status == 200, answer.text[:2000]
    return answer


def letters_of(page: str) -> dict[str, str]:
    """username -> the code printed on that parent's letter."""
    found = {}
    for article in page.split("<article")[1:]:
        username = re.search(r'data-username="([^"]+)"', article)
        code = CODE.search(article)
        assert username and code, article[:500]
        found[username.group(1)] = code.group(1)
    return found


def type_code(visitor: LiveClient, code: str) -> Answer:
    return visitor.post("/join/", {"code": code})


def errors(page: str) -> list[str]:
    return re.findall(r'<span class="error" role="alert">([^<]*)</span>', page)


@pytest.fixture
def school_with_families(live_server: LiveServer) -> tuple[School, LiveClient]:
    """A fresh school whose first admin accepted the printed link and imported the roster;
    a client logged in as that admin."""
    link = new_school_link(live_server.url)
    answer = LiveClient(live_server.url).post(
        link, {"new_password1": PASSWORD, "new_password2": PASSWORD}, follow=False)
    assert answer.status == 302, answer.text
    admin = User.objects.get(username="head")
    school = School.objects.get(slug="regenboog")
    import_roster(school, as_csv(ROSTER), actor=admin)
    return school, LiveClient(live_server.url, admin)


def test_a_parent_joins_with_the_code_on_the_printed_letter(
        school_with_families: tuple[School, LiveClient], live_server: LiveServer) -> None:
    school, admin_client = school_with_families
    page = print_letters(admin_client).text
    assert "<nav" not in page and 'class="school-nav"' not in page  # a page to print, no menus
    assert page.count("<svg") == 3 and page.count('class="letter"') == 3
    codes = letters_of(page)
    # Lot, Irina and Opa have no address; Anna and Kees have one and get no letter.
    assert sorted(codes) == ["regenboog-g2", "regenboog-g4", "regenboog-h1"]
    irina = page.split('data-username="regenboog-g2"')[1].split("</article>")[0]
    assert "Dear Irina Petrova," in irina and "Olga Petrova" in irina and "De Regenboog" in irina
    assert f"{live_server.url}/join/" in irina and "regenboog-g2" in irina
    assert kinds(school).count("admin.invitation_letters_issued") == 1
    # One record for the whole print: the only link issued one by one is the head's own.
    assert kinds(school).count("admin.invitation_issued") == 1

    visitor = LiveClient(live_server.url)
    login = visitor.get("/login/")
    assert 'href="/join/"' in login.text
    # Typed as people type: lower case, without the dash.
    answer = type_code(visitor, codes["regenboog-g2"].replace("-", " ").lower())
    assert answer.status == 200 and answer.url.endswith("/join/password/"), answer.text[:2000]
    assert "Your username is <strong>regenboog-g2</strong>" in answer.text
    answer = visitor.post("/join/password/", {"new_password1": PASSWORD,
                                              "new_password2": PASSWORD})
    # Signed in by setting the password, and welcomed with her child.
    assert answer.status == 200 and answer.url == live_server.url + "/welcome/", \
        answer.text[:2000]
    assert "Your password is set." in answer.text and "Olga Petrova" in answer.text
    assert "Irina Petrova" in answer.text and "Log out" in answer.text
    visitor.post("/logout/", {}, form_page="/")
    answer = visitor.post("/login/", {"username": "regenboog-g2", "password": PASSWORD})
    assert answer.status == 200 and answer.url == live_server.url + "/", answer.text[:2000]
    assert User.objects.get(username="regenboog-g2").is_active

    # The code worked once.
    again = type_code(LiveClient(live_server.url), codes["regenboog-g2"])
    assert again.status == 400
    assert errors(again.text) == [
        "This code has already been used. Log in with your username and password."]
    assert chain.verify().intact


def test_wrong_replaced_and_expired_codes_say_why(
        school_with_families: tuple[School, LiveClient], live_server: LiveServer) -> None:
    _school, admin_client = school_with_families
    first = letters_of(print_letters(admin_client).text)
    visitor = LiveClient(live_server.url)
    for typed in ("ABCD-EFGH", "abc", "IIII-OOOO"):
        answer = type_code(visitor, typed)
        assert answer.status == 400 and errors(answer.text) == [WRONG], typed
    # Printing again replaces every letter: the first codes stop working.
    second = letters_of(print_letters(admin_client).text)
    assert set(second) == set(first) and not set(second.values()) & set(first.values())
    answer = type_code(visitor, first["regenboog-g4"])
    assert answer.status == 400 and errors(answer.text)[0].startswith(
        "This code no longer works: the school has made a newer letter")
    # A letter's code expires with its invitation.
    lot = User.objects.get(username="regenboog-g4")
    Invitation.objects.filter(user=lot, revoked_at__isnull=True).update(
        expires_at=timezone.now() - timedelta(minutes=1))
    answer = type_code(visitor, second["regenboog-g4"])
    assert answer.status == 400 and errors(answer.text) == [
        "This code has expired. Ask the school office for a new letter."]
    # The set-password page without a typed code sends back to the code page.
    assert LiveClient(live_server.url).get("/join/password/").url.endswith("/join/")
    assert not lot.invitations.filter(used_at__isnull=False).exists()


def test_typing_codes_is_throttled_per_address(
        school_with_families: tuple[School, LiveClient], live_server: LiveServer) -> None:
    _school, admin_client = school_with_families
    codes = letters_of(print_letters(admin_client).text)
    visitor = LiveClient(live_server.url)
    burst = ratelimit.ADDRESS_KINDS["join_code"].burst
    for _n in range(burst):
        assert type_code(visitor, "ABCD-EFGH").status == 400
    refused = type_code(visitor, codes["regenboog-g2"])
    assert refused.status == 429
    assert errors(refused.text)[0].startswith("You are going too fast. Try again in ")
    # Even the right code waits: nothing was looked up.
    assert not User.objects.get(username="regenboog-g2").is_active
    # Another browser from the same address waits too.
    assert type_code(LiveClient(live_server.url), codes["regenboog-g2"]).status == 429
