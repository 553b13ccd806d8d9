"""Signals messaging sends for the apps above it (which connect to them; messaging imports
none of them)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after each commit that published conversation events, with those events in seq order.
event_committed = Signal()  # sender=None, conversation_id=int, events=list[dict]

# Sent after the commit of an acknowledgement reminder, with the guardians it went to, so the
# apps above messaging may tell them too (notifications pushes it to their devices).
acknowledgement_reminder_sent = Signal()  # sender=None, message_id=int, user_ids=list[int]

# Sent after the commit of a batch of sends that a screen held or flagged (messaging.screening),
# so the app that screened may write its own rows about them.
messages_screened = Signal()  # sender=None, results=list[tuple[int, screening.Verdict]]
