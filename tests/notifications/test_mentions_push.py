"""A mention reaches the person named even when they muted the conversation, says so on the
lock screen, and waits like any other message in their quiet time.

Personas: Ms de Vries (teacher) writes in the 4B class group; Anna Jansen and Bram Bakker
(parents) both muted it; Cor Vos, a third parent, did not.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from accounts.models import Role, School, User
from messaging.actions import membership
from messaging.models import Conversation
from notifications import actions
from tests.factories import UserFactory
from tests.notifications.conftest import WEEKNIGHT, Held, post_and_publish, register
from tests.notifications.push_service import PushService

pytestmark = pytest.mark.django_db


def parent_named(school: School, conversation: Conversation, admin: User, username: str,
                 name: str) -> User:
    user = UserFactory(username=username, display_name=name, role=Role.PARENT, school=school)
    membership.add_member(conversation, user, actor=admin)
    return user


@pytest.fixture
def bram(school: School, conversation_4b: Conversation, admin: User) -> User:
    return parent_named(school, conversation_4b, admin, "bram", "Bram Bakker")


@pytest.fixture
def cor(school: School, conversation_4b: Conversation, admin: User) -> User:
    return parent_named(school, conversation_4b, admin, "cor", "Cor Vos")


def test_a_muted_member_is_told_when_mentioned_and_the_others_as_before(
        push_service: PushService, at: Callable[[datetime], None], conversation_4b: Conversation,
        teacher: User, parent: User, bram: User, cor: User) -> None:
    annas, _ = register(push_service, parent)
    brams, _ = register(push_service, bram)
    cors, _ = register(push_service, cor)
    actions.mute(parent, conversation_4b)
    actions.mute(bram, conversation_4b)

    message = post_and_publish(teacher, conversation_4b,
                               "@Anna Jansen could you bring the cones on Friday?",
                               mentions=[parent.pk, bram.pk])

    [got] = push_service.for_device(annas)
    assert got.payload["body"] == "Ms de Vries mentioned you in 4B class group"
    assert got.payload["title"] == "4B class group"
    assert got.payload["tag"] == got.headers["topic"] == f"mention-{message.pk}"
    assert "cones" not in str(got.payload)
    # Bram was sent as a mention, but the text does not name him: his mute holds.
    assert push_service.for_device(brams) == []
    [plain] = push_service.for_device(cors)
    assert plain.payload["body"] == "Ms de Vries"
    assert plain.payload["tag"] == f"conversation-{conversation_4b.pk}"

    # The next message that does not name her keeps to her mute.
    post_and_publish(teacher, conversation_4b, "Thanks all")
    assert len(push_service.for_device(annas)) == 1
    assert len(push_service.for_device(cors)) == 2


def test_the_excerpt_policy_shows_the_start_after_saying_who_mentioned_you(
        push_service: PushService, at: Callable[[datetime], None], school: School,
        conversation_4b: Conversation, teacher: User, parent: User, bram: User) -> None:
    school.lock_screen_text = "excerpt"
    school.save()
    phone, _ = register(push_service, parent)
    post_and_publish(teacher, conversation_4b, "@Anna Jansen cones, please",
                     mentions=[parent.pk])
    [got] = push_service.for_device(phone)
    assert got.payload["body"] == ("Ms de Vries mentioned you in 4B class group: "
                                   "@Anna Jansen cones, please")


def test_a_mention_waits_like_any_message_in_quiet_time(
        push_service: PushService, at: Callable[[datetime], None], conversation_4b: Conversation,
        teacher: User, parent: User, bram: User) -> None:
    annas, _ = register(push_service, parent)
    brams, _ = register(push_service, bram)
    actions.mute(parent, conversation_4b)
    at(WEEKNIGHT)
    post_and_publish(teacher, conversation_4b, "@Anna Jansen @Bram Bakker tomorrow at 8",
                     mentions=[parent.pk, bram.pk])
    assert push_service.for_device(annas) == []
    assert push_service.for_device(brams) == []
    # An urgent message from staff breaks through quiet time, but not through a mute unless it
    # names the person: as before, plus the mention.
    post_and_publish(teacher, conversation_4b, "@Anna Jansen school is closed tomorrow",
                     mentions=[parent.pk], urgent=True)
    [got] = push_service.for_device(annas)
    assert got.payload["body"] == "Ms de Vries mentioned you in 4B class group"
    assert got.headers["urgency"] == "high"
    assert len(push_service.for_device(brams)) == 1


def test_a_retry_still_says_who_mentioned_you_in_the_persons_language(
        push_service: PushService, at: Callable[[datetime], None], conversation_4b: Conversation,
        teacher: User, parent: User, bram: User, queued: Held) -> None:
    parent.language = "nl"
    parent.save()
    phone, _ = register(push_service, parent)
    actions.mute(parent, conversation_4b)
    push_service.answer(phone, 503)
    post_and_publish(teacher, conversation_4b, "@Anna Jansen de pionnen?", mentions=[parent.pk])
    assert push_service.for_device(phone) == [] and len(queued.jobs) == 1
    queued.run()
    [got] = push_service.for_device(phone)
    assert got.payload["body"] == "Ms de Vries heeft u genoemd in Klassengroep 4B"
    assert got.headers["topic"].startswith("mention-")
