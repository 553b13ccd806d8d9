"""Reactions: one emoji of a small set per person and message, replaced or taken back, archived,
told live to the conversation, shown on the page and on who-reacted, and gone with the message.

Personas: Ms de Vries teaches 4B and posts; Anna Jansen (``parent``) and Piet Jansen are 4B
parents in the class group; Lucía García (``parent_5a``) is in none of 4B's conversations; the
lead (Mr Veilig) acts for the school. The socket is in test_reactions_socket.py, every role in
tests/accounts/test_permission_matrix.py, the phones in test_reactions_browser.py.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from pytest_django import DjangoCaptureOnCommitCallbacks

from accounts.models import Role, School, User
from archive import chain, retention
from archive.models import Payload, PurgedPayload, Record
from messaging import reactions as reaction_counts
from messaging.actions import edit, membership, moderation, reactions, send
from messaging.models import Conversation, Message, Reaction
from records import lines
from tests.factories import UserFactory
from tests.messaging.moderation import lead, screened
from tests.messaging.test_actions import RecordingHub, recording_hub

pytestmark = pytest.mark.django_db
__all__ = ["lead", "recording_hub", "screened"]  # fixtures

LATER = timedelta(days=401)  # past the 400-day chat default


@pytest.fixture
def piet(school: School, conversation_4b: Conversation, admin: User) -> User:
    user = UserFactory(username="piet", display_name="Piet Jansen", role=Role.PARENT,
                       school=school)
    membership.add_member(conversation_4b, user, actor=admin)
    return user


@pytest.fixture
def trip(conversation_4b: Conversation, teacher: User) -> Message:
    message, _ = send.post_message(teacher, conversation_4b, "The trip is on Friday")
    return message


def mine(user: User, message: Message) -> str:
    found = Reaction.objects.filter(user=user, message=message).values_list("emoji", flat=True)
    return found.first() or ""


def kinds(message: Message) -> list[str]:
    return list(Record.objects.filter(message_id=message.pk, kind__startswith="message.rea")
                .order_by("position").values_list("kind", flat=True))


# --- the action ------------------------------------------------------------------------------

def test_another_emoji_replaces_the_reaction_and_the_same_again_takes_it_back(
        trip: Message, parent: User, piet: User) -> None:
    assert reactions.react(parent, trip, "👍") == "👍"
    assert reactions.react(piet, trip, "👍") == "👍"
    assert reaction_counts.counts(trip) == {"👍": 2}
    # One reaction per person: Anna's heart replaces her thumbs up.
    assert reactions.react(parent, trip, "❤️") == "❤️"
    assert mine(parent, trip) == "❤️" and Reaction.objects.filter(message=trip).count() == 2
    assert reaction_counts.counts(trip) == {"👍": 1, "❤️": 1}
    # The same again takes it back; so does no emoji at all.
    assert reactions.react(parent, trip, "❤️") == ""
    assert reactions.react(piet, trip, "") == ""
    assert not Reaction.objects.filter(message=trip).exists()
    # Nothing to take back: nothing happens, nothing is archived.
    assert reactions.react(piet, trip, "") == ""
    assert kinds(trip) == ["message.reacted", "message.reacted", "message.reacted",
                           "message.reaction_removed", "message.reaction_removed"]


def test_each_change_is_archived_in_the_conversations_chain_about_the_reactor(
        trip: Message, parent: User) -> None:
    reactions.react(parent, trip, "👍")
    reactions.react(parent, trip, "🙏")
    reactions.react(parent, trip, "🙏")
    records = list(Record.objects.filter(message_id=trip.pk, kind__startswith="message.rea")
                   .order_by("position"))
    assert [(r.kind, r.actor_id, r.subject_user_ids, r.scope) for r in records] == [
        ("message.reacted", parent.pk, [parent.pk], trip.conversation.scope),
        ("message.reacted", parent.pk, [parent.pk], trip.conversation.scope),
        ("message.reaction_removed", parent.pk, [parent.pk], trip.conversation.scope),
    ]
    contents = [Payload.objects.get(record=r).content for r in records]
    assert [(c["message"], c["emoji"]) for c in contents] == [
        (trip.pk, "👍"), (trip.pk, "🙏"), (trip.pk, "🙏")]
    assert contents[1]["previous"] == "👍"
    said = [lines.sentence(r.kind, c, lines.Names([c])) for r, c in zip(records, contents,
                                                                        strict=True)]
    assert said == ["Reacted 👍 to a message.", "Reacted 🙏 to a message.",
                    "Took back the reaction 🙏 to a message."]
    assert chain.verify().intact


@pytest.mark.parametrize("emoji", ["🍕", "thumbs up", ":+1:", "👍👍", None, 3, ["👍"]])
def test_an_emoji_outside_the_set_is_refused_in_words(trip: Message, parent: User,
                                                      emoji: object) -> None:
    with pytest.raises(ValidationError) as refused:
        reactions.react(parent, trip, emoji)
    assert refused.value.messages == ["Choose one of these reactions: 👍 ❤️ 😂 😮 😢 🙏"]
    assert not Reaction.objects.exists() and kinds(trip) == []


def test_the_heart_is_understood_with_or_without_its_presentation_selector(
        trip: Message, parent: User) -> None:
    assert reactions.react(parent, trip, "\u2764") == "❤️"
    assert reactions.react(parent, trip, " ❤️ ") == ""  # the same heart: taken back


def test_the_refusal_speaks_the_readers_language(trip: Message, parent: User) -> None:
    with translation.override("nl"), pytest.raises(ValidationError) as refused:
        reactions.react(parent, trip, "🍕")
    assert refused.value.messages[0].startswith("Kies een van deze reacties")


def test_the_sender_reacts_to_their_own_message_but_an_outsider_to_nothing(
        trip: Message, teacher: User, parent_5a: User) -> None:
    assert reactions.react(teacher, trip, "🙏") == "🙏"
    with pytest.raises(PermissionDenied):
        reactions.react(parent_5a, trip, "👍")
    assert Reaction.objects.filter(user=parent_5a).count() == 0


def test_a_retracted_message_takes_no_reaction(trip: Message, teacher: User,
                                               parent: User) -> None:
    edit.retract_message(teacher, trip)
    trip.refresh_from_db()
    with pytest.raises(PermissionDenied) as refused:
        reactions.react(parent, trip, "👍")
    assert str(refused.value) == "This message was retracted."
    assert not Reaction.objects.exists()


def test_a_message_that_went_while_the_reaction_was_on_its_way_is_refused(
        trip: Message, teacher: User, parent: User) -> None:
    """The copy the caller holds was read before the retraction: the action reads it again."""
    stale = Message.objects.get(pk=trip.pk)
    edit.retract_message(teacher, trip)
    with pytest.raises(PermissionDenied):
        reactions.react(parent, stale, "👍")
    assert not Reaction.objects.exists()


def test_someone_the_school_restricted_reads_but_does_not_react(
        trip: Message, parent: User, lead: User) -> None:
    moderation.restrict_member(by=lead, user=parent, until=timezone.now() + timedelta(days=2),
                               reason="Unkind messages")
    with pytest.raises(PermissionDenied) as refused:
        reactions.react(parent, trip, "👍")
    assert "You can read but not send messages until" in str(refused.value)
    assert not Reaction.objects.exists()


@pytest.mark.usefixtures("screened")
def test_a_message_held_for_review_takes_no_reaction(conversation_4b: Conversation,
                                                     parent: User, teacher: User) -> None:
    held, _ = send.post_message(parent, conversation_4b, "meet me after school")
    assert held.held_at is not None
    with pytest.raises(PermissionDenied) as refused:
        reactions.react(parent, held, "👍")  # its sender sees it, but nobody reacts yet
    assert str(refused.value) == "This message is waiting for review by the school."


# --- live: the reactions hint, after the commit ------------------------------------------------

def test_the_new_counts_go_to_the_conversation_after_the_commit(
        trip: Message, parent: User, piet: User, recording_hub: RecordingHub,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    reactions.react(piet, trip, "❤️")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reactions.react(parent, trip, "👍")
    assert recording_hub.published == []
    for callback in callbacks:
        callback()
    # In the set's order (👍 before ❤️), whoever chose first; the person and their choice named.
    assert recording_hub.published == [(trip.conversation_id, {
        "type": "reactions", "conversation": trip.conversation_id, "id": trip.pk,
        "counts": {"👍": 1, "❤️": 1}, "user": parent.pk, "emoji": "👍"})]
    assert list(recording_hub.published[0][1]["counts"]) == ["👍", "❤️"]


def test_a_refused_reaction_tells_nobody(
        trip: Message, parent_5a: User, recording_hub: RecordingHub,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied):
        reactions.react(parent_5a, trip, "👍")
    assert recording_hub.published == []


# --- removed with the message ----------------------------------------------------------------

def test_retracting_a_message_deletes_its_reactions_and_clears_every_page(
        trip: Message, teacher: User, parent: User, piet: User, recording_hub: RecordingHub,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    reactions.react(parent, trip, "👍")
    reactions.react(piet, trip, "😂")
    with django_capture_on_commit_callbacks(execute=True):
        edit.retract_message(teacher, trip)
    assert not Reaction.objects.filter(message=trip).exists()
    kinds_sent = [event["type"] for _conv, event in recording_hub.published]
    assert kinds_sent == ["reactions", "retracted"]
    assert recording_hub.published[0][1] == {"type": "reactions",
                                             "conversation": trip.conversation_id,
                                             "id": trip.pk, "counts": {}}
    # The archive keeps what was done (until retention), as it keeps the retracted text.
    assert kinds(trip) == ["message.reacted", "message.reacted"]


def test_a_message_the_school_removes_loses_its_reactions(
        trip: Message, parent: User, lead: User, recording_hub: RecordingHub,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    reactions.react(parent, trip, "😮")
    with django_capture_on_commit_callbacks(execute=True):
        moderation.remove_message(by=lead, message=trip, reason="Names a pupil")
    assert not Reaction.objects.filter(message=trip).exists()
    assert ("reactions", {}) in [(e["type"], e.get("counts")) for _c, e in recording_hub.published]
    trip.refresh_from_db()
    with pytest.raises(PermissionDenied) as refused:
        reactions.react(parent, trip, "😮")
    assert str(refused.value) == "This message was removed by the school."


def test_a_retraction_without_reactions_sends_no_reactions_hint(
        trip: Message, teacher: User, recording_hub: RecordingHub,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        edit.retract_message(teacher, trip)
    assert [event["type"] for _conv, event in recording_hub.published] == ["retracted"]


def test_retention_purges_the_reactions_and_their_records_payloads_with_the_message(
        trip: Message, teacher: User, parent: User, piet: User,
        conversation_4b: Conversation) -> None:
    reactions.react(parent, trip, "👍")
    reactions.react(piet, trip, "👍")
    reactions.react(piet, trip, "👍")  # taken back: a record, no row
    kept, _ = send.post_message(teacher, conversation_4b, "Swimming next week")
    reactions.react(parent, kept, "❤️")
    Message.objects.filter(pk=trip.pk).update(created_at=timezone.now() - LATER)
    records = list(Record.objects.filter(message_id=trip.pk, kind__startswith="message.rea"))
    assert len(records) == 3

    retention.apply_retention(timezone.now())

    assert not Message.objects.filter(pk=trip.pk).exists()
    assert not Reaction.objects.filter(message_id=trip.pk).exists()
    # The records stay, saying that someone reacted; what with, is gone with the message.
    assert not Payload.objects.filter(record__in=records).exists()
    assert PurgedPayload.objects.filter(record__in=records).count() == 3
    assert lines.sentence("message.reacted", {}, lines.Names([])) == "Reacted to a message."
    # A message still kept keeps its reaction.
    assert reaction_counts.counts(kept) == {"❤️": 1}
    assert chain.verify().intact


# --- the subject access export -----------------------------------------------------------------

def test_a_reaction_is_in_the_reactors_subject_access_export(
        trip: Message, parent: User, piet: User, tmp_path: Path) -> None:
    reactions.react(parent, trip, "👍")
    reactions.react(piet, trip, "😂")
    out = tmp_path / "export.zip"
    call_command("export_subject_access", "--user", "parent", "--out", str(out),
                 stdout=io.StringIO())
    with zipfile.ZipFile(out) as bundle:
        data = json.loads(bundle.read("data.json"))
        page = bundle.read("index.html").decode()
    said = [e["description"] for e in data["events"]]
    assert "Reacted 👍 to a message." in said
    assert "Reacted 😂 to a message." not in said  # Piet's, not Anna's
    assert "Reacted 👍 to a message." in page


# --- the page ----------------------------------------------------------------------------------

def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _item(html: str, message: Message) -> str:
    """A message's markup on the page (these have no attachments: no list inside)."""
    start = html.index(f'id="m{message.pk}"')
    return html[start:html.index("</li>", start)]


