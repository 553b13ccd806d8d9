"""Polls: a teacher asks 4B, families answer on the message's card, the results show to whom the
poll says, closed polls refuse answers with a sentence, anonymous polls never say who chose
what, and the archive, exports and retention keep what they should."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Guardianship, Pupil, Role, School, User
from archive import chain, retention
from archive.models import Category, Payload, Record
from messaging.actions import membership
from messaging.models import Conversation, Message
from polls.actions import asking, voting
from polls.models import Ballot, Poll, Vote
from records import export
from tests.factories import UserFactory
from tests.messaging.test_consumer import connect, receive_until, subscribe

pytestmark = pytest.mark.django_db

FETCH = {"X-Requested-With": "fetch"}


def _ask(teacher: User, conversation: Conversation, **options: object) -> Poll:
    values: dict[str, object] = {"question": "Which afternoon suits the class party?",
                                 "options": ["Wednesday", "Thursday", "Friday"],
                                 "closes_at": timezone.now() + timedelta(days=3)}
    values.update(options)
    return asking.create_poll(teacher, conversation, **values)  # type: ignore[arg-type]


@pytest.fixture
def mark(school: School, parent: User, conversation_4b: Conversation, admin: User) -> User:
    """Emma's other guardian: one family with Anna."""
    user = UserFactory(username="mark", display_name="Mark Jansen", role=Role.PARENT,
                       school=school)
    emma = Pupil.objects.get(guardianships__guardian=parent)
    Guardianship.objects.create(guardian=user, pupil=emma, relationship="parent")
    membership.add_member(conversation_4b, user, actor=admin)
    return user


def test_a_teacher_asks_on_the_page_and_the_poll_is_a_message_with_its_card(
        client: Client, teacher: User, parent: User, conversation_4b: Conversation) -> None:
    client.force_login(teacher)
    page = client.get(reverse("messaging:conversation", args=[conversation_4b.pk])).content.decode()
    assert f'href="{reverse("polls:new", args=[conversation_4b.pk])}"' in page
    later = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("polls:new", args=[conversation_4b.pk]), {
        "question": "Which afternoon suits the class party?", "option_1": "Wednesday",
        "option_2": "Thursday", "option_3": "", "closes_at": later, "per_family": "on",
        "results": "after_vote"})
    poll = Poll.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"#m{poll.message_id}")
    assert poll.message is not None
    message = poll.message
    assert message.card == f"poll:{poll.pk}"
    assert message.body.splitlines() == ["Poll: Which afternoon suits the class party?",
                                         "\N{BULLET} Wednesday", "\N{BULLET} Thursday"]
    client.force_login(parent)
    page = client.get(reverse("messaging:conversation", args=[conversation_4b.pk])).content.decode()
    assert 'class="poll-card"' in page and ">Vote</button>" in page
    assert "Results are shown once you have answered." in page
    assert Record.objects.filter(kind="poll.created").count() == 1


