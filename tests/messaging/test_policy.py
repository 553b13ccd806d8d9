"""The school's communication policy over HTTP: who may open a one-to-one with whom, what a
one-to-one between staff and a pupil always has (a second member of staff, or the leads'
eyes), parents with parents by the school's choice, blocks, and links where pupils read.

Personas (tests/messaging/policy.py): Sam and Noor, pupils of 4B with accounts; Ms de Vries,
4B's teacher; Mr Bakker, 5A's teacher; Anna and Mark, 4B parents; Mr Veilig, the school's
safeguarding lead; a lead of another school.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from accounts.access import can
from accounts.models import Role, School, User
from archive import scopes
from archive.models import Record
from messaging.access import lead_visible_conversations
from messaging.actions import blocks, direct, membership, send
from messaging.models import Block, Conversation, Membership, Message
from tests.factories import UserFactory
from tests.messaging.policy import policy_world

pytestmark = pytest.mark.django_db
__all__ = ["policy_world"]  # fixture

PUPILS = "Pupils cannot message other pupils one to one."
BLOCKED = "This person does not accept your messages."


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def start(user: User, other: User, **data: Any) -> Any:
    return client_for(user).post(reverse("messaging:start_direct", args=[other.pk]), data)


def say(user: User, conversation: Conversation, text: str) -> Any:
    return client_for(user).post(reverse("messaging:conversation", args=[conversation.pk]),
                                 {"body": text, "client_id": str(uuid.uuid4())})


def members(conversation: Conversation) -> set[str]:
    return set(Membership.objects.filter(conversation=conversation, ended_at__isnull=True)
               .values_list("user__username", flat=True))


# --- pupils never one to one with pupils (a fixed rule) ---------------------------------------

def test_a_pupil_cannot_open_a_one_to_one_with_a_pupil(policy_world: dict[str, Any]) -> None:
    sam, noor = policy_world["pupil"], policy_world["pupil2"]
    assert not can(sam, "conversation.start_direct", noor)
    response = start(sam, noor)
    assert response.status_code == 403 and PUPILS in response.content.decode()
    assert not Conversation.objects.filter(kind=Conversation.Kind.DIRECT).exists()
    people = client_for(sam).get(reverse("messaging:people")).content.decode()
    assert "Noor (4B)" not in people and "Ms de Vries" in people


def test_a_pupil_cannot_post_in_a_one_to_one_with_a_pupil_made_some_other_way(
        policy_world: dict[str, Any]) -> None:
    """However a one-to-one between two pupils came to be, nothing can be said in it."""
    sam, noor = policy_world["pupil"], policy_world["pupil2"]
    chat = direct.direct_conversation(sam, noor)
    response = say(sam, chat, "hi Noor")
    assert response.status_code == 400 and PUPILS in response.content.decode()
    assert not Message.objects.filter(conversation=chat).exists()
    with pytest.raises(PermissionDenied, match=PUPILS):
        send.post_message(noor, chat, "hi Sam")


def test_a_person_of_another_school_is_not_found(policy_world: dict[str, Any]) -> None:
    response = start(policy_world["teacher"], policy_world["other_lead"])
    assert response.status_code == 404


# --- staff and a pupil: never a private one-to-one --------------------------------------------

def test_visible_to_leads_marks_the_conversation_and_the_lead_reads_it(
        policy_world: dict[str, Any]) -> None:
    teacher, sam, lead = policy_world["teacher"], policy_world["pupil"], policy_world["lead"]
    assert policy_world["school"].staff_pupil_direct == "visible_to_leads"  # the default
    response = start(teacher, sam)
    chat = Conversation.objects.get(kind=Conversation.Kind.DIRECT)
    assert response.status_code == 302 and chat.visible_to_leads
    assert members(chat) == {"teacher", "pupil"}
    send.post_message(sam, chat, "Can I hand in my homework tomorrow?")
    page = client_for(sam).get(reverse("messaging:conversation", args=[chat.pk])).content.decode()
    assert "The school's safeguarding leads can read this conversation." in page

    # The lead reads without being a member; the look is in the audit log; posting is not theirs.
    assert can(lead, "conversation.read", chat) and not can(lead, "conversation.post", chat)
    assert list(lead_visible_conversations(lead)) == [chat]
    seen = client_for(lead).get(reverse("messaging:conversation", args=[chat.pk]))
    assert seen.status_code == 200 and "homework tomorrow" in seen.content.decode()
    # On record in the school's safeguarding chain (the DPO's oversight page), once however
    # often the page reloads within a while.
    client_for(lead).get(reverse("messaging:conversation", args=[chat.pk]))
    looks = Record.objects.filter(scope=scopes.safeguarding(chat.school_id),
                                  kind="conversation.lead_read", actor=lead)
    assert [r.payload.content["conversation"] for r in looks] == [chat.pk]
    dpo = UserFactory(school=policy_world["school"], role=Role.DPO)
    oversight = client_for(dpo).get(reverse("safeguarding:oversight")).content.decode()
    assert "Read a conversation visible to the leads" in oversight and "Mr Veilig" in oversight
    assert say(lead, chat, "hello").status_code in (400, 403)
    assert not Message.objects.filter(conversation=chat, sender=lead).exists()


def test_leads_do_not_read_other_one_to_ones_or_other_schools(policy_world: dict[str, Any]) -> None:
    teacher, sam = policy_world["teacher"], policy_world["pupil"]
    chat = direct.open_direct(teacher, sam)
    private = direct.open_direct(teacher, policy_world["parent"])
    lead, other_lead = policy_world["lead"], policy_world["other_lead"]
    assert not private.visible_to_leads
    assert client_for(lead).get(
        reverse("messaging:conversation", args=[private.pk])).status_code == 404
    assert client_for(other_lead).get(
        reverse("messaging:conversation", args=[chat.pk])).status_code == 404
    assert not lead_visible_conversations(other_lead).exists()
    assert not can(policy_world["teacher_5a"], "conversation.read", chat)  # staff, not a lead


def test_second_staff_adds_the_pupils_class_teacher(policy_world: dict[str, Any]) -> None:
    School.objects.filter(pk=policy_world["school"].pk).update(staff_pupil_direct="second_staff")
    bakker, sam = User.objects.get(username="teacher5a"), User.objects.get(username="pupil")
    response = start(bakker, sam)
    chat = Conversation.objects.get(kind=Conversation.Kind.DIRECT)
    assert response.status_code == 302 and not chat.visible_to_leads
    assert members(chat) == {"teacher5a", "pupil", "teacher"}
    page = client_for(sam).get(reverse("messaging:conversation", args=[chat.pk])).content.decode()
    assert "a second member of staff is in this conversation: Ms de Vries" in page
    assert "safeguarding leads can read" not in page
    assert not can(policy_world["lead"], "conversation.read", chat)
    record = Record.objects.get(kind="direct.opened")
    assert record.payload.content["policy"] == "second_staff"


def test_second_staff_lets_the_class_teacher_choose_from_a_list(policy_world: dict[str, Any]) -> None:
    """The class teacher starting it: the pupil has no other class teacher, so the school's
    other staff are listed (the admin and Mr Bakker), and the teacher chooses."""
    School.objects.filter(pk=policy_world["school"].pk).update(staff_pupil_direct="second_staff")
    teacher, sam = User.objects.get(username="teacher"), User.objects.get(username="pupil")
    listing = start(teacher, sam)
    body = listing.content.decode()
    assert listing.status_code == 200 and "Mr Bakker" in body and "Office" in body
    assert "Mr Veilig" not in body  # a lead oversees; never the second member of staff
    assert not Conversation.objects.filter(kind=Conversation.Kind.DIRECT).exists()
    wrong = start(teacher, sam, second=policy_world["parent"].pk)
    assert wrong.status_code == 400
    chosen = start(teacher, sam, second=policy_world["teacher_5a"].pk)
    chat = Conversation.objects.get(kind=Conversation.Kind.DIRECT)
    assert chosen.status_code == 302 and members(chat) == {"teacher", "pupil", "teacher5a"}


def test_a_pupil_starting_one_gets_the_first_second_member_of_staff(
        policy_world: dict[str, Any]) -> None:
    School.objects.filter(pk=policy_world["school"].pk).update(staff_pupil_direct="second_staff")
    sam = User.objects.get(username="pupil")
    chat = direct.open_direct(sam, User.objects.get(username="teacher5a"))
    assert members(chat) == {"pupil", "teacher5a", "teacher"}


def test_a_reply_to_an_announcement_follows_the_policy_too(
        policy_world: dict[str, Any], announcements: Conversation) -> None:
    sam, teacher = policy_world["pupil"], policy_world["teacher"]
    membership.add_member(announcements, sam, actor=policy_world["admin"])
    notice, _ = send.post_message(teacher, announcements, "Trip on Friday")
    reply, _ = direct.reply_privately(sam, notice, "Can I come?")
    assert reply.conversation.visible_to_leads


# --- parents with parents: the school's choice ------------------------------------------------

@pytest.mark.parametrize("allowed", [False, True])
def test_parent_to_parent_follows_the_school(policy_world: dict[str, Any], allowed: bool) -> None:
    School.objects.filter(pk=policy_world["school"].pk).update(parent_direct_messages=allowed)
    anna, mark = User.objects.get(username="parent"), User.objects.get(username="parent2")
    assert can(anna, "conversation.start_direct", mark) is allowed
    response = start(anna, mark)
    if allowed:
        assert response.status_code == 302
        assert members(Conversation.objects.get(kind=Conversation.Kind.DIRECT)) == {
            "parent", "parent2"}
    else:
        assert response.status_code == 403
        assert ("The school&#x27;s policy does not allow this one-to-one conversation."
                in response.content.decode())
        assert not Conversation.objects.filter(kind=Conversation.Kind.DIRECT).exists()


# --- blocking ---------------------------------------------------------------------------------

@pytest.fixture
def parents_chat(policy_world: dict[str, Any]) -> Conversation:
    School.objects.filter(pk=policy_world["school"].pk).update(parent_direct_messages=True)
    anna, mark = User.objects.get(username="parent"), User.objects.get(username="parent2")
    return direct.open_direct(anna, mark)


def test_a_blocked_parents_messages_do_not_arrive(parents_chat: Conversation) -> None:
    anna, mark = User.objects.get(username="parent"), User.objects.get(username="parent2")
    page = client_for(anna).get(reverse("messaging:conversation", args=[parents_chat.pk]))
    assert "Block Mark Jansen" in page.content.decode()
    blocked = client_for(anna).post(reverse("messaging:block", args=[mark.pk]), {"blocked": "1"})
    assert blocked.status_code == 302 and Block.objects.filter(blocker=anna, blocked=mark).exists()
    assert "Unblock" in client_for(anna).get(
        reverse("messaging:conversation", args=[parents_chat.pk])).content.decode()

    refused = say(mark, parents_chat, "Why did you say that?")
    assert refused.status_code == 400 and BLOCKED in refused.content.decode()
    assert not Message.objects.filter(conversation=parents_chat, sender=mark).exists()
    assert not can(mark, "conversation.start_direct", anna)
    again = start(mark, anna)
    assert again.status_code == 403 and BLOCKED in again.content.decode()
    # Anna can still write; the block is hers to lift.
    assert say(anna, parents_chat, "Please stop").status_code == 302

    client_for(anna).post(reverse("messaging:block", args=[mark.pk]), {"blocked": "0"})
    assert not Block.objects.exists()
    assert say(mark, parents_chat, "Sorry").status_code == 302
    kinds = list(Record.objects.filter(kind__startswith="person.").order_by("pk")
                 .values_list("kind", flat=True))
    assert kinds == ["person.blocked", "person.unblocked"]


def test_staff_cannot_be_blocked(policy_world: dict[str, Any]) -> None:
    anna, teacher = policy_world["parent"], policy_world["teacher"]
    chat = direct.open_direct(anna, teacher)
    assert not can(anna, "person.block", teacher)
    assert client_for(anna).post(reverse("messaging:block", args=[teacher.pk])).status_code == 404
    assert not Block.objects.exists()
    with pytest.raises(PermissionDenied):
        blocks.block(anna, teacher)
    page = client_for(anna).get(reverse("messaging:conversation", args=[chat.pk])).content.decode()
    assert "Block " not in page
    # A teacher may block a parent's one-to-one messages (and is told so on the page).
    assert can(teacher, "person.block", anna)


def test_nobody_blocks_someone_of_another_school_or_themself(policy_world: dict[str, Any]) -> None:
    anna = policy_world["parent"]
    assert not can(anna, "person.block", policy_world["other_lead"])
    assert not can(anna, "person.block", anna)
    assert client_for(anna).post(
        reverse("messaging:block", args=[policy_world["other_lead"].pk])).status_code == 404


# --- links where pupils read ------------------------------------------------------------------

@pytest.fixture
def club(policy_world: dict[str, Any]) -> Conversation:
    club = Conversation.objects.create(school=policy_world["school"], kind=Conversation.Kind.GROUP,
                                       title="Chess club")
    membership.add_member(club, policy_world["teacher"], actor=policy_world["admin"], manager=True)
    for name in ("parent", "pupil"):
        membership.add_member(club, policy_world[name], actor=policy_world["admin"])
    return club


def test_links_by_a_parent_where_pupils_read_are_text_and_by_a_teacher_links(
        club: Conversation, policy_world: dict[str, Any]) -> None:
    assert say(policy_world["parent"], club, "See https://example.org/party").status_code == 302
    assert say(policy_world["teacher"], club, "Rules: https://example.org/rules").status_code == 302
    page = client_for(policy_world["pupil"]).get(
        reverse("messaging:conversation", args=[club.pk])).content.decode()
    assert "See https://example.org/party" in page
    assert 'href="https://example.org/party"' not in page
    assert '<a href="https://example.org/rules"' in page
    parents, teachers = (Message.objects.get(sender=policy_world[n]) for n in ("parent", "teacher"))
    assert parents.plain_links and not teachers.plain_links
    # The event tells the live page the same.
    events = client_for(policy_world["pupil"]).get(
        reverse("messaging:events", args=[club.pk]), {"after_seq": 0}).json()["events"]
    assert [(e["body"][:4], e["links"]) for e in events] == [("See ", False), ("Rule", True)]


def test_links_by_a_parent_without_pupils_are_links(conversation_4b: Conversation,
                                                     parent: User) -> None:
    say(parent, conversation_4b, "See https://example.org/party")
    page = client_for(parent).get(
        reverse("messaging:conversation", args=[conversation_4b.pk])).content.decode()
    assert '<a href="https://example.org/party"' in page

