"""Who is absent on a day: a hook the ``absence`` app fills, so that the trip list shows the
children who may go (signed, and not absent).

``absence`` is a layer below ``activities`` and owns the absence reports; this app must not
guess at them, and with no check registered nobody is absent. The absence app registers its
check from its ``AppConfig.ready``::

    from activities.absent import register_absent_check
    register_absent_check(absence.services.absent_pupils)

A check is given the ids of the pupils on a list and the school day, and answers the ids of
those who are absent that day (for any reason: the trip list says "absent", never why). It
must answer in a query or two for a whole class; each registered check is asked once per list.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date

AbsentCheck = Callable[[Collection[int], date], set[int]]

_checks: list[AbsentCheck] = []


def register_absent_check(check: AbsentCheck) -> None:
    """Add a check of who is absent (registering the same function twice adds it once)."""
    if check not in _checks:
        _checks.append(check)


def unregister_absent_check(check: AbsentCheck) -> None:
    """Take a check away again (tests)."""
    if check in _checks:
        _checks.remove(check)


def absent(pupil_ids: Collection[int], on: date) -> set[int]:
    """The ids among ``pupil_ids`` of the pupils absent on ``on``; with no check registered,
    nobody."""
    if not pupil_ids:
        return set()
    found: set[int] = set()
    for check in _checks:
        found |= check(pupil_ids, on)
    return found & set(pupil_ids)
