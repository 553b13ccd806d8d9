"""Signals messaging sends for the apps above it (which connect to them; messaging imports
none of them)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after the commit, for every published conversation event.
event_committed = Signal()  # sender=None, conversation_id=int, event=dict