def test_bad_questions_get_a_sentence_and_keep_what_was_typed(
        client: Client, teacher: User, conversation_4b: Conversation) -> None:
    client.force_login(teacher)
    url = reverse("polls:new", args=[conversation_4b.pk])
    past = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"question": "Party day?", "option_1": "Friday",
                                 "option_2": "friday", "closes_at": past, "results": "asker"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "Two options are the same." in text or "The closing time has passed" in text
    assert 'value="Party day?"' in text
    assert not Poll.objects.exists() and not Message.objects.exists()
    with pytest.raises(ValidationError, match="The closing time has passed"):
        _ask(teacher, conversation_4b, closes_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(ValidationError, match="at least 2 options"):
        _ask(teacher, conversation_4b, options=["Only one", "  "])


def test_a_family_answers_once_and_either_guardian_may_change_it(
        client: Client, teacher: User, parent: User, mark: User,
        conversation_4b: Conversation) -> None:
    poll = _ask(teacher, conversation_4b)
    wednesday, thursday, _friday = poll.options.all()
    client.force_login(parent)
    assert client.post(reverse("polls:vote", args=[poll.pk]), {"option": wednesday.pk},
                       headers=FETCH).status_code == 204
    voting.vote(mark, poll, [thursday.pk])
    ballot = Ballot.objects.get()
    assert ballot.voter == mark and [v.option for v in ballot.votes.all()] == [thursday]
    card = client.get(reverse("messaging:card", args=[conversation_4b.pk, poll.message_id]))
    text = card.content.decode()
    assert "Your family&#x27;s answer (given by Mark Jansen):" in text or \
        "Your family's answer (given by Mark Jansen):" in text
    assert "<strong>Thursday</strong>" in text
    # After answering, the results show (the poll says so): one family, for Thursday.
    assert "1 family answered" in text


def test_refusals_are_sentences_on_the_card(client: Client, teacher: User, parent: User,
                                            conversation_4b: Conversation) -> None:
    poll = _ask(teacher, conversation_4b)
    other = _ask(teacher, conversation_4b, question="Another?", options=["A", "B"])
    wednesday, thursday, _friday = poll.options.all()
    client.force_login(parent)
    url = reverse("polls:vote", args=[poll.pk])
    both = client.post(url, {"option": [wednesday.pk, thursday.pk]}, headers=FETCH)
    assert both.status_code == 400 and both.content.decode() == "Choose one answer."
    none = client.post(url, {}, headers=FETCH)
    assert none.content.decode() == "Choose an answer."
    foreign = client.post(url, {"option": other.options.first().pk}, headers=FETCH)  # type: ignore[union-attr]
    assert foreign.content.decode() == "That answer is not one of this poll's."
    asking.close_poll(teacher, poll)
    late = client.post(url, {"option": wednesday.pk}, headers=FETCH)
    assert late.status_code == 400 and "This poll has closed" in late.content.decode()
    # Without the page's script: back to the message, the sentence as the page's notice.
    plain = client.post(url, {"option": wednesday.pk, "next": f"/c/{conversation_4b.pk}/"},
                        follow=True)
    assert "This poll has closed" in plain.content.decode()
    assert not Ballot.objects.exists()
    # The teacher asks; staff do not answer.
    with pytest.raises(PermissionDenied):
        voting.vote(teacher, other, [other.options.first().pk])  # type: ignore[union-attr]


def test_results_show_as_the_poll_says(client: Client, teacher: User, parent: User,
                                       conversation_4b: Conversation) -> None:
    poll = _ask(teacher, conversation_4b, results_shown=Poll.Results.AFTER_CLOSE)
    wednesday = poll.options.first()
    assert wednesday is not None
    voting.vote(parent, poll, [wednesday.pk])
    client.force_login(parent)
    results_url = reverse("polls:results", args=[poll.pk])
    assert client.get(results_url).status_code == 403
    card = client.get(reverse("messaging:card", args=[conversation_4b.pk, poll.message_id]))
    assert "Results are shown when the poll closes." in card.content.decode()
    client.force_login(teacher)
    page = client.get(results_url).content.decode()
    assert "Anna Jansen" in page  # a named poll: the asker sees who chose what
    asking.close_poll(teacher, poll)
    client.force_login(parent)
    assert client.get(results_url).status_code == 200
    card = client.get(reverse("messaging:card", args=[conversation_4b.pk, poll.message_id]))
    assert "1 family answered" in card.content.decode()


def test_an_anonymous_poll_never_says_who_chose_what(
        client: Client, teacher: User, parent: User, conversation_4b: Conversation) -> None:
    poll = _ask(teacher, conversation_4b, anonymous=True)
    friday = poll.options.last()
    assert friday is not None
    voting.vote(parent, poll, [friday.pk])
    voted = Record.objects.get(kind="poll.voted")
    content = Payload.objects.get(record=voted).content
    assert "options" not in content and "Friday" not in str(content)
    assert voted.subject_user_ids == [parent.pk] or parent.pk in (voted.subject_user_ids or [])
    client.force_login(teacher)
    page = client.get(reverse("polls:results", args=[poll.pk])).content.decode()
    assert "Anna Jansen" not in page and "Anonymous poll" in page
    asking.close_poll(teacher, poll)
    closed = Payload.objects.get(record__kind="poll.closed").content
    assert closed["counts"] == {"Wednesday": 0, "Thursday": 0, "Friday": 1}
    assert closed["ballots"] == 1


def test_outsiders_get_404_for_everything_of_a_poll(
        client: Client, teacher: User, parent_5a: User, conversation_4b: Conversation) -> None:
    poll = _ask(teacher, conversation_4b)
    client.force_login(parent_5a)
    option = poll.options.first()
    assert option is not None
    assert client.post(reverse("polls:vote", args=[poll.pk]), {"option": option.pk},
                       headers=FETCH).status_code == 404
    assert client.get(reverse("polls:results", args=[poll.pk])).status_code == 404
    assert client.post(reverse("polls:close", args=[poll.pk])).status_code == 404
    assert client.get(reverse("polls:new", args=[conversation_4b.pk])).status_code == 404
    assert client.get(reverse("messaging:card", args=[conversation_4b.pk,
                                                      poll.message_id])).status_code == 404


def test_the_closing_task_archives_the_counts_once(teacher: User, parent: User,
                                                   conversation_4b: Conversation) -> None:
    poll = _ask(teacher, conversation_4b)
    thursday = poll.options.all()[1]
    voting.vote(parent, poll, [thursday.pk])
    Poll.objects.filter(pk=poll.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    assert asking.count_closed() == 1
    assert asking.count_closed() == 0
    content = Payload.objects.get(record__kind="poll.closed").content
    assert content["counts"]["Thursday"] == 1 and content["early"] is False


def test_a_parents_export_holds_their_answers(teacher: User, parent: User,
                                              conversation_4b: Conversation) -> None:
    poll = _ask(teacher, conversation_4b)
    voting.vote(parent, poll, [poll.options.all()[2].pk])
    data = export.collect(user=parent)
    said = [e["description"] for e in data["events"]]
    assert "Answered the poll “Which afternoon suits the class party?”: Friday." in said


def test_retention_purges_a_closed_poll_with_its_records_and_the_archive_verifies(
        teacher: User, parent: User, school: School, conversation_4b: Conversation) -> None:
    poll = _ask(teacher, conversation_4b)
    voting.vote(parent, poll, [poll.options.first().pk])  # type: ignore[union-attr]
    kept = _ask(teacher, conversation_4b, question="Still open?", options=["Yes", "No"])
    long_ago = timezone.now() - timedelta(days=500)
    Poll.objects.filter(pk=poll.pk).update(closes_at=long_ago, created_at=long_ago)
    retention.apply_retention(timezone.now())
    assert not Poll.objects.filter(pk=poll.pk).exists() and not Vote.objects.exists()
    assert Poll.objects.filter(pk=kept.pk).exists()
    gone = Record.objects.filter(kind__startswith="poll.", message_id=poll.pk)
    assert gone.count() == 3 - 1  # created and voted (never counted: it closed by the update)
    assert not Payload.objects.filter(record__in=gone).exists()
    assert Payload.objects.filter(record__kind="poll.created", record__message_id=kept.pk).exists()
    # The announcing message is the chat's, under the chat's own policy: still there.
    assert Message.objects.filter(card=f"poll:{poll.pk}").exists()
    assert chain.verify().intact
    assert Category.POLLS in retention.purged_categories()


@pytest.mark.django_db(transaction=True)
async def test_an_answer_updates_the_teachers_card_live_and_tells_no_outsider(
        teacher: User, parent: User, parent_5a: User, conversation_4b: Conversation,
        conversation_5a: Conversation) -> None:
    poll = await database_sync_to_async(_ask)(teacher, conversation_4b)
    option = await database_sync_to_async(lambda: poll.options.all()[0])()
    socket = await connect(teacher)
    await subscribe(socket, conversation_4b)
    await receive_until(socket, "subscribed")
    outsider = await connect(parent_5a)
    await subscribe(outsider, conversation_5a)
    await receive_until(outsider, "subscribed")
    await database_sync_to_async(voting.vote)(parent, poll, [option.pk])
    hint = (await receive_until(socket, "card"))[-1]
    assert hint == {"type": "card", "conversation": conversation_4b.pk, "id": poll.message_id}
    assert await outsider.receive_nothing(timeout=0.3)
    await socket.disconnect()
    await outsider.disconnect()