def test_the_page_shows_chips_with_counts_and_the_readers_own_pressed(
        trip: Message, parent: User, piet: User) -> None:
    reactions.react(parent, trip, "👍")
    reactions.react(piet, trip, "👍")
    reactions.react(piet, trip, "😂")  # replaces Piet's thumbs up
    reactions.react(parent, trip, "👍")  # Anna takes hers back…
    reactions.react(parent, trip, "❤️")  # …and chooses a heart
    html = _client(parent).get(reverse("messaging:conversation",
                                       args=[trip.conversation_id])).content.decode()
    item = _item(html, trip)
    chips = item.split('class="reactions"', 1)[1].split("</form>", 1)[0]
    assert chips.index('data-emoji="❤️"') < chips.index('data-emoji="😂"')
    assert 'data-emoji="👍"' not in chips
    assert 'value="❤️" aria-label="Heart" aria-pressed="true"' in chips
    assert 'value="😂" aria-label="Laughing" aria-pressed="false"' in chips
    who = reverse("messaging:reactions", args=[trip.conversation_id, trip.pk])
    assert f'href="{who}"' in chips
    # The picker, in sight and in the menu, marks Anna's heart too.
    assert item.count('value="❤️" aria-label="Heart" aria-pressed="true"') == 3


def test_a_message_without_reactions_has_its_row_hidden(trip: Message, parent: User) -> None:
    item = _item(_client(parent).get(reverse(
        "messaging:conversation", args=[trip.conversation_id])).content.decode(), trip)
    assert 'class="reactions" hidden' in item and 'class="chip"' not in item
    assert 'class="who-reacted" href="' in item and 'Who reacted</a>' in item


