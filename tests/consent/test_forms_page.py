"""A school words its own consent forms: the admin publishes a new version from the web, every
earlier version and decision stays on record, and guardians are asked again."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from pytest_django.live_server_helper import LiveServer

import consent
from accounts.models import Pupil, Role, School, User
from archive.models import Record
from consent import actions, services
from consent.models import ConsentForm, ConsentPurpose
from tests.factories import SchoolFactory, UserFactory
from tests.http import LiveClient

PHOTOS = consent.PHOTOS_CLASS
NEW_TEXT = "Wij delen klassenfotos alleen in de klasgroep van uw kind."


def _publish(client: Client, text: str) -> str:
    response = client.post(reverse("consent:publish", args=[PHOTOS]), {f"{PHOTOS}-text": text},
                           follow=True)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_the_admin_publishes_a_new_version_and_guardians_are_asked_again(
        client: Client, admin: User, parent: User, emma: Pupil,
        purposes: dict[str, ConsentPurpose]) -> None:
    actions.decide(parent, emma, PHOTOS, "granted")
    assert services.has_consent(emma, PHOTOS)
    client.force_login(admin)
    page = client.get(reverse("consent:forms")).content.decode()
    assert "Photos in class groups" in page and "Version 1, published" in page
    done = _publish(client, NEW_TEXT)
    assert "Version 2 of “Photos in class groups” is published." in done
    assert NEW_TEXT in done and "Earlier versions" in done
    versions = list(ConsentForm.objects.filter(purpose=purposes[PHOTOS]).order_by("version")
                    .values_list("version", "text"))
    assert [v for v, _ in versions] == [1, 2] and versions[1][1] == NEW_TEXT
    record = Record.objects.filter(kind="consent.form_published").order_by("-pk").first()
    assert record is not None and record.actor_id == admin.pk
    # The decision on version 1 stays on record and in force; the guardian is asked about
    # version 2.
    assert services.has_consent(emma, PHOTOS)
    client.force_login(parent)
    card = client.get(reverse("consent:index")).content.decode()
    assert "The form has a new version: please read it and decide again." in card
    assert NEW_TEXT in card and "Read the form (version 2)" in card


@pytest.mark.django_db
@pytest.mark.parametrize(("text", "error"), [
    ("   ", "Write the text parents are asked to agree to."),
    ("", "Write the text parents are asked to agree to."),
])
def test_an_empty_text_publishes_nothing(client: Client, admin: User, text: str, error: str,
                                         purposes: dict[str, ConsentPurpose]) -> None:
    client.force_login(admin)
    assert error in _publish(client, text)
    assert ConsentForm.objects.filter(purpose=purposes[PHOTOS]).count() == 1


@pytest.mark.django_db
def test_the_same_text_again_is_no_new_version(client: Client, admin: User,
                                               purposes: dict[str, ConsentPurpose]) -> None:
    client.force_login(admin)
    _publish(client, NEW_TEXT)
    assert "The text is unchanged" in _publish(client, NEW_TEXT + "\n")
    assert ConsentForm.objects.filter(purpose=purposes[PHOTOS]).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.TEACHER, Role.STAFF, Role.PARENT, Role.PUPIL, Role.DPO,
                                  Role.SAFEGUARDING])
def test_nobody_else_reads_or_words_the_forms(client: Client, school: School, role: str,
                                              purposes: dict[str, ConsentPurpose]) -> None:
    client.force_login(UserFactory(school=school, role=role))
    assert client.get(reverse("consent:forms")).status_code == 404
    response = client.post(reverse("consent:publish", args=[PHOTOS]), {f"{PHOTOS}-text": "x"})
    assert response.status_code == 404
    assert ConsentForm.objects.filter(purpose=purposes[PHOTOS]).count() == 1


@pytest.mark.django_db
def test_another_schools_admin_cannot_word_this_schools_forms(
        client: Client, purposes: dict[str, ConsentPurpose]) -> None:
    other = SchoolFactory(slug="elsewhere")
    actions.ensure_purposes(other)
    client.force_login(UserFactory(school=other, role=Role.ADMIN))
    _publish(client, NEW_TEXT)
    assert ConsentForm.objects.filter(purpose=purposes[PHOTOS]).count() == 1
    assert ConsentForm.objects.filter(purpose__school=other, purpose__code=PHOTOS).count() == 2
    with pytest.raises(PermissionDenied):
        actions.publish_form(purposes[PHOTOS], "x", actor=UserFactory(school=other,
                                                                      role=Role.ADMIN))


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    response = client.get(reverse("consent:forms"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.django_db(transaction=True)
def test_publishing_through_the_live_server_commits_one_version_and_one_record(
        live_server: LiveServer, admin: User, purposes: dict[str, ConsentPurpose]) -> None:
    browser = LiveClient(live_server.url, admin)
    page = browser.get("/consent/forms/")
    assert page.status == 200 and f'name="{PHOTOS}-text"' in page.text
    answer = browser.post(f"/consent/forms/{PHOTOS}/publish", {f"{PHOTOS}-text": NEW_TEXT},
                          form_page="/consent/forms/")
    assert answer.status == 200 and "is published" in answer.text
    assert ConsentForm.objects.filter(purpose=purposes[PHOTOS]).count() == 2
    assert Record.objects.filter(kind="consent.form_published", actor_id=admin.pk).count() == 1
    teacher = UserFactory(school=admin.school, role=Role.TEACHER)
    refused = LiveClient(live_server.url, teacher).post(f"/consent/forms/{PHOTOS}/publish",
                                                        {f"{PHOTOS}-text": "Mine"},
                                                        form_page="/consent/")
    assert refused.status == 404
    assert ConsentForm.objects.filter(purpose=purposes[PHOTOS]).count() == 2
