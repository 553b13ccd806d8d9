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

# Sent inside the transaction that erases a person (records.erasure.erase), after their account
# is pseudonymised and closed. Arguments: ``user``, ``keep_uploads`` (a legal hold covers them:
# their files stay). Each receiver deletes what its app holds about the person and need not
# keep, and returns a dict of what it deleted, counted. messaging renames their one-to-one
# conversations and deletes unsent uploads and plans; notifications deletes their devices.
person_erased = Signal()

# Sent after :func:`accounts.actions.leavers.process_due_leavers` applied the leave dates that
# had come (the daily job, the ``process_leavers`` command, the admin's button), outside any
# transaction. Arguments: ``school`` (None: every school), ``today``. records anonymises the
# leavers whose school keeps their accounts no longer.
leavers_processed = Signal()

# Sent after the transaction that queued a roster import commits (accounts.actions
# .roster_imports.start_roster_import). Arguments: ``import_id``. accounts.tasks hands it to
# the Celery worker.
roster_import_requested = Signal()
