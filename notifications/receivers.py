"""What notifications does when lower apps tell it something happened."""

from __future__ import annotations

import logging
from typing import Any

from notifications import actions, tasks

logger = logging.getLogger(__name__)


def on_event_committed(sender: Any, conversation_id: int, event: dict[str, Any],
                       **kwargs: Any) -> None:
    """A new message notifies the members who are not looking (after the commit)."""
    if event.get("type") != "message" or event.get("retracted") or not event.get("id"):
        return
    try:
        tasks.notify.delay(conversation_id, event["id"])
    except Exception:
        # The message is stored and delivered over the sockets; a broker outage costs the
        # push notification, never the sender's request.
        logger.exception("could not queue the push notification for message %s", event["id"])


def on_sessions_ended(sender: Any, user_id: int, session_key: str | None = None,
                      reason: str = "", **kwargs: Any) -> None:
    """A logout removes the devices its session registered. When every session of a person
    ends (deactivated, a leaver, a new password, role or second factor), no browser of theirs is
    signed in any more, so none keeps getting notifications: all their devices go."""
    actions.remove_devices(user_id, session_key=session_key, reason=reason or "signed out")
