"""Personas for the activities, on top of tests/conftest.py: the 4B teacher announces a zoo trip
with a permission slip in the 4B class group, where Anna (parent) has Emma."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Pupil, User
from activities.actions.create import Draft, create_activity
from activities.models import Activity
from messaging.models import Conversation

SLIP = "I give permission for my child to go to the zoo by coach."


def draft(**changes: object) -> Draft:
    now = timezone.now()
    values: dict[str, object] = {
        "title": "Trip to the zoo", "kind": Activity.Kind.TRIP,
        "starts_at": now + timedelta(days=7), "ends_at": now + timedelta(days=7, hours=6),
        "reply_by": now + timedelta(days=5), "place": "Artis", "bring": "Packed lunch",
        "cost": "€ 7.50", "slip_text": SLIP, "slip_rule": Activity.SlipRule.ANY}
    values.update(changes)
    return Draft(**values)  # type: ignore[arg-type]


@pytest.fixture
def trip(teacher: User, conversation_4b: Conversation) -> Activity:
    return create_activity(teacher, [conversation_4b], draft())


@pytest.fixture
def emma(parent: User) -> Pupil:
    return Pupil.objects.get(first_name="Emma", guardianships__guardian=parent)
