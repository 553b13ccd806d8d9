"""Signals messaging sends for the apps above it (which connect to them; messaging imports
none of them)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after each commit that published conversation events, with those events in seq order.
event_committed = Signal()  # sender=None, conversation_id=int, events=list[dict]
