"""Class conversation membership is derived from the roster, staff assignments and consent."""

from datetime import date, timedelta

import pytest
from django.db import transaction
from django.utils import timezone

import consent
from accounts.actions.enrolment import assign_staff, enrol, set_guardianship, unassign_staff
from accounts.actions.leavers import pupil_leaves
from accounts.models import Enrolment, Guardianship, Pupil, Role, School, SchoolClass, User
from accounts.signals import roster_changed
from archive.models import Record
from consent.models import ConsentForm, ConsentPurpose, ConsentRecord
from consent.signals import consent_changed
from messaging.access import readable_conversations
from messaging.actions import membership
from messaging.actions.classes import class_conversation, sync_class_conversation
from messaging.models import Membership
from tests.factories import PupilFactory, SchoolClassFactory, UserFactory

pytestmark = pytest.mark.django_db


def members(school_class: SchoolClass) -> set[str]:
    conversation = class_conversation(school_class)
    return set(
        Membership.objects.filter(conversation=conversation, ended_at__isnull=True)
        .values_list("user__username", flat=True)
    )


def guardian(school: School, username: str) -> User:
    return UserFactory(username=username, role=Role.PARENT, school=school)


def decide(pupil: Pupil, by: User, decision: str) -> None:
    purpose, _ = ConsentPurpose.objects.get_or_create(
        school=pupil.school, code=consent.PARTICIPATION, defaults={"name": "Chat"}
    )
    form, _ = ConsentForm.objects.get_or_create(
        purpose=purpose, version=1, defaults={"text": "May join", "published_at": timezone.now()}
    )
    record = ConsentRecord.objects.create(
        pupil=pupil, guardian=by, form=form, decision=decision, recorded_by=by,
        decided_at=timezone.now(),
    )
    consent_changed.send(sender=ConsentRecord, pupil=pupil, purpose=consent.PARTICIPATION,
                         decision=decision, record=record)


def test_the_class_staff_and_responsible_guardians_are_members(school: School, class_4b: SchoolClass,
                                                               admin: User) -> None:
    teacher = UserFactory(username="t4b", role=Role.TEACHER, school=school)
    mum, dad, aunt, barred = (guardian(school, n) for n in ("mum", "dad", "aunt", "barred"))
    pupil = PupilFactory(school=school)
    enrol(pupil, class_4b, actor=admin)
    set_guardianship(mum, pupil, actor=admin)
    set_guardianship(dad, pupil, actor=admin)
    set_guardianship(aunt, pupil, actor=admin, parental_responsibility=False)
    set_guardianship(barred, pupil, actor=admin, no_contact=True)
    assign_staff(teacher, class_4b, actor=admin)
    assert members(class_4b) == {"t4b", "mum", "dad"}
    conversation = class_conversation(class_4b)
    assert conversation in readable_conversations(mum)
    assert conversation not in readable_conversations(aunt)
    from accounts.access import can

    assert can(teacher, "conversation.manage_members", conversation)
    assert not can(mum, "conversation.manage_members", conversation)


def test_a_no_contact_flag_set_later_removes_the_guardian(school: School, class_4b: SchoolClass,
                                                          admin: User) -> None:
    mum = guardian(school, "mum")
    pupil = PupilFactory(school=school)
    enrol(pupil, class_4b, actor=admin)
    set_guardianship(mum, pupil, actor=admin)
    assert members(class_4b) == {"mum"}
    set_guardianship(mum, pupil, actor=admin, no_contact=True)
    assert members(class_4b) == set()


def test_unassigning_a_teacher_removes_them(school: School, class_4b: SchoolClass, admin: User) -> None:
    teacher = UserFactory(username="t4b", role=Role.TEACHER, school=school)
    assign_staff(teacher, class_4b, actor=admin)
    assert members(class_4b) == {"t4b"}
    unassign_staff(teacher, class_4b, actor=admin)
    assert members(class_4b) == set()


