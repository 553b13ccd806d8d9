"""Generated conversation names and digests in the reader's language: a class group is named
from its class when it is shown, never stored in English; a digest is written in its
recipient's language with a link to each conversation."""

import importlib
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation
from pytest_django.fixtures import Settings

from accounts.models import School, SchoolClass, User
from messaging.actions import membership, send
from messaging.actions.classes import class_conversation
from messaging.digest import send_digests
from messaging.models import Conversation
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SATURDAY_12 = datetime(2026, 11, 28, 12, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
NAMES = {"en": "4B class group", "nl": "Klassengroep 4B", "ru": "Группа класса 4B"}


def test_a_new_class_group_stores_no_name_and_reads_in_the_readers_language(
        class_4b: SchoolClass) -> None:
    conversation = class_conversation(class_4b)
    assert conversation.title == ""
    for language, name in NAMES.items():
        with translation.override(language):
            assert conversation.name == name


@pytest.mark.parametrize("language", ["en", "nl", "ru"])
def test_every_page_names_the_class_group_in_the_readers_language(
        client: Client, conversation_4b: Conversation, parent: User, teacher: User,
        language: str) -> None:
    send.post_message(teacher, conversation_4b, "Swimming on Friday")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(parent)
    name = NAMES[language]
    pages = [reverse("messaging:inbox"),
             reverse("messaging:conversation", args=[conversation_4b.pk]),
             reverse("messaging:members", args=[conversation_4b.pk]),
             reverse("messaging:search") + "?q=Swimming",
             reverse("notifications:page")]
    for page in pages:
        html = client.get(page).content.decode()
        assert name in html, page
        if language != "en":
            assert NAMES["en"] not in html, page


def test_a_renamed_class_renames_its_group(conversation_4b: Conversation,
                                           class_4b: SchoolClass) -> None:
    SchoolClass.objects.filter(pk=class_4b.pk).update(name="5B")
    assert Conversation.objects.get(pk=conversation_4b.pk).name == "5B class group"


def test_the_migration_clears_only_generated_names(school: School, class_4b: SchoolClass,
                                                   class_5a: SchoolClass) -> None:
    generated = Conversation.objects.create(school=school, kind=Conversation.Kind.CLASS,
                                            title="4B class group", school_class=class_4b)
    renamed = Conversation.objects.create(school=school, kind=Conversation.Kind.CLASS,
                                          title="Our lovely 5A", school_class=class_5a)
    club = Conversation.objects.create(school=school, kind=Conversation.Kind.GROUP,
                                       title="4B class group")
    migration = importlib.import_module("messaging.migrations.0010_class_group_names")
    migration.clear_generated_names(apps, None)
    titles = dict(Conversation.objects.values_list("pk", "title"))
    assert titles == {generated.pk: "", renamed.pk: "Our lovely 5A", club.pk: "4B class group"}
    migration.restore_generated_names(apps, None)
    assert Conversation.objects.get(pk=generated.pk).title == "4B class group"


def test_a_russian_parents_digest_is_russian_and_links_to_the_conversation(
        conversation_4b: Conversation, teacher: User, parent: User,
        settings: Settings) -> None:
    settings.SCHOOLCHAT_BASE_URL = "https://chat.school.example"
    parent.language = "ru"
    parent.save()
    send.post_message(teacher, conversation_4b, "Trip on Friday")
    assert send_digests(now=SATURDAY_12) >= 1
    [digest] = [m for m in mail.outbox if m.to == [parent.email]]
    assert digest.subject == "1 непрочитанное сообщение в Schoolchat"
    assert "Здравствуйте, Anna Jansen" in digest.body
    assert "== Группа класса 4B (1) ==" in digest.body
    assert "Ms de Vries: Trip on Friday" in digest.body
    link = f"https://chat.school.example/c/{conversation_4b.pk}/"
    assert f"Читать и ответить: {link}" in digest.body
    assert "class group" not in digest.body and "unread" not in digest.body


def test_each_digest_is_in_its_own_recipients_language(
        conversation_4b: Conversation, teacher: User, parent: User, school: School,
        admin: User) -> None:
    dutch = UserFactory(username="daan", display_name="Daan", school=school,
                        email="daan@example.invalid", language="nl")
    membership.add_member(conversation_4b, dutch, actor=admin)
    send.post_message(teacher, conversation_4b, "Trip on Friday")
    send_digests(now=SATURDAY_12)
    bodies = {m.to[0]: m.body for m in mail.outbox}
    assert "== Klassengroep 4B (1) ==" in bodies["daan@example.invalid"]
    assert "== 4B class group (1) ==" in bodies[parent.email]
    assert f"/c/{conversation_4b.pk}/" in bodies[parent.email]
