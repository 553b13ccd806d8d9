"""Signals other apps listen to. Sent from ``transaction.on_commit`` by the consent actions."""

from django.dispatch import Signal

# Sent after a consent decision commits: kwargs pupil, purpose (code), decision, record.
# messaging recomputes class membership (participation); messaging hides photos (photo purposes).
consent_changed = Signal()
