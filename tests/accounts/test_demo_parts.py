"""The demo school's parts: each app above accounts registers its own, and seed_demo runs them
in their order after the people and classes, without naming the apps."""

from __future__ import annotations

from typing import Any

import pytest

from absence import demo as absence_demo
from accounts import demo
from activities import demo as activities_demo
from consent import demo as consent_demo
from meetings import demo as meetings_demo
from messaging import demo as messaging_demo
from polls import demo as polls_demo
from safeguarding import demo as safeguarding_demo


def test_the_apps_above_register_their_parts_in_order() -> None:
    assert demo.parts() == [consent_demo.seed, messaging_demo.seed, activities_demo.seed,
                            safeguarding_demo.seed, absence_demo.seed, meetings_demo.seed,
                            polls_demo.seed]


def test_a_taken_name_refuses_another_part_and_keeps_its_own() -> None:
    def other(context: dict[str, Any]) -> None:
        raise AssertionError("never seeded")

    with pytest.raises(RuntimeError, match="'messaging' is already registered"):
        demo.register_part("messaging", other, order=20)
    demo.register_part("messaging", messaging_demo.seed, order=20)  # ready() again: no change
    assert demo.parts() == [consent_demo.seed, messaging_demo.seed, activities_demo.seed,
                            safeguarding_demo.seed, absence_demo.seed, meetings_demo.seed,
                            polls_demo.seed]
