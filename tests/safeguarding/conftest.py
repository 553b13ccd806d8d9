"""Safeguarding personas, on top of the suite's (tests/conftest.py):

- ``lead``: the school's safeguarding lead, a member of no conversation.
- ``other_lead``: the lead of another school; nothing of this school is theirs.
"""

from __future__ import annotations

import pytest

from accounts.models import Role, School, User
from tests.factories import SchoolFactory, UserFactory


@pytest.fixture
def lead(school: School) -> User:
    return UserFactory(username="lead", display_name="Mr Veilig", role=Role.SAFEGUARDING,
                       school=school)


@pytest.fixture
def other_lead(db: None) -> User:
    return UserFactory(username="otherlead", display_name="Ms Elders", role=Role.SAFEGUARDING,
                       school=SchoolFactory(name="Other", slug="other"))