def test_only_current_enrolments_count(school: School, class_4b: SchoolClass, admin: User) -> None:
    past, future_end = guardian(school, "past"), guardian(school, "stays")
    gone = PupilFactory(school=school)
    Enrolment.objects.create(pupil=gone, school_class=class_4b, starts_on=date(2020, 9, 1),
                             ends_on=timezone.localdate() - timedelta(days=1))
    Guardianship.objects.create(guardian=past, pupil=gone)
    leaving = PupilFactory(school=school)
    Enrolment.objects.create(pupil=leaving, school_class=class_4b, starts_on=date(2020, 9, 1),
                             ends_on=timezone.localdate() + timedelta(days=30))
    Guardianship.objects.create(guardian=future_end, pupil=leaving)
    sync_class_conversation(class_4b)
    assert members(class_4b) == {"stays"}


def test_moving_class_moves_the_guardians(school: School, class_4b: SchoolClass, class_5a: SchoolClass,
                                          admin: User) -> None:
    mum = guardian(school, "mum")
    pupil = PupilFactory(school=school)
    enrol(pupil, class_4b, actor=admin)
    set_guardianship(mum, pupil, actor=admin)
    enrol(pupil, class_5a, actor=admin)
    assert members(class_4b) == set()
    assert members(class_5a) == {"mum"}
    # The history is kept: the 4B membership was ended, not deleted.
    assert Membership.objects.filter(user=mum, ended_at__isnull=False).count() == 1


def test_a_guardian_with_another_child_in_the_class_stays_when_one_leaves(school: School,
                                                                          class_4b: SchoolClass,
                                                                          admin: User) -> None:
    mum = guardian(school, "mum")
    first, second = PupilFactory(school=school), PupilFactory(school=school)
    for child in (first, second):
        enrol(child, class_4b, actor=admin)
        set_guardianship(mum, child, actor=admin)
    pupil_leaves(first, actor=admin)
    assert members(class_4b) == {"mum"}
    pupil_leaves(second, actor=admin)
    assert members(class_4b) == set()


def test_pupil_accounts_need_the_policy_and_consent_below_the_consent_age(school: School,
                                                                          class_4b: SchoolClass,
                                                                          admin: User) -> None:
    mum = guardian(school, "mum")
    account = UserFactory(username="kid", role=Role.PUPIL, school=school)
    today = timezone.localdate()
    pupil = PupilFactory(school=school, user=account,
                         date_of_birth=today.replace(year=today.year - 12))
    enrol(pupil, class_4b, actor=admin)
    set_guardianship(mum, pupil, actor=admin)
    # Pupil accounts off (the default): consent alone does not let the pupil in.
    decide(pupil, mum, ConsentRecord.Decision.GRANTED)
    assert members(class_4b) == {"mum"}
    school.pupil_accounts = True
    school.save()
    sync_class_conversation(class_4b)
    assert members(class_4b) == {"mum", "kid"}
    # Withdrawal takes the pupil out at once (the consent signal recomputes the class).
    decide(pupil, mum, ConsentRecord.Decision.WITHDRAWN)
    assert members(class_4b) == {"mum"}
    # At or above the school's digital-consent age no guardian consent is needed.
    school.digital_consent_age = 12
    school.save()
    sync_class_conversation(class_4b)
    assert members(class_4b) == {"mum", "kid"}


def test_a_hand_added_member_of_a_class_conversation_is_removed_on_recompute(school: School,
                                                                             class_4b: SchoolClass,
                                                                             admin: User) -> None:

    stranger = guardian(school, "stranger")
    conversation = class_conversation(class_4b)
    membership.add_member(conversation, stranger, actor=admin)
    sync_class_conversation(class_4b)
    assert members(class_4b) == set()


