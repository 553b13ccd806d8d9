"""Consent in the demo school: every purpose with its form, and records of every kind.

Called by ``manage.py seed_demo`` with context {"school", "users", "conversations"}. Idempotent:
for each pupil and purpose the planned decisions are applied in order, and only those beyond
the number already on record, so a second run adds nothing.

4B after seeding (what the coverage page shows as lacking):
- take part in class chat: Kofi (nobody answered)
- photos in class groups: Дмитрий (refused in the app)
- photos together with other children: Emma (granted, then withdrawn by the other parent),
  Дмитрий (no answer)
- photos on the school website: all three (Emma refused, Дмитрий asked but no answer,
  Kofi granted then withdrawn)
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

import consent
from accounts.models import Pupil, SchoolClass
from consent import actions
from consent.models import ConsentRecord

# pupil ref -> purpose -> [(guardian username, decision, recorded on paper by username or None)]
PLAN: dict[str, dict[str, list[tuple[str, str, str | None]]]] = {
    "P4B01": {  # Emma Jansen: parents Anna (parent) and Mark (parent2)
        consent.PARTICIPATION: [("parent", "granted", None)],
        consent.PHOTOS_CLASS: [("parent", "granted", None)],
        consent.PHOTOS_TOGETHER: [("parent", "granted", None), ("parent2", "withdrawn", None)],
        consent.PHOTOS_WEBSITE: [("parent2", "refused", None)],
    },
    "P4B02": {  # Дмитрий Петров: Olga (parent3)
        consent.PARTICIPATION: [("parent3", "granted", "teacher")],
        consent.PHOTOS_CLASS: [("parent3", "refused", None)],
    },
    "P4B03": {  # Kofi Osei: Sam (parent4)
        consent.PHOTOS_CLASS: [("parent4", "granted", "teacher")],
        consent.PHOTOS_TOGETHER: [("parent4", "granted", None)],
        consent.PHOTOS_WEBSITE: [("parent4", "granted", None), ("parent4", "withdrawn", None)],
    },
    "P5A01": {  # Mateo García: Lucía (parent5a)
        consent.PARTICIPATION: [("parent5a", "granted", None)],
        consent.PHOTOS_CLASS: [("parent5a", "granted", "teacher5a")],
    },
}

# Open requests: (class name, purpose, requested by).
REQUESTS = [("4B", consent.PHOTOS_WEBSITE, "teacher")]


def seed(context: dict[str, Any]) -> None:
    school = context["school"]
    users = context["users"]
    with transaction.atomic():
        purposes = {p.code: p for p in actions.ensure_purposes(school)}
        signed_on = timezone.localdate() - timedelta(days=10)
        for ref, plan in PLAN.items():
            pupil = Pupil.objects.filter(school=school, ref=ref).first()
            if pupil is None:
                continue
            for code, steps in plan.items():
                done = ConsentRecord.objects.filter(pupil=pupil, form__purpose=purposes[code])
                for guardian, decision, staff in steps[done.count():]:
                    if staff is None:
                        actions.decide(users[guardian], pupil, code, decision)
                    else:
                        actions.record_paper(users[staff], users[guardian], pupil, code,
                                             decision, signed_on)
        for class_name, code, staff in REQUESTS:
            school_class = SchoolClass.objects.get(school=school, name=class_name)
            actions.request_consent(users[staff], school_class, code)
