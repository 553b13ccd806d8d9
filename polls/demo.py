"""Polls in the demo school: Ms de Vries asks 4B which afternoon suits the class party; Anna
(for the Jansen family) and Olga have answered, the Osei family not yet. Idempotent: the poll
is found by its question in 4B's group and asked once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from polls.actions import asking, voting
from polls.models import Poll

QUESTION = "Which afternoon suits the class party?"
OPTIONS = ["Wednesday 16 December", "Thursday 17 December", "Friday 18 December"]


def seed(context: dict[str, Any]) -> None:
    users = context["users"]
    group = context["conversations"]["4B class group"]
    if Poll.objects.filter(conversation=group, question=QUESTION).exists():
        return
    poll = asking.create_poll(users["teacher"], group, question=QUESTION, options=OPTIONS,
                              closes_at=timezone.now() + timedelta(days=5))
    first, second, _third = poll.options.all()
    voting.vote(users["parent"], poll, [second.pk])
    voting.vote(users["parent3"], poll, [first.pk])