def test_recompute_is_a_no_op_when_nothing_changed(school: School, class_4b: SchoolClass,
                                                   admin: User) -> None:
    mum = guardian(school, "mum")
    pupil = PupilFactory(school=school)
    enrol(pupil, class_4b, actor=admin)
    set_guardianship(mum, pupil, actor=admin)
    assert sync_class_conversation(class_4b) == {"added": 0, "removed": 0}


def test_another_class_is_untouched(school: School, class_4b: SchoolClass, admin: User) -> None:
    other = SchoolClassFactory(school=school, name="6C")
    mum = guardian(school, "mum")
    pupil = PupilFactory(school=school)
    enrol(pupil, class_4b, actor=admin)
    set_guardianship(mum, pupil, actor=admin)
    assert members(other) == set()


@pytest.mark.django_db(transaction=True)
def test_a_guardians_decision_through_the_consent_actions_moves_the_pupil(school: School,
                                                                          class_4b: SchoolClass,
                                                                          admin: User) -> None:
    """The real consent action sends consent_changed on commit; the class group follows."""
    from consent import actions as consent_actions

    school.pupil_accounts = True
    school.save()
    consent_actions.ensure_purposes(school)
    mum = guardian(school, "mum")
    account = UserFactory(username="kid", role=Role.PUPIL, school=school)
    today = timezone.localdate()
    pupil = PupilFactory(school=school, user=account,
                         date_of_birth=today.replace(year=today.year - 11))
    enrol(pupil, class_4b, actor=admin)
    set_guardianship(mum, pupil, actor=admin)
    assert members(class_4b) == {"mum"}
    consent_actions.decide(mum, pupil, consent.PARTICIPATION, ConsentRecord.Decision.GRANTED)
    assert members(class_4b) == {"mum", "kid"}
    consent_actions.decide(mum, pupil, consent.PARTICIPATION, ConsentRecord.Decision.WITHDRAWN)
    assert members(class_4b) == {"mum"}


def test_an_enrolment_rolled_back_takes_its_class_group_membership_with_it(
        school: School, class_4b: SchoolClass, admin: User) -> None:
    """The class group follows the roster inside the enrolment's own transaction: the member
    is there as soon as enrol returns, and gone with it when that transaction rolls back."""
    mum = guardian(school, "mum")
    pupil = PupilFactory(school=school)
    set_guardianship(mum, pupil, actor=admin)
    with pytest.raises(RuntimeError), transaction.atomic():
        enrol(pupil, class_4b, actor=admin)
        assert members(class_4b) == {"mum"}
        raise RuntimeError("the enrolment fails after all")
    assert members(class_4b) == set()
    assert not Record.objects.filter(kind="member.added").exists()


def test_each_change_archives_each_member_once(school: School, class_4b: SchoolClass,
                                               admin: User) -> None:
    """One enrolment, one member.added per new member: the class is synced once per change."""
    mum, dad = guardian(school, "mum"), guardian(school, "dad")
    pupil = PupilFactory(school=school)
    set_guardianship(mum, pupil, actor=admin)
    set_guardianship(dad, pupil, actor=admin)
    enrol(pupil, class_4b, actor=admin)
    added = Record.objects.filter(kind="member.added").values_list("subjects__user_id", flat=True)
    assert sorted(pk for pk in added if pk is not None) == sorted([mum.pk, dad.pk])
    assert None not in added


def test_messaging_follows_the_roster_signal_alone(school: School, class_4b: SchoolClass,
                                                   admin: User) -> None:
    """accounts only announces that a class's roster changed; the class group follows."""
    mum = guardian(school, "mum")
    pupil = PupilFactory(school=school)
    Guardianship.objects.create(guardian=mum, pupil=pupil)
    Enrolment.objects.create(pupil=pupil, school_class=class_4b,
                             starts_on=timezone.localdate())
    assert members(class_4b) == set()
    roster_changed.send(sender=None, school_classes=[class_4b], actor=admin)
    assert members(class_4b) == {"mum"}
