"""The school's language: one installation serves schools of several countries, and what a
school sends to a person who has chosen no language of their own (invitations, mails, pushes),
its pseudonyms and its DPO's paperwork are in the school's language, not the installation's."""

import io
from typing import Any
from unittest.mock import ANY

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from accounts.actions.invitations import email_invitations
from accounts.actions.schools import create_school
from accounts.models import Role, School, User
from archive import chain, scopes
from archive.models import Record
from records import erasure, paperwork
from tests.accounts.test_school_admin_live import new_school  # noqa: F401  (a fixture)
from tests.factories import UserFactory
from tests.http import LiveClient

PASSWORD = "a-long-school-secret-7"
POLICIES = {"digital_consent_age": "16", "require_staff_2fa": "on", "confirm_group_size": "15",
            "offline_copies": "on"}


@pytest.mark.django_db(transaction=True)
def test_the_admin_chooses_the_schools_language_and_its_invitations_go_out_in_it(
        new_school: tuple[School, User, LiveClient], live_server: LiveServer,  # noqa: F811
        settings: Settings) -> None:
    settings.LANGUAGE_CODE = "en"
    school, _admin, client = new_school
    page = client.get("/school/policies/")
    assert "The school&#x27;s language" in page.text
    assert "The installation&#x27;s language (English)" in page.text
    answer = client.post("/school/policies/", {**POLICIES, "language": "nl"})
    assert answer.status == 200 and "Policies saved." in answer.text  # the admin reads English
    record = Record.objects.filter(scope=scopes.school(school.pk),
                                   kind="admin.policies_changed").get()
    assert record.payload.content == {"language": "nl", "salt": ANY}
    school.refresh_from_db()
    assert school.language == "nl"

    mail.outbox = []
    answer = client.post("/school/people/", {
        "username": "juf", "display_name": "Juf Anna", "role": "teacher",
        "email": "anna@example.invalid", "phone": "", "send_invitation": "on"})
    assert "The invitation was e-mailed to Juf Anna" in answer.text
    [sent] = mail.outbox
    assert sent.subject == "Uw Schoolchat-account", sent.subject

    # A form still open in an older tab, without the field, leaves the language as it is.
    answer = client.post("/school/policies/", {**POLICIES, "pupil_accounts": "on"})
    assert "Policies saved." in answer.text
    school.refresh_from_db()
    assert school.language == "nl" and school.pupil_accounts
    # Back to the installation's: blank is a choice, not a missing field.
    client.post("/school/policies/", {**POLICIES, "pupil_accounts": "on", "language": ""})
    school.refresh_from_db()
    assert school.language == ""
    assert chain.verify().intact


@pytest.mark.django_db(transaction=True)
def test_only_the_admin_changes_the_schools_language(
        new_school: tuple[School, User, LiveClient], live_server: LiveServer) -> None:  # noqa: F811
    school, _admin, _client = new_school
    for role in (Role.TEACHER, Role.PARENT, Role.DPO, Role.SAFEGUARDING, Role.STAFF):
        person = UserFactory(school=school, role=role, username=f"u-{role}")
        refused = LiveClient(live_server.url, person).post(
            "/school/policies/", {**POLICIES, "language": "ru"}, form_page="/")
        assert refused.status == 404, role
    school.refresh_from_db()
    assert school.language == ""


@pytest.mark.django_db
def test_the_schools_language_is_for_those_who_chose_none(school: School,
                                                            settings: Settings) -> None:
    settings.LANGUAGE_CODE = "en"
    chose = UserFactory(school=school, role=Role.PARENT, language="ru")
    unchosen = UserFactory(school=school, role=Role.PARENT, language="")
    assert unchosen.preferred_language == "en"
    school.language = "nl"
    school.save()
    unchosen = User.objects.get(pk=unchosen.pk)
    assert unchosen.preferred_language == "nl"
    assert User.objects.get(pk=chose.pk).preferred_language == "ru"


@pytest.mark.django_db
def test_two_schools_of_one_installation_write_each_in_its_own(
        settings: Settings, django_capture_on_commit_callbacks: Any) -> None:
    settings.LANGUAGE_CODE = "en"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    dutch, _ = create_school("De Regenboog", slug="regenboog", language="nl")
    english, _ = create_school("Hillside", slug="hillside")
    subjects = {}
    for school in (dutch, english):
        school_admin = UserFactory(school=school, role=Role.ADMIN, username=f"a-{school.slug}")
        person = UserFactory(school=school, role=Role.PARENT, username=f"p-{school.slug}",
                             language="", is_active=False)
        person.set_unusable_password()
        person.save()
        mail.outbox = []
        with django_capture_on_commit_callbacks(execute=True):
            assert email_invitations(school, actor=school_admin, only=person,
                                     link_for=lambda token: f"https://chat.example/i/{token}/") == 1
        subjects[school.slug] = mail.outbox[0].subject
    assert subjects == {"regenboog": "Uw Schoolchat-account", "hillside": "Your Schoolchat account"}
    assert "Bewaartermijnen" in paperwork.markdown(paperwork.document(dutch))
    assert "## Retention" in paperwork.markdown(paperwork.document(english))


@pytest.mark.django_db
def test_an_erased_persons_pseudonym_is_in_their_schools_language(
        school: School, dpo: User, settings: Settings) -> None:
    settings.LANGUAGE_CODE = "en"
    school.language = "nl"
    school.save()
    leaver = UserFactory(school=school, role=Role.PARENT, language="ru")
    request = erasure.record_request(dpo, leaver)
    erasure.confirm(dpo, request)
    leaver.refresh_from_db()
    assert leaver.display_name == f"Oud-ouder {erasure.pseudonym_code(leaver.pk)}"


@pytest.mark.django_db(transaction=True)
def test_create_school_takes_the_schools_language() -> None:
    out = io.StringIO()
    call_command("create_school", "Школа 7", "--slug", "school7", "--admin", "head7",
                 "--language", "ru", stdout=out)
    assert School.objects.get(slug="school7").language == "ru"
    # Run again: an existing school keeps its language.
    call_command("create_school", "Школа 7", "--slug", "school7", "--admin", "head7",
                 "--language", "nl", stdout=out)
    assert School.objects.get(slug="school7").language == "ru"
    with pytest.raises(CommandError):
        call_command("create_school", "X", "--slug", "x", "--admin", "hx", "--language", "xx",
                     stdout=out)
    assert not School.objects.filter(slug="x").exists()
