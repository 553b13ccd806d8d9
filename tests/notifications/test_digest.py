"""The e-mail digest is the fallback for people a push did not reach: a person with no device
gets every unread message by e-mail as before; a message pushed to one of their devices is not
mailed again; one that was not pushed (muted, their quiet night, a refusing push service)
still is."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import User
from messaging.digest import send_digests
from messaging.models import Conversation
from notifications import actions
from notifications.models import Pushed
from tests.notifications.conftest import SCHOOL_MORNING, WEEKNIGHT, post_and_publish, register
from tests.notifications.push_service import PushService

pytestmark = pytest.mark.django_db
NEXT_MORNING = SCHOOL_MORNING + timedelta(days=1, hours=1)  # Thursday 11:00, nobody is quiet


def mailed_to(person: User) -> list[str]:
    return [str(m.body) for m in mail.outbox if m.to == [person.email]]


def test_without_a_device_the_digest_brings_every_message(
        push_service: PushService, at: Callable[[datetime], None], conversation_4b: Conversation,
        teacher: User, parent: User) -> None:
    post_and_publish(teacher, conversation_4b, "Trip on Friday: bring a packed lunch")
    assert push_service.received == []
    send_digests(now=NEXT_MORNING)
    [body] = mailed_to(parent)
    assert "Trip on Friday: bring a packed lunch" in body


def test_a_pushed_message_is_not_mailed_again(
        push_service: PushService, at: Callable[[datetime], None], conversation_4b: Conversation,
        teacher: User, parent: User) -> None:
    phone, _ = register(push_service, parent)
    register(push_service, parent)  # a second device: told once is told
    post_and_publish(teacher, conversation_4b, "Trip on Friday: bring a packed lunch")
    assert len(push_service.for_device(phone)) == 1
    assert Pushed.objects.filter(user=parent, conversation=conversation_4b).count() == 1
    send_digests(now=NEXT_MORNING)
    assert mailed_to(parent) == []


def test_a_muted_message_is_still_mailed_but_not_the_pushed_ones(
        push_service: PushService, at: Callable[[datetime], None], conversation_4b: Conversation,
        teacher: User, parent: User) -> None:
    phone, _ = register(push_service, parent)
    post_and_publish(teacher, conversation_4b, "Pushed: swimming moves to Tuesday")
    actions.mute(parent, conversation_4b)
    post_and_publish(teacher, conversation_4b, "Muted: the class photo is on Monday")
    actions.unmute(parent, conversation_4b)
    post_and_publish(teacher, conversation_4b, "Pushed too: bring your library books")
    assert len(push_service.for_device(phone)) == 2
    send_digests(now=NEXT_MORNING)
    [body] = mailed_to(parent)
    assert "Muted: the class photo is on Monday" in body
    assert "swimming" not in body and "library" not in body


def test_a_message_held_back_for_the_night_is_mailed_in_the_morning(
        push_service: PushService, at: Callable[[datetime], None], conversation_4b: Conversation,
        teacher: User, parent: User) -> None:
    phone, _ = register(push_service, parent)
    at(WEEKNIGHT)
    post_and_publish(teacher, conversation_4b, "Late: no gym kit needed tomorrow")
    at(NEXT_MORNING)
    post_and_publish(teacher, conversation_4b, "Morning: the gate opens at 8:15")
    assert [r.payload["body"] for r in push_service.for_device(phone)] == ["Ms de Vries"]
    send_digests(now=NEXT_MORNING)
    [body] = mailed_to(parent)
    assert "Late: no gym kit needed tomorrow" in body and "gate opens" not in body


def test_a_push_the_service_refused_is_mailed(
        push_service: PushService, at: Callable[[datetime], None], conversation_4b: Conversation,
        teacher: User, parent: User) -> None:
    phone, _ = register(push_service, parent)
    push_service.answer(phone, 400)
    post_and_publish(teacher, conversation_4b, "Refused: the play starts at 19:00")
    send_digests(now=NEXT_MORNING)
    [body] = mailed_to(parent)
    assert "Refused: the play starts at 19:00" in body


def test_what_was_read_or_mailed_is_forgotten_at_the_next_push(
        push_service: PushService, at: Callable[[datetime], None], conversation_4b: Conversation,
        teacher: User, parent: User) -> None:
    register(push_service, parent)
    first = post_and_publish(teacher, conversation_4b, "One")
    conversation_4b.memberships.filter(user=parent).update(last_read_seq=first.seq)
    second = post_and_publish(teacher, conversation_4b, "Two")
    assert list(Pushed.objects.filter(user=parent).values_list("seq", flat=True)) == [second.seq]
    # Rows of a month ago go too, read or not.
    Pushed.objects.update(at=timezone.now() - timedelta(days=31))
    third = post_and_publish(teacher, conversation_4b, "Three")
    assert list(Pushed.objects.filter(user=parent).values_list("seq", flat=True)) == [third.seq]
