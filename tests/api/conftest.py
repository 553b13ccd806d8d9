"""The API's personas: tokens of Test Primary acting as its 4B teacher or its admin, one per
scope, plus a revoked one; and the things they are asked about."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.models import School, User
from api.actions import create_token, revoke_token
from messaging.actions.send import post_message
from messaging.models import Conversation

SCOPES = ["conversations:read", "announcements:write", "acknowledgements:read", "roster:write",
          "absences:read", "bookings:read", "all"]
ROSTER = ("pupil_ref,pupil_first_name,pupil_last_name,date_of_birth,class,guardian_ref,"
          "guardian_name,guardian_email,relationship,parental_responsibility\n"
          "P1,Emma,Jansen,2016-03-14,4B,G1,Anna Jansen,anna@example.invalid,mother,yes\n")


def make_token(school: School, acts_as: User, scopes: list[str], *, actor: User | None = None,
               name: str = "Pupil administration") -> str:
    return create_token(school, name=name, scopes_wanted=scopes, acts_as=acts_as,
                        actor=actor).secret


def revoked_token(school: School, acts_as: User) -> str:
    made = create_token(school, name="Old system", scopes_wanted=["all"], acts_as=acts_as,
                        actor=None)
    revoke_token(made.token, actor=None)
    return made.secret


def call(method: str, path: str, token: str | None, **kwargs: Any) -> Any:
    """A request as a school's system sends it: a token in the header, no cookie."""
    client = Client()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return getattr(client, method)(path, headers=headers, **kwargs)


@pytest.fixture
def ack_message(conversation_4b: Conversation, teacher: User) -> Any:
    message, _ = post_message(teacher, conversation_4b, "Sign the trip form", ack_requested=True)
    return message
