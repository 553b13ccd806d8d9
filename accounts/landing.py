"""Where a person lands after logging in, when no page asked for the login (``next``).

Each role starts where its work is: a school's admin on the school admin area, the DPO on the
archive, the safeguarding lead on their queue, everyone else (teachers, staff, parents, pupils)
on their conversations. The login and the two-factor finish both ask :func:`landing_url`; the
answer follows the permission rules (``accounts.access.can``), so a page someone lands on is
always one they may open.
"""

from __future__ import annotations

from django.urls import reverse

from accounts.access import can
from accounts.models import User


def landing_url(user: User) -> str:
    school = user.school
    if school is not None and can(user, "school.manage", school):
        return reverse("accounts:school_home")
    if school is not None and can(user, "archive.integrity", school):
        return reverse("archive:home")
    if school is not None and can(user, "safeguarding.review", school):
        return reverse("safeguarding:queue")
    return reverse("messaging:inbox")
