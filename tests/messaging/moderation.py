"""What the moderation tests share: a safeguarding lead, and a screen that holds and flags."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest

from accounts.models import Role, School, User
from messaging import screening
from tests.factories import UserFactory


def hold_and_flag(drafts: Sequence[screening.Draft]) -> list[screening.Verdict]:
    """Holds what mentions "meet me", flags what mentions "sad"."""
    return [screening.Verdict(hold="meet me" in d.body.lower(),
                              flags=["sad"] if "sad" in d.body.lower() else [])
            for d in drafts]


@pytest.fixture
def lead(school: School) -> User:
    return UserFactory(username="lead", display_name="Mr Veilig", role=Role.SAFEGUARDING,
                       school=school)


@pytest.fixture
def unscreened(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messaging with no screen registered (the safeguarding app registers its own)."""
    monkeypatch.setattr(screening, "_screens", [])


@pytest.fixture
def screened() -> Iterator[None]:
    """The school's safeguarding app, as far as messaging sees it: one screen registered."""
    screening.register(hold_and_flag)
    yield
    screening.unregister(hold_and_flag)
