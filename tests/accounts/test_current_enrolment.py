""""Current enrolment" on its boundary days, asked through every place that asks it.

An enrolment holds from its start day up to, not including, its end day. When a pupil moves
class today, ``enrol()`` ends the old enrolment today and starts the new one today, so today the
pupil is in the new class only: in its group, its consent coverage, its photo tags and its
list of pupils; the old class lets go of them everywhere at once.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

import consent
from accounts.access import can
from accounts.actions.classes import classes_of_pupil
from accounts.actions.enrolment import enrol
from accounts.actions.leavers import process_due_leavers
from accounts.models import Enrolment, Guardianship, Pupil, School, SchoolClass, User
from consent import actions as consent_actions
from consent.services import class_pupils, coverage
from messaging.actions.classes import class_conversation, sync_class_conversation, sync_classes
from messaging.models import Conversation, Membership
from tests.factories import PupilFactory, UserFactory
from tests.messaging.images import photo_with_location

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def emma(parent: User) -> Pupil:
    return Guardianship.objects.get(guardian=parent).pupil


@pytest.fixture
def teacher_5a(school: School, class_5a: SchoolClass) -> User:
    user = UserFactory(username="teacher5a", display_name="Mr Ivanov", role="teacher",
                       school=school)
    class_5a.staff.add(user)
    return user


@pytest.fixture
def groups(class_4b: SchoolClass, class_5a: SchoolClass, teacher: User, teacher_5a: User, parent: User,
           emma: Pupil) -> tuple[Conversation, Conversation]:
    """Both class groups, derived from the roster, with Emma's photo consent granted."""
    consent_actions.ensure_purposes(class_4b.school)
    consent_actions.decide(parent, emma, consent.PHOTOS_CLASS, "granted")
    sync_classes([class_4b, class_5a])
    return (class_conversation(class_4b), class_conversation(class_5a))


def _today() -> date:
    return timezone.localdate()


def _in_group(user: User, conversation: Conversation) -> bool:
    return Membership.objects.filter(conversation=conversation, user=user,
                                     ended_at__isnull=True).exists()


def _listed(client: Client, user: User, conversation: Conversation) -> set[int]:
    """The pupils the class page offers for tagging (HTTP)."""
    client.force_login(user)
    response = client.get(reverse("messaging:class_pupils", args=[conversation.pk]))
    assert response.status_code == 200
    return {row["id"] for row in response.json()["pupils"]}


def _covered(client: Client, user: User, school_class: SchoolClass, pupil: Pupil) -> bool:
    """Whether the consent coverage page of the class lists the pupil (HTTP)."""
    client.force_login(user)
    response = client.get(reverse("consent:coverage", args=[school_class.pk]))
    assert response.status_code == 200
    return pupil.first_name in response.content.decode()


def _tag(client: Client, user: User, conversation: Conversation, pupil: Pupil) -> int:
    client.force_login(user)
    response = client.post(reverse("messaging:upload", args=[conversation.pk]), {
        "file": SimpleUploadedFile("p.jpg", photo_with_location()), "pupils": [pupil.pk]})
    return response.status_code


def test_on_the_day_a_pupil_moves_class_they_are_in_the_new_class_only(
        client: Client, groups: tuple[Conversation, Conversation], class_4b: SchoolClass,
        class_5a: SchoolClass, teacher: User, teacher_5a: User, parent: User, emma: Pupil) -> None:
    group_4b, group_5a = groups
    enrol(emma, class_5a)  # today

    old = Enrolment.objects.get(pupil=emma, school_class=class_4b)
    assert old.ends_on == _today()
    assert classes_of_pupil(emma) == [class_5a]
    # Class-group membership: the family is in the new group, out of the old.
    assert _in_group(parent, group_5a) and not _in_group(parent, group_4b)
    # Consent coverage: the new class counts Emma, the old one no longer does.
    assert emma not in class_pupils(class_4b) and emma in class_pupils(class_5a)
    assert all(emma not in [p for p, _s in c.lacking] for c in coverage(class_4b))
    assert not _covered(client, teacher, class_4b, emma)
    consent_actions.decide(parent, emma, consent.PHOTOS_CLASS, "withdrawn")
    assert _covered(client, teacher_5a, class_5a, emma)
    consent_actions.decide(parent, emma, consent.PHOTOS_CLASS, "granted")
    # Consent enforcement: the old class's teacher no longer records paper consent for her,
    # nor tags her in the old group's photos; the new class's teacher does.
    assert not can(teacher, "consent.record_paper", emma)
    assert can(teacher_5a, "consent.record_paper", emma)
    assert _tag(client, teacher, group_4b, emma) == 400
    assert _tag(client, teacher_5a, group_5a, emma) == 201
    # The class pages offer her in the new class only.
    assert emma.pk not in _listed(client, teacher, group_4b)
    assert emma.pk in _listed(client, teacher_5a, group_5a)


