"""Setting the password from an invitation signs the person in, and a parent's first page is a
short welcome in their language.

Personas: Nia, a parent of Emma (4B) and Tom (5A) invited by the office; Ms de Vries, the 4B
teacher; a school that requires a second factor of its staff.
"""

from __future__ import annotations

import pyotp
import pytest
from django.test import Client
from django.urls import reverse

import consent
from accounts.actions.invitations import reissue_link
from accounts.actions.twofactor import enrol_second_factor
from accounts.models import Role, School, SchoolClass, User
from accounts.twofactor import PENDING, new_secret
from consent import actions as consent_actions
from messaging.actions import membership
from messaging.models import Conversation
from tests.factories import PupilFactory, UserFactory, enrol

pytestmark = pytest.mark.django_db
GOOD = "a-long-and-unusual-passphrase-42"


@pytest.fixture
def nia(school: School, class_4b: SchoolClass, class_5a: SchoolClass) -> User:
    user = UserFactory(username="nia", display_name="Nia Newcomer", role=Role.PARENT,
                       school=school, email="nia@example.invalid", is_active=False)
    user.set_unusable_password()
    user.save()
    enrol(PupilFactory(school=school, first_name="Emma", last_name="Newcomer"), class_4b, user)
    enrol(PupilFactory(school=school, first_name="Tom", last_name="Newcomer"), class_5a, user)
    return user


def set_password(client: Client, person: User, **extra: str) -> str:
    """Open a fresh invitation link and set the password; where the browser is sent."""
    _invitation, token = reissue_link(person, actor=None)
    url = reverse("accounts:invitation", args=[token])
    response = client.post(url, {"new_password1": GOOD, "new_password2": GOOD, **extra})
    assert response.status_code == 302, response.content.decode()[:2000]
    return str(response["Location"])


def test_a_parent_who_sets_a_password_is_signed_in_and_welcomed(client: Client,
                                                                 nia: User) -> None:
    assert set_password(client, nia) == reverse("messaging:welcome")
    page = client.get(reverse("messaging:welcome"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Welcome, Nia Newcomer" in html and "Your password is set." in html
    assert "Emma Newcomer</strong>: class 4B" in html and "Tom Newcomer</strong>: class 5A" in html
    # Signed in for real: their conversations open without a login.
    assert client.get(reverse("messaging:inbox")).status_code == 200


def test_the_welcome_links_consent_notifications_and_the_class_group(
        client: Client, nia: User, teacher: User, admin: User, class_4b: SchoolClass) -> None:
    group = Conversation.objects.create(school=class_4b.school, kind=Conversation.Kind.CLASS,
                                        school_class=class_4b)
    membership.add_member(group, nia, actor=admin)
    consent_actions.ensure_purposes(class_4b.school)
    consent_actions.request_consent(teacher, class_4b, consent.PHOTOS_CLASS)
    set_password(client, nia)
    html = client.get(reverse("messaging:welcome")).content.decode()
    assert "The school asks for your decision on 1 question" in html
    assert html.count('href="/consent/">') == 2  # the menu's and the section's; no banner
    assert f'href="{reverse("consent:index")}">Give your decisions' in html
    assert f'href="{reverse("notifications:page")}">Turn on notifications' in html
    assert f'href="{reverse("messaging:conversation", args=[group.pk])}">4B class group' in html
    # 5A has a group Nia is not a member of: no link to it.
    assert "5A class group" not in html


def test_the_welcome_is_in_the_parents_language(client: Client, nia: User) -> None:
    set_password(client, nia, language="nl")
    html = client.get(reverse("messaging:welcome")).content.decode()
    assert 'lang="nl"' in html and "Welkom, Nia Newcomer" in html
    assert "Uw kinderen" in html and "klas 4B" in html
    client.logout()
    nia.refresh_from_db()
    other = Client()
    set_password(other, nia, language="ru")
    html = other.get(reverse("messaging:welcome")).content.decode()
    assert 'lang="ru"' in html and "Ваши дети" in html


def test_the_welcome_comes_once_then_stays_in_the_menu(client: Client, nia: User) -> None:
    set_password(client, nia)
    client.logout()
    again = client.post(reverse("login"), {"username": "nia", "password": GOOD})
    assert again["Location"] == reverse("messaging:inbox")
    inbox = client.get(again["Location"]).content.decode()
    assert f'<a href="{reverse("messaging:welcome")}">Getting started</a>' in inbox
    # A password reset later (the account is in use) signs in but does not welcome again.
    nia.refresh_from_db()
    assert set_password(Client(), nia) == reverse("messaging:inbox")


def test_staff_never_see_the_welcome_link(client: Client, teacher: User) -> None:
    client.force_login(teacher)
    assert "Getting started" not in client.get(reverse("messaging:inbox")).content.decode()


def test_someone_signed_out_cannot_open_the_welcome(client: Client) -> None:
    response = client.get(reverse("messaging:welcome"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def _two_factor_school(school: School) -> None:
    school.require_staff_2fa = True
    school.save(update_fields=["require_staff_2fa"])


def test_staff_set_a_password_then_enrol_the_second_factor_before_they_are_in(
        client: Client, school: School) -> None:
    _two_factor_school(school)
    newcomer = UserFactory(username="meester", role=Role.TEACHER, school=school,
                           is_active=False)
    newcomer.set_unusable_password()
    newcomer.save()
    assert set_password(client, newcomer) == reverse("accounts:2fa_setup")
    # Not signed in before the code: no page opens.
    assert client.get(reverse("messaging:inbox"))["Location"].startswith(reverse("login"))
    assert client.session[PENDING]["user"] == newcomer.pk
    page = client.get(reverse("accounts:2fa_setup")).content.decode()
    secret = page.split('<code class="secret"')[1].split(">", 1)[1].split("<")[0].replace(" ", "")
    codes = client.post(reverse("accounts:2fa_setup"), {"code": pyotp.TOTP(secret).now()})
    assert codes.status_code == 200 and "Your recovery codes" in codes.content.decode()
    assert client.get(reverse("messaging:inbox")).status_code == 200


def test_a_staff_password_reset_asks_for_the_code_not_the_password_again(
        client: Client, school: School, teacher: User) -> None:
    _two_factor_school(school)
    secret = new_secret()
    enrol_second_factor(teacher, secret)
    assert set_password(client, teacher) == reverse("accounts:2fa_verify")
    assert client.get(reverse("messaging:inbox"))["Location"].startswith(reverse("login"))
    wrong = client.post(reverse("accounts:2fa_verify"), {"code": "000000"})
    assert wrong.status_code == 400
    home = client.post(reverse("accounts:2fa_verify"), {"code": pyotp.TOTP(secret).now()})
    assert home.status_code == 302 and home["Location"] == reverse("messaging:inbox")
    assert client.get(reverse("messaging:inbox")).status_code == 200
