"""The school's policies, and what follows from changing them."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction

from accounts.actions.classes import roster_changed
from accounts.actions.sessions import require_fresh_login
from accounts.models import STAFF_ROLES, School, SchoolClass, User
from archive import chain, scopes

POLICY_FIELDS = frozenset({
    # What the school writes to people who chose no language, and its paperwork.
    "language",
    "pupil_accounts", "digital_consent_age", "parent_direct_messages",
    "staff_pupil_direct_messages", "staff_pupil_direct", "require_staff_2fa",
    "confirm_group_size",
    # The school's rate limits (accounts.ratelimit).
    "post_burst", "posts_per_minute", "upload_burst", "uploads_per_minute",
    "invitation_burst", "invitations_per_minute",
    # What a push shows on a locked phone; whether devices keep pages for reading offline.
    "lock_screen_text", "offline_copies",
})
# Pupil accounts and the consent age decide who is in class groups.
CLASS_MEMBERSHIP_POLICIES = frozenset({"pupil_accounts", "digital_consent_age"})


def change_policies(school: School, changes: Mapping[str, object], *,
                    actor: User | None) -> School:
    """Change the school's policies (``admin.policies_changed`` with the new values). Class
    groups are recomputed when who may be in them changed; turning on two-factor sign-in ends
    the sessions of every active staff member (they sign in again with a second factor)."""
    unknown = set(changes) - POLICY_FIELDS
    if unknown:
        raise ValueError(f"not a policy: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        for name, value in changes.items():
            setattr(school, name, value)
        school.save(update_fields=sorted(changes) or None)
        chain.record("admin.policies_changed", scope=scopes.school(school.pk), actor=actor,
                       subjects=[], payload=dict(changes))
        if CLASS_MEMBERSHIP_POLICIES & set(changes):
            roster_changed(SchoolClass.objects.filter(school=school), actor=actor)
        if "require_staff_2fa" in changes and school.require_staff_2fa:
            require_fresh_login(
                User.objects.filter(school=school, role__in=list(STAFF_ROLES), is_active=True),
                actor=actor, reason="2fa_required")
    return school