def test_reacting_without_javascript_returns_to_the_message(trip: Message, parent: User) -> None:
    client = _client(parent)
    url = reverse("messaging:react", args=[trip.conversation_id, trip.pk])
    response = client.post(url, {"emoji": "🙏"})
    assert response.status_code == 302
    assert response["Location"] == reverse("messaging:conversation",
                                           args=[trip.conversation_id]) + f"#m{trip.pk}"
    assert mine(parent, trip) == "🙏"
    client.post(url, {"emoji": "🙏"})
    assert mine(parent, trip) == ""


def test_a_refused_emoji_over_http_says_why_and_keeps_the_way_back(trip: Message,
                                                                   parent: User) -> None:
    response = _client(parent).post(reverse("messaging:react",
                                            args=[trip.conversation_id, trip.pk]),
                                    {"emoji": "🍕"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose one of these reactions: 👍 ❤️ 😂 😮 😢 🙏" in html
    assert reverse("messaging:conversation", args=[trip.conversation_id]) in html
    assert not Reaction.objects.exists()


def test_who_reacted_lists_names_per_emoji_for_those_who_read_it(
        trip: Message, parent: User, piet: User, teacher: User, parent_5a: User) -> None:
    reactions.react(parent, trip, "👍")
    reactions.react(piet, trip, "👍")
    reactions.react(teacher, trip, "🙏")
    url = reverse("messaging:reactions", args=[trip.conversation_id, trip.pk])
    html = _client(teacher).get(url).content.decode()
    thumbs = html.split("Thumbs up (2)", 1)[1].split("</ul>", 1)[0]
    assert thumbs.index("Anna Jansen") < thumbs.index("Piet Jansen")
    thanks = html.split("Thank you (1)", 1)[1].split("</ul>", 1)[0]
    assert "Ms de Vries" in thanks and "Anna" not in thanks
    assert _client(parent_5a).get(url).status_code == 404
    # A message of another conversation, through this one's address: not found either.
    assert _client(parent).get(reverse("messaging:reactions", args=[999_999, trip.pk])
                               ).status_code == 404


def test_who_reacted_says_so_when_nobody_has(trip: Message, parent: User) -> None:
    page = _client(parent).get(reverse("messaging:reactions",
                                       args=[trip.conversation_id, trip.pk]))
    assert page.status_code == 200 and "Nobody has reacted yet." in page.content.decode()


def test_a_page_of_history_carries_the_counts_and_the_readers_own(
        trip: Message, teacher: User, parent: User, conversation_4b: Conversation) -> None:
    reactions.react(parent, trip, "😢")
    reactions.react(teacher, trip, "😢")
    for user, own in ((parent, "😢"), (teacher, "😢")):
        data = _client(user).get(reverse("messaging:messages", args=[conversation_4b.pk])).json()
        [event] = [m for m in data["messages"] if m["id"] == trip.pk]
        assert event["reactions"] == {"😢": 2} and event["reacted"] == own
    reactions.react(teacher, trip, "😢")
    data = _client(teacher).get(reverse("messaging:events", args=[conversation_4b.pk])).json()
    [event] = [e for e in data["events"] if e["type"] == "message" and e["id"] == trip.pk]
    assert event["reactions"] == {"😢": 1} and event["reacted"] == ""
