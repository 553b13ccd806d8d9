"""Signals other apps listen to, so that ``accounts`` need not know about them.

Each is sent inside the transaction of the action that made the change and handled there and
then (no ``on_commit``), so what other apps do about it commits or rolls back with it, and is
already done when the action returns.
"""

from django.dispatch import Signal

# Sent inside the transaction that creates a school (accounts.actions.schools.create_school),
# so what other apps make for it commits or rolls back with it. Arguments: ``school``.
# consent creates the school's consent purposes.
school_created = Signal()

# Sent when who belongs to some classes may have changed: an enrolment, a guardianship, a
# staff assignment, a new class, a pupil's own account, a leaving pupil, or the school's
# pupil policies (see accounts.actions.classes.roster_changed). Arguments: ``school_classes``
# (each class once), ``actor``. messaging brings each class conversation's members to the
# class's roster.
roster_changed = Signal()

# Sent inside the transaction that closes a leaver's account (accounts.actions.leavers
# .process_leaver), after it is deactivated. Arguments: ``user``, ``actor``. messaging ends
# their memberships.
person_left = Signal()
