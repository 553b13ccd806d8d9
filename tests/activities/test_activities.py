"""Announcing an activity, replying, and what each reader sees on its card: staff create it in
a class group, the parent replies for their child until the deadline, the staff's headcount
counts, another family sees nothing of it. Bad input gets a sentence."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Pupil, Role, SchoolClass, User
from activities import roll
from activities.actions import replies
from activities.actions.create import create_activity
from activities.models import Activity, Rsvp
from archive.models import Record
from consent.models import ConsentPurpose
from consent.services import states
from messaging.actions.membership import add_member
from messaging.models import Conversation, Message
from tests.activities.conftest import draft
from tests.factories import PupilFactory, UserFactory, enrol


@pytest.mark.django_db
def test_staff_announce_it_in_the_class_group_with_a_card(trip: Activity,
                                                          conversation_4b: Conversation) -> None:
    message = Message.objects.get(conversation=conversation_4b, card=f"activity:{trip.pk}")
    assert message.body.startswith("Trip: Trip to the zoo")
    assert "sign the permission slip" in message.body
    assert Record.objects.filter(kind="activity.created", scope=f"activities:{trip.school_id}").exists()
    assert trip.slip is not None and trip.slip.one_off
    assert trip.slip.current_form() is not None


@pytest.mark.django_db
def test_the_slip_stays_off_the_schools_consent_pages(trip: Activity, emma: Pupil) -> None:
    assert trip.slip is not None
    listed = {s.purpose.pk for s in states([emma])[emma.pk]}
    assert trip.slip.pk not in listed
    assert not ConsentPurpose.objects.standing().filter(pk=trip.slip.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("changes", "sentence"), [
    ({"starts_at": timezone.now() - timedelta(hours=1)}, "The activity cannot start in the past."),
    ({"ends_at": timezone.now() + timedelta(days=6)}, "The end must be after the start."),
    ({"reply_by": timezone.now() + timedelta(days=8)}, "The reply deadline must be before the start."),
    ({"kind": Activity.Kind.EVENT}, "Only a trip asks for a permission slip."),
    ({"title": "  "}, "Give the activity a title."),
])
def test_bad_input_gets_a_sentence(teacher: User, conversation_4b: Conversation,
                                   changes: dict[str, object], sentence: str) -> None:
    with pytest.raises(ValidationError) as refused:
        create_activity(teacher, [conversation_4b], draft(**changes))
    assert sentence in refused.value.messages
    assert not Activity.objects.exists()


@pytest.mark.django_db
def test_the_form_answers_bad_input_with_a_sentence_not_a_500(
        client: Client, teacher: User, conversation_4b: Conversation) -> None:
    client.force_login(teacher)
    assert client.get(reverse("activities:new")).status_code == 200
    past = timezone.localtime(timezone.now() - timedelta(days=1))
    response = client.post(reverse("activities:new"), {
        "kind": "event", "title": "Class party", "conversations": [str(conversation_4b.pk)],
        "starts_at": past.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (past - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "reply_by": (past - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "slip_rule": "any"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "The activity cannot start in the past." in body
    assert "The end must be after the start." in body
    assert not Activity.objects.exists()


@pytest.mark.django_db
def test_parents_may_not_announce(parent: User, conversation_4b: Conversation) -> None:
    with pytest.raises(PermissionDenied):
        create_activity(parent, [conversation_4b], draft())


@pytest.mark.django_db
def test_a_parent_replies_per_child_and_the_headcount_counts(
        trip: Activity, parent: User, emma: Pupil) -> None:
    replies.reply(parent, trip, emma, Rsvp.Answer.COMING, "Allergic to nuts")
    view = roll.overview(trip)
    assert (view.coming, view.maybe, view.not_coming) == (1, 0, 0)
    assert view.unanswered == view.total - 1
    replies.reply(parent, trip, emma, Rsvp.Answer.MAYBE)
    assert roll.overview(trip).coming == 0 and roll.overview(trip).maybe == 1
    assert Record.objects.filter(kind="activity.replied").count() == 2


@pytest.mark.django_db
def test_a_reply_after_the_deadline_gets_a_sentence(trip: Activity, parent: User, emma: Pupil,
                                                    client: Client) -> None:
    Activity.objects.filter(pk=trip.pk).update(reply_by=timezone.now() - timedelta(minutes=1))
    trip.refresh_from_db()
    with pytest.raises(ValidationError, match="Replies closed on"):
        replies.reply(parent, trip, emma, Rsvp.Answer.COMING)
    client.force_login(parent)
    response = client.post(reverse("activities:reply", args=[trip.pk]),
                           {"pupil": emma.pk, "answer": "coming"},
                           headers={"X-Requested-With": "fetch"})
    assert response.status_code == 400 and "Replies closed on" in response.content.decode()
    assert not Rsvp.objects.exists()


@pytest.mark.django_db
def test_a_reply_for_someone_elses_child_is_refused(trip: Activity, parent: User,
                                                    parent_5a: User) -> None:
    mateo = Pupil.objects.get(first_name="Mateo")
    with pytest.raises(ValidationError, match="not on this activity"):
        replies.reply(parent, trip, mateo, Rsvp.Answer.COMING)


@pytest.mark.django_db
def test_each_reader_sees_the_card_as_they_may(
        client: Client, trip: Activity, teacher: User, parent: User, parent_5a: User,
        emma: Pupil, conversation_4b: Conversation) -> None:
    message = Message.objects.get(card=f"activity:{trip.pk}")
    url = reverse("messaging:card", args=[conversation_4b.pk, message.pk])
    client.force_login(parent)
    card = client.get(url).content.decode()
    assert "Sign the permission slip" in card and "Coming" in card and "Emma" in card
    assert "Coming 0 · Maybe 0" not in card  # no headcount for parents
    client.force_login(teacher)
    card = client.get(url).content.decode()
    assert "Coming 0 · Maybe 0 · Not coming 0 · No reply 1" in card
    assert "Sign the permission slip" not in card
    client.force_login(parent_5a)
    assert client.get(url).status_code == 404
    assert client.get(reverse("activities:detail", args=[trip.pk])).status_code == 404


@pytest.mark.django_db
def test_parents_never_see_other_families_replies(
        client: Client, trip: Activity, parent: User, emma: Pupil, class_4b: SchoolClass,
        conversation_4b: Conversation, admin: User) -> None:
    other = UserFactory(username="other4b", role=Role.PARENT, school=parent.school)
    sam = enrol(PupilFactory(school=parent.school, first_name="Sam"), class_4b, other)
    add_member(conversation_4b, other, actor=admin)
    replies.reply(other, trip, sam, Rsvp.Answer.NOT_COMING, "Sam is ill")
    client.force_login(parent)
    page = client.get(reverse("activities:detail", args=[trip.pk])).content.decode()
    assert "Sam" not in page and "Sam is ill" not in page
    assert client.get(reverse("activities:list", args=[trip.pk])).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("pupil", ["", "abc", "9" * 30, "-1"])
def test_garbage_on_the_cards_forms_gets_a_sentence(client: Client, trip: Activity,
                                                    parent: User, pupil: str) -> None:
    client.force_login(parent)
    for name, data in (("reply", {"answer": "coming"}), ("sign", {"decision": "granted"})):
        response = client.post(reverse(f"activities:{name}", args=[trip.pk]),
                               {"pupil": pupil, **data}, headers={"X-Requested-With": "fetch"})
        assert response.status_code == 400
        assert response.content.decode() == "This child is not on this activity."


@pytest.mark.django_db
def test_the_header_links_the_activities_for_those_with_one_coming(
        client: Client, trip: Activity, parent: User, parent_5a: User) -> None:
    index = reverse("activities:index")
    client.force_login(parent)
    page = client.get(reverse("messaging:inbox")).content.decode()
    assert f'href="{index}"' in page
    assert "Trip to the zoo" in client.get(index).content.decode()
    client.force_login(parent_5a)
    assert f'href="{index}"' not in client.get(reverse("messaging:inbox")).content.decode()
