"""photo_problems(): what the attachment code asks before a photo tagging pupils is posted."""

from __future__ import annotations

import pytest
from django.utils import translation

import consent
from consent import actions
from consent.services import photo_problems
from tests.factories import PupilFactory, UserFactory, enrol


@pytest.fixture
def noah(school, class_4b):
    guardian = UserFactory(username="parent_noah", school=school)
    pupil = enrol(PupilFactory(school=school, first_name="Noah", last_name="Bakker"), class_4b,
                  guardian)
    pupil.guardian = guardian
    return pupil


def _grant(guardian, pupil, *codes):
    for code in codes:
        actions.decide(guardian, pupil, code, "granted")


def test_a_pupil_with_photo_consent_may_be_tagged(purposes, parent, emma, conversation_4b):
    _grant(parent, emma, consent.PHOTOS_CLASS)
    assert photo_problems([emma]) == []


def test_no_pupil_tagged_is_no_problem(purposes, conversation_4b):
    assert photo_problems([]) == []


def test_a_pupil_without_photo_consent_is_named(purposes, parent, emma, conversation_4b):
    actions.decide(parent, emma, consent.PHOTOS_CLASS, "refused")
    assert photo_problems([emma]) == [
        f"{emma} has no consent for “Photos in class groups”."
    ]


def test_a_withdrawal_makes_it_a_problem_again(purposes, parent, emma, conversation_4b):
    _grant(parent, emma, consent.PHOTOS_CLASS)
    actions.decide(parent, emma, consent.PHOTOS_CLASS, "withdrawn")
    assert len(photo_problems([emma])) == 1


def test_two_pupils_also_need_photos_together(purposes, parent, emma, noah, conversation_4b):
    _grant(parent, emma, consent.PHOTOS_CLASS, consent.PHOTOS_TOGETHER)
    _grant(noah.guardian, noah, consent.PHOTOS_CLASS)
    assert photo_problems([emma, noah]) == [
        f"{noah} has no consent for “Photos together with other children”."
    ]
    # Alone, Noah's photo is fine.
    assert photo_problems([noah]) == []
    _grant(noah.guardian, noah, consent.PHOTOS_TOGETHER)
    assert photo_problems([emma, noah]) == []


def test_every_missing_consent_of_every_pupil_is_listed(purposes, emma, noah, conversation_4b):
    problems = photo_problems([emma, noah, emma])  # a repeated tag counts once
    assert len(problems) == 4
    assert sum(str(emma) in p for p in problems) == 2
    assert sum(str(noah) in p for p in problems) == 2


def test_the_reasons_speak_the_senders_language(purposes, parent, emma, conversation_4b):
    with translation.override("nl"):
        problems = photo_problems([emma])
    assert problems == [f"{emma} heeft geen toestemming voor “Foto's in klasgroepen”."]
