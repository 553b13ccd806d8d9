"""The custody rule of a permission slip: an "all guardians" slip with one signature does not
count; a no-contact guardian's signature is refused, as is one by a guardian without parental
responsibility; a withdrawal before the date takes the child off the trip list at once; after
the start nothing changes. The absence hook keeps absent children off the list."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Guardianship, Pupil, Role, User
from activities import absent, roll
from activities.actions import reminders, replies, slips
from activities.actions.create import create_activity
from activities.models import Activity, Rsvp
from archive.models import Record
from consent.models import ConsentRecord
from messaging.actions.membership import add_member
from messaging.models import Conversation
from tests.activities.conftest import draft
from tests.factories import UserFactory


def _guardian(pupil: Pupil, username: str, **flags: bool) -> User:
    user = UserFactory(username=username, role=Role.PARENT, school=pupil.school)
    Guardianship.objects.create(guardian=user, pupil=pupil, relationship="parent", **flags)
    return user


def _going(activity: Activity) -> set[str]:
    return {row.pupil.first_name for row in roll.trip_list(activity)}


@pytest.mark.django_db
def test_any_guardian_signs_and_the_child_may_go(trip: Activity, parent: User, emma: Pupil) -> None:
    assert "Emma" not in _going(trip)
    record = slips.sign(parent, trip, emma)
    assert record.decision == ConsentRecord.Decision.GRANTED and record.form.purpose == trip.slip
    assert "Emma" in _going(trip)
    # Also a consent record in the pupil's chain, and the activity's own record.
    assert Record.objects.filter(kind="consent.granted", scope=f"pupil:{emma.pk}").exists()
    assert Record.objects.filter(kind="activity.signed").count() == 1
    # A double tap adds nothing.
    slips.sign(parent, trip, emma)
    assert Record.objects.filter(kind="activity.signed").count() == 1


@pytest.mark.django_db
def test_an_all_guardians_slip_with_one_signature_does_not_count(
        teacher: User, conversation_4b: Conversation, parent: User, emma: Pupil) -> None:
    second = _guardian(emma, "mark")
    activity = create_activity(teacher, [conversation_4b],
                               draft(slip_rule=Activity.SlipRule.ALL))
    slips.sign(parent, activity, emma)
    slip = roll.slips(activity, [emma.pk])[emma.pk]
    assert not slip.counts and slip.waiting_for == [second.pk]
    assert "Emma" not in _going(activity)
    slips.sign(second, activity, emma)
    assert roll.slips(activity, [emma.pk])[emma.pk].counts
    assert "Emma" in _going(activity)


@pytest.mark.django_db
def test_a_no_contact_guardian_never_signs_nor_is_waited_for(
        teacher: User, conversation_4b: Conversation, parent: User, emma: Pupil,
        client: Client) -> None:
    banned = _guardian(emma, "banned", no_contact=True)
    activity = create_activity(teacher, [conversation_4b],
                               draft(slip_rule=Activity.SlipRule.ALL))
    with pytest.raises(ValidationError, match="cannot take your signature"):
        slips.sign(banned, activity, emma)
    assert not ConsentRecord.objects.filter(guardian=banned).exists()
    # "All" means all who may sign: the no-contact guardian is not waited for.
    slips.sign(parent, activity, emma)
    assert roll.slips(activity, [emma.pk])[emma.pk].counts


@pytest.mark.django_db
def test_a_guardian_without_parental_responsibility_gets_a_sentence(
        trip: Activity, emma: Pupil, client: Client, conversation_4b: Conversation,
        admin: User) -> None:
    step = _guardian(emma, "step", parental_responsibility=False)
    with pytest.raises(ValidationError, match="Only a parent with parental responsibility"):
        slips.sign(step, trip, emma)
    add_member(conversation_4b, step, actor=admin)
    client.force_login(step)
    response = client.post(reverse("activities:sign", args=[trip.pk]),
                           {"pupil": emma.pk, "decision": "granted"},
                           headers={"X-Requested-With": "fetch"})
    assert response.status_code == 400
    assert "Only a parent with parental responsibility" in response.content.decode()
    assert not ConsentRecord.objects.exists()


@pytest.mark.django_db
def test_a_withdrawal_before_the_date_takes_the_child_off_the_trip_list(
        trip: Activity, parent: User, emma: Pupil) -> None:
    slips.sign(parent, trip, emma)
    assert "Emma" in _going(trip)
    slips.withdraw(parent, trip, emma)
    assert "Emma" not in _going(trip)
    slip = roll.slips(trip, [emma.pk])[emma.pk]
    assert slip.withdrawn and not slip.counts
    assert Record.objects.filter(kind="activity.withdrawn").count() == 1
    assert Record.objects.filter(kind="consent.withdrawn").count() == 1


@pytest.mark.django_db
def test_after_the_start_the_slip_no_longer_changes(trip: Activity, parent: User,
                                                   emma: Pupil) -> None:
    slips.sign(parent, trip, emma)
    Activity.objects.filter(pk=trip.pk).update(starts_at=timezone.now() - timedelta(minutes=1),
                                               reply_by=timezone.now() - timedelta(hours=1))
    trip.refresh_from_db()
    with pytest.raises(ValidationError, match="has started"):
        slips.withdraw(parent, trip, emma)


@pytest.fixture
def emma_is_ill(emma: Pupil) -> Iterator[None]:
    def check(pupil_ids: Collection[int], on: date) -> set[int]:
        return {emma.pk} & set(pupil_ids)

    absent.register_absent_check(check)
    yield
    absent.unregister_absent_check(check)


@pytest.mark.django_db
def test_nobody_is_absent_until_the_absence_app_says_so(trip: Activity, parent: User,
                                                        emma: Pupil) -> None:
    slips.sign(parent, trip, emma)
    assert absent.absent([emma.pk], date.today()) == set()
    assert "Emma" in _going(trip)


@pytest.mark.django_db
def test_an_absent_child_is_off_the_trip_list(trip: Activity, parent: User, emma: Pupil,
                                             emma_is_ill: None, teacher: User,
                                             client: Client) -> None:
    slips.sign(parent, trip, emma)
    assert "Emma" not in _going(trip)
    client.force_login(teacher)
    page = client.get(reverse("activities:trip", args=[trip.pk])).content.decode()
    assert "0 children may go" in page and "absent" in page


@pytest.mark.django_db
def test_under_all_guardians_the_reminder_goes_to_the_one_who_has_not_signed(
        teacher: User, conversation_4b: Conversation, parent: User, emma: Pupil) -> None:
    second = _guardian(emma, "mark")
    _guardian(emma, "banned", no_contact=True)
    activity = create_activity(teacher, [conversation_4b],
                               draft(slip_rule=Activity.SlipRule.ALL))
    replies.reply(parent, activity, emma, Rsvp.Answer.COMING)
    slips.sign(parent, activity, emma)
    assert [u.pk for u in reminders.waiting(activity)] == [second.pk]
