"""What notifications does when lower apps tell it something happened."""

from __future__ import annotations

import logging
from typing import Any

from notifications import actions, tasks

logger = logging.getLogger(__name__)


def on_event_committed(sender: Any, conversation_id: int, events: list[dict[str, Any]],
                       **kwargs: Any) -> None:
    """New messages notify the members who are not looking (after the commit): one job per
    commit, however many messages a busy conversation's batch stored."""
    ids = [e["id"] for e in events
           if e.get("type") == "message" and not e.get("retracted") and e.get("id")]
    if not ids:
        return
    try:
        tasks.notify_messages.delay(conversation_id, ids)
    except Exception:
        # The messages are stored and delivered over the sockets; a broker outage costs the
        # push notifications, never the sender's request.
        logger.exception("could not queue the push notifications for messages %s", ids)


def on_acknowledgement_reminder(sender: Any, message_id: int, user_ids: list[int],
                                **kwargs: Any) -> None:
    """Staff reminded the families who have not acknowledged (after the commit): their
    guardians' devices get "Reminder: please acknowledge ..."."""
    try:
        tasks.remind.delay(message_id, user_ids)
    except Exception:
        # The reminder was e-mailed and recorded; a broker outage costs only the push.
        logger.exception("could not queue the push reminders for message %s", message_id)


def on_sessions_ended(sender: Any, user_id: int, session_key: str | None = None,
                      reason: str = "", **kwargs: Any) -> None:
    """A logout removes the devices its session registered. When every session of a person
    ends (deactivated, a leaver, a new password, role or second factor), no browser of theirs is
    signed in any more, so none keeps getting notifications: all their devices go."""
    actions.remove_devices(user_id, session_key=session_key, reason=reason or "signed out")


def on_person_erased(sender: Any, *, user: Any, **kwargs: Any) -> dict[str, int]:
    """An erased person's push subscriptions and preferences go (in the erasure's transaction)."""
    return actions.forget_person(user.pk)
