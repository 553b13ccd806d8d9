"""photo_problems(): what the attachment code asks before a photo tagging pupils is posted."""

from __future__ import annotations

import pytest
from django.utils import translation

import consent
from accounts.models import Pupil, School, SchoolClass, User
from consent import actions
from consent.models import ConsentPurpose
from consent.services import photo_problems
from messaging.models import Conversation
from tests.factories import PupilFactory, UserFactory, enrol


@pytest.fixture
def noah(school: School, class_4b: SchoolClass) -> Pupil:
    guardian = UserFactory(username="parent_noah", school=school)
    pupil = enrol(PupilFactory(school=school, first_name="Noah", last_name="Bakker"), class_4b,
                  guardian)
    pupil.guardian = guardian  # type: ignore[attr-defined]  # the tests grant as Noah's guardian
    return pupil


def _grant(guardian: User, pupil: Pupil, *codes: str) -> None:
    for code in codes:
        actions.decide(guardian, pupil, code, "granted")


def test_a_pupil_with_photo_consent_may_be_tagged(purposes: dict[str, ConsentPurpose], parent: User,
                                                  emma: Pupil, conversation_4b: Conversation) -> None:
    _grant(parent, emma, consent.PHOTOS_CLASS)
    assert photo_problems([emma]) == []


def test_no_pupil_tagged_is_no_problem(purposes: dict[str, ConsentPurpose],
                                       conversation_4b: Conversation) -> None:
    assert photo_problems([]) == []


def test_a_pupil_without_photo_consent_is_named(purposes: dict[str, ConsentPurpose], parent: User,
                                                emma: Pupil, conversation_4b: Conversation) -> None:
    actions.decide(parent, emma, consent.PHOTOS_CLASS, "refused")
    assert photo_problems([emma]) == [
        f"{emma} has no consent for “Photos in class groups”."
    ]


def test_a_withdrawal_makes_it_a_problem_again(purposes: dict[str, ConsentPurpose], parent: User, emma: Pupil,
                                               conversation_4b: Conversation) -> None:
    _grant(parent, emma, consent.PHOTOS_CLASS)
    actions.decide(parent, emma, consent.PHOTOS_CLASS, "withdrawn")
    assert len(photo_problems([emma])) == 1


def test_two_pupils_also_need_photos_together(purposes: dict[str, ConsentPurpose], parent: User, emma: Pupil,
                                              noah: Pupil, conversation_4b: Conversation) -> None:
    _grant(parent, emma, consent.PHOTOS_CLASS, consent.PHOTOS_TOGETHER)
    _grant(noah.guardian, noah,  # type: ignore[attr-defined]  # set by the fixture
           consent.PHOTOS_CLASS)
    assert photo_problems([emma, noah]) == [
        f"{noah} has no consent for “Photos together with other children”."
    ]
    # Alone, Noah's photo is fine.
    assert photo_problems([noah]) == []
    _grant(noah.guardian, noah,  # type: ignore[attr-defined]  # set by the fixture
           consent.PHOTOS_TOGETHER)
    assert photo_problems([emma, noah]) == []


def test_every_missing_consent_of_every_pupil_is_listed(purposes: dict[str, ConsentPurpose], emma: Pupil,
                                                        noah: Pupil, conversation_4b: Conversation) -> None:
    problems = photo_problems([emma, noah, emma])  # a repeated tag counts once
    assert len(problems) == 4
    assert sum(str(emma) in p for p in problems) == 2
    assert sum(str(noah) in p for p in problems) == 2


def test_the_reasons_speak_the_senders_language(purposes: dict[str, ConsentPurpose], parent: User,
                                                emma: Pupil, conversation_4b: Conversation) -> None:
    with translation.override("nl"):
        problems = photo_problems([emma])
    assert problems == [f"{emma} heeft geen toestemming voor “Foto's in klasgroepen”."]
