"""The school's moderation of messages (messaging.actions.moderation): a safeguarding lead
removes a message, restricts a member from posting, and releases or rejects a message a screen
held for review. What members see over HTTP; the socket is in test_moderation_socket.py."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, School, User
from archive.models import Record
from messaging import queries, screening
from messaging.actions import direct, edit, moderation, receipts, send
from messaging.models import Conversation, Event, Message, Restriction
from messaging.signals import messages_screened
from tests.factories import SchoolFactory, UserFactory
from tests.messaging.moderation import hold_and_flag, lead, screened, unscreened

pytestmark = pytest.mark.django_db
__all__ = ["lead", "screened", "unscreened"]  # fixtures


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _page(user: User, conversation: Conversation) -> str:
    answer = _client(user).get(reverse("messaging:conversation", args=[conversation.pk]))
    assert answer.status_code == 200
    return answer.content.decode()


def _item(page: str, message: Message) -> str:
    """The markup of one message on a page (up to the next message or the prototypes)."""
    start = page.index(f'id="m{message.pk}"')
    ends = [i for i in (page.find('<li class="message', start), page.find("<template", start))
            if i != -1]
    return page[start:min(ends)] if ends else page[start:]


def _events(user: User, conversation: Conversation, after: int = 0) -> list[dict[str, Any]]:
    answer = _client(user).get(reverse("messaging:events", args=[conversation.pk]),
                               {"after_seq": after})
    events: list[dict[str, Any]] = answer.json()["events"]
    return events


def _history(user: User, conversation: Conversation) -> list[dict[str, Any]]:
    answer = _client(user).get(reverse("messaging:messages", args=[conversation.pk]))
    messages: list[dict[str, Any]] = answer.json()["messages"]
    return messages


def _until(days: float = 2) -> Any:
    return timezone.now() + timedelta(days=days)


# --- removal -------------------------------------------------------------------------------

def test_a_removed_message_shows_removed_by_the_school_and_the_archive_keeps_the_text(
        conversation_4b: Conversation, teacher: User, parent: User, lead: User) -> None:
    message, _ = send.post_message(parent, conversation_4b, "Something unkind about Noor")
    removed = moderation.remove_message(by=lead, message=message, reason="Unkind")
    assert removed.is_removed and removed.removed_by == lead and removed.body == ""
    assert list(Event.objects.values_list("seq", "kind")) == [(1, "message"),
                                                              (2, "message_removed")]
    for viewer in (teacher, parent):
        page = _page(viewer, conversation_4b)
        assert "Removed by the school" in page and "Something unkind" not in page
    inbox = _client(teacher).get(reverse("messaging:inbox")).content.decode()
    assert "Removed by the school" in inbox and "Something unkind" not in inbox
    [shown] = _history(teacher, conversation_4b)
    assert shown["removed"] is True and shown["body"] == "" and shown["attachments"] == []
    assert [e["type"] for e in _events(teacher, conversation_4b)] == ["message",
                                                                      "message_removed"]
    search = _client(teacher).get(reverse("messaging:search"), {"q": "unkind"}).content.decode()
    assert "Something unkind" not in search
    record = Record.objects.get(kind="message.removed")
    assert record.payload.content["body"] == "Something unkind about Noor"
    assert record.payload.content["reason"] == "Unkind"
    assert record.actor_id == lead.pk
    posted = Record.objects.get(kind="message.posted")
    assert posted.payload.content["body"] == "Something unkind about Noor"


def test_removing_twice_is_one_removal(conversation_4b: Conversation, parent: User,
                                       lead: User) -> None:
    message, _ = send.post_message(parent, conversation_4b, "once")
    moderation.remove_message(by=lead, message=message, reason="Unkind")
    again = moderation.remove_message(by=lead, message=message, reason="Again")
    assert again.is_removed
    assert Event.objects.filter(kind=Event.Kind.REMOVED).count() == 1
    assert Record.objects.filter(kind="message.removed").count() == 1


def test_a_removed_message_cannot_be_edited_retracted_pinned_or_acknowledged(
        announcements: Conversation, teacher: User, parent: User, lead: User) -> None:
    message, _ = send.post_message(teacher, announcements, "Please confirm",
                                   ack_requested=True)
    moderation.remove_message(by=lead, message=message, reason="Wrong channel")
    message.refresh_from_db()
    with pytest.raises(ValidationError, match="removed by the school"):
        edit.edit_message(teacher, message, "new text")
    with pytest.raises(ValidationError, match="removed by the school"):
        edit.retract_message(teacher, message)
    with pytest.raises(ValidationError, match="removed by the school"):
        edit.pin_message(teacher, message)
    with pytest.raises(PermissionDenied):
        receipts.acknowledge(parent, message)
    # Over HTTP the same: the page offers none of it, and a forged form is refused.
    item = _item(_page(teacher, announcements), message)
    assert "Removed by the school" in item
    assert "Edit or retract" not in item and "Pin" not in item and "Acknowledge" not in item
    answer = _client(teacher).post(
        reverse("messaging:edit", args=[announcements.pk, message.pk]), {"body": "sneaky"})
    assert answer.status_code in (400, 302)
    message.refresh_from_db()
    assert message.body == ""


def test_a_removed_reply_target_is_quoted_as_removed(conversation_4b: Conversation,
                                                     teacher: User, parent: User,
                                                     lead: User) -> None:
    first, _ = send.post_message(parent, conversation_4b, "The unkind words")
    send.post_message(teacher, conversation_4b, "Please do not", reply_to=first)
    moderation.remove_message(by=lead, message=first, reason="Unkind")
    page = _page(teacher, conversation_4b)
    assert "The unkind words" not in page and page.count("Removed by the school") >= 2
    reply = _history(teacher, conversation_4b)[1]
    assert reply["reply_to"]["removed"] is True and reply["reply_to"]["excerpt"] == ""


# --- who may act ---------------------------------------------------------------------------

@pytest.fixture
def strangers(school: School, teacher: User, parent: User, admin: User, dpo: User
              ) -> dict[str, User]:
    """Everyone who is not a safeguarding lead of this school, and one of another school."""
    other = SchoolFactory(name="Other School", slug="other")
    return {
        "teacher": teacher, "parent": parent, "admin": admin, "dpo": dpo,
        "staff": UserFactory(username="office", role=Role.STAFF, school=school),
        "pupil": UserFactory(username="pupil", role=Role.PUPIL, school=school),
        "other school's lead": UserFactory(username="lead2", role=Role.SAFEGUARDING,
                                           school=other),
        "inactive lead": UserFactory(username="lead3", role=Role.SAFEGUARDING, school=school,
                                     is_active=False),
    }


@pytest.mark.parametrize("who", ["teacher", "parent", "admin", "dpo", "staff", "pupil",
                                 "other school's lead", "inactive lead"])
def test_only_a_lead_of_the_school_may_moderate(
        who: str, strangers: dict[str, User], conversation_4b: Conversation, parent: User,
        teacher: User, lead: User, screened: None) -> None:
    by = strangers[who]
    message, _ = send.post_message(parent, conversation_4b, "plain")
    held, _ = send.post_message(parent, conversation_4b, "meet me after school")
    restriction = moderation.restrict_member(by=lead, user=teacher, until=_until(),
                                             reason="Pause")
    with pytest.raises(PermissionDenied):
        moderation.remove_message(by=by, message=message, reason="x")
    with pytest.raises(PermissionDenied):
        moderation.release_message(by=by, message=held)
    with pytest.raises(PermissionDenied):
        moderation.reject_message(by=by, message=held, reason="x")
    with pytest.raises(PermissionDenied):
        moderation.restrict_member(by=by, user=parent, until=_until(), reason="x")
    with pytest.raises(PermissionDenied):
        moderation.lift_restriction(by=by, restriction=restriction)
    message.refresh_from_db()
    held.refresh_from_db()
    restriction.refresh_from_db()
    assert not message.is_removed and held.is_held and held.rejected_at is None
    assert restriction.in_force
    assert not Restriction.objects.filter(user=parent).exists()


def test_a_reason_is_required(conversation_4b: Conversation, parent: User, lead: User) -> None:
    message, _ = send.post_message(parent, conversation_4b, "plain")
    with pytest.raises(ValidationError, match="Give a reason"):
        moderation.remove_message(by=lead, message=message, reason="  ")
    with pytest.raises(ValidationError, match="end in the future"):
        moderation.restrict_member(by=lead, user=parent, until=timezone.now(), reason="x")


# --- restriction ---------------------------------------------------------------------------

RESTRICTED = "You can read but not send messages until"


def test_a_restricted_member_reads_but_cannot_post_anywhere(
        conversation_4b: Conversation, teacher: User, parent: User, lead: User) -> None:
    send.post_message(teacher, conversation_4b, "Trip on Friday")
    restriction = moderation.restrict_member(by=lead, user=parent, until=_until(),
                                             reason="Threats in the class group")
    one_to_one = direct.direct_conversation(parent, teacher)
    for conversation in (conversation_4b, one_to_one):
        with pytest.raises(PermissionDenied, match=RESTRICTED):
            send.post_message(parent, conversation, "still here")
    page = _page(parent, conversation_4b)
    assert "Trip on Friday" in page and RESTRICTED in page and "by decision of the school" in page
    assert 'id="composer"' not in page
    answer = _client(parent).post(reverse("messaging:conversation", args=[conversation_4b.pk]),
                                  {"body": "over HTTP", "client_id": str(uuid.uuid4())})
    assert answer.status_code == 400 and RESTRICTED in answer.content.decode()
    assert not Message.objects.filter(sender=parent).exists()
    record = Record.objects.get(kind="member.restricted")
    assert record.payload.content["reason"] == "Threats in the class group"
    assert restriction.school_id == parent.school_id and restriction.created_by == lead


def test_lifting_a_restriction_restores_posting(conversation_4b: Conversation, parent: User,
                                                lead: User) -> None:
    restriction = moderation.restrict_member(by=lead, user=parent, until=_until(), reason="x")
    moderation.lift_restriction(by=lead, restriction=restriction)
    moderation.lift_restriction(by=lead, restriction=restriction)  # once is enough
    assert restriction.lifted_at is not None
    message, created = send.post_message(parent, conversation_4b, "back")
    assert created and message.body == "back"
    assert Record.objects.filter(kind="member.restriction_lifted").count() == 1
    assert 'id="composer"' in _page(parent, conversation_4b)


def test_an_expired_restriction_no_longer_applies(conversation_4b: Conversation, parent: User,
                                                  lead: User) -> None:
    restriction = moderation.restrict_member(by=lead, user=parent, until=_until(), reason="x")
    Restriction.objects.filter(pk=restriction.pk).update(
        until=timezone.now() - timedelta(seconds=1))
    _message, created = send.post_message(parent, conversation_4b, "after it ended")
    assert created


def test_a_restricted_sender_cannot_edit_their_earlier_message(
        conversation_4b: Conversation, parent: User, lead: User) -> None:
    message, _ = send.post_message(parent, conversation_4b, "before")
    moderation.restrict_member(by=lead, user=parent, until=_until(), reason="x")
    with pytest.raises(PermissionDenied):
        edit.edit_message(parent, message, "after")


# --- holding for review --------------------------------------------------------------------

def test_with_no_screen_nothing_is_held(conversation_4b: Conversation, parent: User,
                                        unscreened: None) -> None:
    assert not screening.active()
    message, _ = send.post_message(parent, conversation_4b, "meet me after school")
    assert not message.is_held


def test_a_held_message_is_its_senders_alone_until_released(
        conversation_4b: Conversation, teacher: User, parent: User, lead: User,
        screened: None) -> None:
    send.post_message(teacher, conversation_4b, "Good morning")
    held, created = send.post_message(parent, conversation_4b, "Meet me at the gate")
    assert created and held.is_held and held.seq == 2
    assert Event.objects.get(seq=2).kind == Event.Kind.HELD
    mine = _item(_page(parent, conversation_4b), held)
    assert "Meet me at the gate" in mine and "Waiting for review by the school" in mine
    assert "Edit or retract" not in mine
    teacher_page = _page(teacher, conversation_4b)
    assert "Meet me at the gate" not in teacher_page and f'id="m{held.pk}"' not in teacher_page
    assert [m["body"] for m in _history(teacher, conversation_4b)] == ["Good morning"]
    replay = _events(teacher, conversation_4b)
    assert replay[1] == {"type": "skip", "conversation": conversation_4b.pk, "seq": 2}
    # The sender's own gap fill gives the held message, as their socket does.
    own = _events(parent, conversation_4b)[1]
    assert (own["type"], own["id"], own["seq"], own["held"]) == ("message", held.pk, 2, True)
    [row] = [c for c in queries.inbox(teacher) if c.pk == conversation_4b.pk]
    # The only message from someone else is the held one: nothing unread, no preview of it.
    assert row.unread == 0 and row.last_message.body == "Good morning"  # type: ignore[attr-defined]
    search = _client(teacher).get(reverse("messaging:search"), {"q": "gate"}).content.decode()
    assert "Meet me at the gate" not in search
    assert receipts.mark_seen(teacher, conversation_4b, 2) == 0  # no receipt for a held one
    # Nobody but the sender reaches it by its id either.
    reply = _client(teacher).get(reverse("messaging:conversation", args=[conversation_4b.pk]),
                                 {"reply_to": held.pk})
    assert "Meet me at the gate" not in reply.content.decode()
    with pytest.raises(ValidationError, match="waiting for review"):
        edit.edit_message(parent, held, "changed")

    released = moderation.release_message(by=lead, message=held)
    assert not released.is_held and released.seq == 3
    assert list(Event.objects.values_list("seq", "kind")) == [
        (1, "message"), (2, "held"), (3, "message")]
    assert "Meet me at the gate" in _page(teacher, conversation_4b)
    assert [e["type"] for e in _events(teacher, conversation_4b)] == ["message", "skip",
                                                                      "message"]
    assert [e["type"] for e in _events(parent, conversation_4b)] == ["message", "skip",
                                                                     "message"]
    assert [m["seq"] for m in _history(teacher, conversation_4b)] == [1, 3]
    assert moderation.release_message(by=lead, message=held).seq == 3  # once
    assert Record.objects.filter(kind="message.released").count() == 1


def test_its_sender_cannot_quote_a_held_message_to_the_others(
        conversation_4b: Conversation, parent: User, screened: None) -> None:
    held, _ = send.post_message(parent, conversation_4b, "meet me at four")
    with pytest.raises(ValidationError, match="waiting for review"):
        send.post_message(parent, conversation_4b, "did you see this?", reply_to=held)


def test_a_rejected_message_shows_its_sender_not_published(
        conversation_4b: Conversation, teacher: User, parent: User, lead: User,
        screened: None) -> None:
    held, _ = send.post_message(parent, conversation_4b, "meet me behind the gym")
    rejected = moderation.reject_message(by=lead, message=held, reason="Grooming risk")
    moderation.reject_message(by=lead, message=held, reason="again")
    assert rejected.rejected_at is not None and rejected.is_held
    mine = _item(_page(parent, conversation_4b), held)
    assert "Not published by the school" in mine and "Waiting for review" not in mine
    assert "behind the gym" not in _page(teacher, conversation_4b)
    with pytest.raises(ValidationError):
        moderation.release_message(by=lead, message=held)
    assert Record.objects.filter(kind="message.rejected").count() == 1
    assert list(Event.objects.values_list("kind", flat=True)) == ["held"]


def test_held_and_flagged_verdicts_are_told_after_the_commit(
        conversation_4b: Conversation, parent: User, screened: None,
        django_capture_on_commit_callbacks: Any) -> None:
    heard: list[list[tuple[int, screening.Verdict]]] = []

    def listener(sender: Any, results: list[tuple[int, screening.Verdict]],
                 **kwargs: Any) -> None:
        heard.append(results)

    messages_screened.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            drafts = [send.Draft(parent, "Meet me later"), send.Draft(parent, "I feel sad"),
                      send.Draft(parent, "Hello")]
            outcomes = send.post_messages(conversation_4b, drafts)
    finally:
        messages_screened.disconnect(listener)
    held, flagged, plain = (o[0] for o in outcomes if isinstance(o, tuple))
    [results] = heard
    assert [(pk, v.hold, v.flags) for pk, v in results] == [
        (held.pk, True, []), (flagged.pk, False, ["sad"])]
    assert held.is_held and not flagged.is_held and not plain.is_held


def test_a_screen_answering_for_the_wrong_number_of_drafts_stores_nothing(
        conversation_4b: Conversation, parent: User) -> None:
    def broken(drafts: Any) -> list[screening.Verdict]:
        return []

    screening.register(broken)
    try:
        with pytest.raises(ValueError, match="verdicts"):
            send.post_message(parent, conversation_4b, "anything")
    finally:
        screening.unregister(broken)
    assert not Message.objects.exists()
    conversation_4b.refresh_from_db()
    assert conversation_4b.last_seq == 0


def test_registering_twice_asks_once(conversation_4b: Conversation, parent: User,
                                     unscreened: None) -> None:
    screening.register(hold_and_flag)
    screening.register(hold_and_flag)
    try:
        assert screening.screen([screening.Draft(parent, conversation_4b, "I am sad")])[0].flags \
            == ["sad"]
    finally:
        screening.unregister(hold_and_flag)
    assert not screening.active()


# --- the lead's context ----------------------------------------------------------------------

def test_messages_around_includes_held_and_removed_messages(
        conversation_4b: Conversation, teacher: User, parent: User, lead: User,
        screened: None) -> None:
    posted = [send.post_message(teacher if n % 2 else parent, conversation_4b, f"line {n}")[0]
              for n in range(6)]
    held, _ = send.post_message(parent, conversation_4b, "meet me now")
    moderation.remove_message(by=lead, message=posted[4], reason="x")
    around = queries.messages_around(posted[3], before=2, after=2)
    assert [m.pk for m in around] == [posted[1].pk, posted[2].pk, posted[3].pk, posted[4].pk,
                                      posted[5].pk]
    assert around[3].is_removed
    tail = queries.messages_around(held, before=1, after=3)
    assert [m.pk for m in tail] == [posted[5].pk, held.pk] and tail[1].is_held
