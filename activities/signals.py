"""Signals of the activities, sent after the commit of the change."""

from django.dispatch import Signal

# A reminder went out: kwargs activity_id, user_ids (the guardians with a device, who get a
# push instead of an e-mail). activities.tasks queues the pushes.
reminder_sent = Signal()