def test_an_enrolment_holds_on_its_first_day_and_not_before(
        client: Client, groups: tuple[Conversation, Conversation], class_4b: SchoolClass, teacher: User,
        school: School) -> None:
    group_4b = groups[0]
    guardian = UserFactory(username="noah_parent", school=school)
    noah = PupilFactory(school=school, first_name="Noah")
    Guardianship.objects.create(guardian=guardian, pupil=noah)
    consent_actions.decide(guardian, noah, consent.PHOTOS_CLASS, "granted")
    enrolment = Enrolment.objects.create(pupil=noah, school_class=class_4b,
                                         starts_on=_today() + timedelta(days=1))
    sync_class_conversation(class_4b)

    # Tomorrow's enrolment: not yet in the class anywhere.
    assert not _in_group(guardian, group_4b)
    assert noah not in class_pupils(class_4b)
    assert not can(teacher, "consent.record_paper", noah)
    assert noah.pk not in _listed(client, teacher, group_4b)
    assert _tag(client, teacher, group_4b, noah) == 400

    # Its first day: in the class everywhere.
    Enrolment.objects.filter(pk=enrolment.pk).update(starts_on=_today())
    sync_class_conversation(class_4b)
    assert _in_group(guardian, group_4b)
    assert noah in class_pupils(class_4b)
    assert can(teacher, "consent.record_paper", noah)
    assert noah.pk in _listed(client, teacher, group_4b)
    assert _tag(client, teacher, group_4b, noah) == 201


def test_an_enrolment_holds_the_day_before_it_ends_and_not_on_its_end_day(
        client: Client, groups: tuple[Conversation, Conversation], class_4b: SchoolClass, teacher: User,
        parent: User, emma: Pupil) -> None:
    group_4b = groups[0]
    Enrolment.objects.filter(pupil=emma).update(ends_on=_today() + timedelta(days=1))
    sync_class_conversation(class_4b)
    assert _in_group(parent, group_4b)
    assert emma in class_pupils(class_4b)
    assert can(teacher, "consent.record_paper", emma)
    assert emma.pk in _listed(client, teacher, group_4b)
    assert _tag(client, teacher, group_4b, emma) == 201

    Enrolment.objects.filter(pupil=emma).update(ends_on=_today())
    sync_class_conversation(class_4b)
    assert not _in_group(parent, group_4b)
    assert emma not in class_pupils(class_4b)
    assert not can(teacher, "consent.record_paper", emma)
    assert emma.pk not in _listed(client, teacher, group_4b)
    assert _tag(client, teacher, group_4b, emma) == 400


def test_a_pupil_is_in_no_class_from_their_leave_day(client: Client,
                                                     groups: tuple[Conversation, Conversation],
                                                     class_4b: SchoolClass, teacher: User, parent: User,
                                                     emma: Pupil) -> None:
    """Even before the leaver processing has ended the enrolment rows."""
    Pupil.objects.filter(pk=emma.pk).update(left_on=_today())
    sync_class_conversation(class_4b)
    assert not Enrolment.objects.current().filter(pupil=emma).exists()
    assert Enrolment.objects.open_on().filter(pupil=emma).exists()  # still to be closed
    assert not _in_group(parent, groups[0])
    assert emma not in class_pupils(class_4b)
    assert emma.pk not in _listed(client, teacher, groups[0])
    assert process_due_leavers()["pupils"] == 1
    assert not Enrolment.objects.open_on().filter(pupil=emma).exists()
