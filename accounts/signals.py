"""Signals other apps listen to, so that ``accounts`` need not know about them."""

from django.dispatch import Signal

# Sent inside the transaction that creates a school (accounts.actions.schools.create_school),
# so what other apps make for it commits or rolls back with it. Arguments: ``school``.
# consent creates the school's consent purposes.
school_created = Signal()
