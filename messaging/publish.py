"""Events for the hub, sent only once the transaction that made them commits.

A browser never sees something the database could still roll back. The caller chooses the
recipients (a conversation's sockets, or one person's): that choice is a permission decision.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction

from messaging import hub
from messaging.signals import event_committed


def _committed(conversation_id: int, events: Sequence[Mapping[str, Any]]) -> None:
    """Tell the apps above messaging (push notifications) what the sockets were just sent:
    once per commit, so a batch of a busy conversation costs them one call, not one a message."""
    event_committed.send(sender=None, conversation_id=conversation_id, events=events)


def publish_on_commit(conversation_id: int, event: Mapping[str, Any]) -> None:
    """Publish ``event`` (one of :mod:`messaging.events`' typed dicts) to the conversation's
    sockets after the commit."""
    def publish() -> None:
        hub.get_hub().publish(conversation_id, dict(event))
        _committed(conversation_id, [event])

    transaction.on_commit(publish)


def publish_many_on_commit(conversation_id: int, events: Sequence[Mapping[str, Any]]) -> None:
    """Publish a batch of events to the conversation's sockets, in order, after the commit."""
    def publish() -> None:
        hub.get_hub().publish_many(conversation_id, [dict(event) for event in events])
        _committed(conversation_id, events)

    transaction.on_commit(publish)


def publish_user_on_commit(user_id: int, event: Mapping[str, Any]) -> None:
    """Publish ``event`` to every socket of one person after the commit."""
    transaction.on_commit(lambda: hub.get_hub().publish_user(user_id, dict(event)))
