"""A count in a sentence takes the plural form of the reader's language, never "(en)"."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoCaptureOnCommitCallbacks

from accounts.models import Role, School, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _invitee(school: School, name: str) -> User:
    user = UserFactory(username=name, role=Role.PARENT, school=school,
                       email=f"{name}@example.invalid", is_active=False)
    user.set_unusable_password()
    user.save()
    return user


@pytest.mark.parametrize(("language", "count", "sentence"), [
    ("nl", 1, "1 uitnodiging per e-mail verstuurd."),
    ("nl", 2, "2 uitnodigingen per e-mail verstuurd."),
    ("en", 1, "1 invitation sent by e-mail."),
    ("ru", 2, "2 приглашения отправлены по эл. почте."),
    ("ru", 5, "5 приглашений отправлено по эл. почте."),
])
def test_the_invitations_sent_are_counted_in_the_readers_language(
        client: Client, admin: User, school: School, language: str, count: int, sentence: str,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    for n in range(count):
        _invitee(school, f"invitee{n}")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    admin.language = language
    admin.save()
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(reverse("accounts:school_invitations"), follow=True)
    text = page.content.decode()
    assert sentence in text
    assert "(en)" not in text and "(s)" not in text
