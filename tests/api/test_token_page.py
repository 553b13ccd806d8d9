"""The admin's API tokens page through the test client: a token is shown once and stored as a
hash, works at once, shows its last use, and stops working when revoked; each change is in
the school's integrations chain with the admin as its actor."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import School, User
from api.models import ApiToken
from archive.models import Record
from messaging.models import Conversation
from tests.api.conftest import call

pytestmark = pytest.mark.django_db


def _admin_client(admin: User) -> Client:
    client = Client()
    client.force_login(admin)
    return client


def test_a_token_is_shown_once_works_and_is_revoked(school: School, admin: User, teacher: User,
                                                   conversation_4b: Conversation) -> None:
    client = _admin_client(admin)
    page = client.post(reverse("api_tokens"), {"name": "Pupil administration",
                                              "acts_as": teacher.pk,
                                              "scopes": ["conversations:read"]})
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    shown = re.search(r'id="token-secret">(sc_[\w-]+)<', page.content.decode())
    assert shown is not None
    secret = shown.group(1)
    token = ApiToken.objects.get()
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.startswith(token.prefix) and len(secret) == 46
    assert not ApiToken.objects.filter(token_hash=secret).exists()
    created = Record.objects.get(kind="api.token_created")
    assert created.actor_id == admin.pk and created.scope == f"integrations:{school.pk}"
    assert secret not in str(created.payload.content)

    assert call("get", "/api/conversations", secret).status_code == 200
    listing = client.get(reverse("api_tokens")).content.decode()
    assert secret not in listing and f"{token.prefix}…" in listing
    assert "Pupil administration" in listing and "Ms de Vries" in listing
    assert "never" not in listing  # its last use is shown instead

    revoked = client.post(reverse("api_token_revoke", args=[token.pk]), follow=True)
    assert f"The token {token.prefix}… was revoked" in revoked.content.decode()
    assert call("get", "/api/conversations", secret).status_code == 401
    assert Record.objects.get(kind="api.token_revoked").actor_id == admin.pk
    # Revoking again changes nothing and archives nothing more.
    client.post(reverse("api_token_revoke", args=[token.pk]))
    assert Record.objects.filter(kind="api.token_revoked").count() == 1


@pytest.mark.parametrize("data, sentence", [
    ({"name": "Website", "scopes": ["all"]}, "This field is required."),
    ({"name": "", "scopes": ["all"], "acts_as": "TEACHER"}, "This field is required."),
    ({"name": "Website", "acts_as": "TEACHER"}, "This field is required."),
    ({"name": "Website", "scopes": ["everything"], "acts_as": "TEACHER"},
     "Select a valid choice. everything is not one of the available choices."),
    ({"name": "Website", "scopes": ["all"], "acts_as": "PARENT"},
     "Select a valid choice."),
])
def test_a_bad_form_says_why_and_makes_nothing(school: School, admin: User, teacher: User,
                                               parent: User, data: dict[str, object],
                                               sentence: str) -> None:
    people = {"TEACHER": teacher.pk, "PARENT": parent.pk}
    if "acts_as" in data:
        data = {**data, "acts_as": people[str(data["acts_as"])]}
    page = _admin_client(admin).post(reverse("api_tokens"), data)
    assert page.status_code == 400
    assert sentence in page.content.decode()
    assert not ApiToken.objects.exists() and 'id="token-secret"' not in page.content.decode()


def test_only_staff_who_work_for_classes_are_offered(school: School, admin: User, teacher: User,
                                                     parent: User, dpo: User) -> None:
    body = _admin_client(admin).get(reverse("api_tokens")).content.decode()
    offered = re.findall(r'<option value="(\d+)"', body)
    assert set(map(int, offered)) == {admin.pk, teacher.pk}


def test_the_page_speaks_dutch_and_russian(school: School, admin: User) -> None:
    client = _admin_client(admin)
    for language, heading in (("nl", "API-tokens"), ("ru", "API-токены")):
        User.objects.filter(pk=admin.pk).update(language=language)
        assert f"<h1>{heading}</h1>" in client.get(reverse("api_tokens")).content.decode()


def test_api_errors_speak_the_requests_language(school: School, teacher: User) -> None:
    for language, sentence in (("nl", "Deze API-token is onbekend."),
                               ("ru", "Такой API-токен неизвестен.")):
        response = call("get", "/api/conversations", "sc_nothing", HTTP_ACCEPT_LANGUAGE=language)
        assert response.json()["detail"] == sentence
