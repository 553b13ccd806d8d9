"""Leavers: a leave date is recorded, and on the day the account closes and the pupil's
enrolments end. :func:`process_due_leavers` applies every date that has come (daily task, the
``process_leavers`` command and the school admin's button)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from accounts import sessions, signals
from accounts.actions.classes import roster_changed
from accounts.actions.invitations import revoke_invitation
from accounts.models import Enrolment, Invitation, Pupil, School, SchoolClass, User
from archive import chain, scopes


def process_leaver(user: User, *, actor: User | None = None) -> bool:
    """Deactivate a leaver's account at once: sessions, sockets, memberships, invitations.

    Their messages stay; the archive and retention decide their fate. Returns False when the
    account had already been processed. The sockets close through
    :data:`accounts.sessions.sessions_ended`, sent when the inactive account is saved.
    """
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.left_at is not None:
            return False
        scope = scopes.school(user.school_id)
        user.is_active = False
        user.left_at = timezone.now()
        if user.leaves_on is None or user.leaves_on > timezone.localdate():
            user.leaves_on = timezone.localdate()
        user.save(update_fields=["is_active", "left_at", "leaves_on"])
        chain.record("account.deactivated", scope=scope, actor=actor, subjects=[user],
                       payload={"user": user.pk, "left_at": user.left_at.isoformat()})
        ended = sessions.delete_sessions({user.pk})
        chain.record("account.sessions_ended", scope=scope, actor=actor, subjects=[user],
                       payload={"user": user.pk, "sessions": ended})
        # Their memberships end (messaging), in this transaction.
        signals.person_left.send(sender=User, user=user, actor=actor)
        for invitation in Invitation.objects.filter(
            user=user, used_at__isnull=True, revoked_at__isnull=True
        ):
            revoke_invitation(invitation, actor=actor)
    return True


def schedule_leaver(user: User, leaves_on: date, *, actor: User | None = None) -> None:
    """Record a person's leave date (``admin.leaver_set``); a date that has come applies now."""
    with transaction.atomic():
        user.leaves_on = leaves_on
        user.save(update_fields=["leaves_on"])
        chain.record("admin.leaver_set", scope=scopes.school(user.school_id), actor=actor,
                       subjects=[user], payload={"user": user.pk, "leaves_on": str(leaves_on)})
        if leaves_on <= timezone.localdate():
            process_leaver(user, actor=actor)


def pupil_leaves(pupil: Pupil, *, actor: User | None = None, on: date | None = None,
                 sync: bool = True, today: date | None = None) -> bool:
    """Record a pupil's leave date (``admin.pupil_leave_set``). A date that has come applies
    at once (see :func:`apply_pupil_leaving`); one in the future is only recorded, and
    :func:`process_due_leavers` applies it on the day. Returns whether the pupil left now."""
    day = today or timezone.localdate()
    leave_day = on or day
    with transaction.atomic():
        pupil.left_on = leave_day
        pupil.save(update_fields=["left_on"])
        chain.record("admin.pupil_leave_set", scope=scopes.school(pupil.school_id), actor=actor,
                       subjects=[pupil], payload={"pupil": pupil.pk, "on": str(leave_day)})
        if leave_day > day:
            return False
        apply_pupil_leaving(pupil, actor=actor, today=day, sync=sync)
    return True


def apply_pupil_leaving(pupil: Pupil, *, actor: User | None = None, today: date | None = None,
                        sync: bool = True) -> None:
    """The pupil leaves: their enrolments end, their account (if any) is deactivated, and the
    class conversations are recomputed (guardians go unless another child keeps them there)."""
    day = today or timezone.localdate()
    with transaction.atomic():
        touched: list[SchoolClass] = []
        for enrolment in Enrolment.objects.open_on(day).filter(pupil=pupil).select_related(
            "school_class"
        ):
            enrolment.ends_on = max(day, enrolment.starts_on)
            enrolment.save(update_fields=["ends_on"])
            touched.append(enrolment.school_class)
        chain.record("pupil.left", scope=scopes.school(pupil.school_id), actor=actor,
                       subjects=[pupil], payload={"pupil": pupil.pk, "on": str(pupil.left_on)})
        if pupil.user is not None:
            process_leaver(pupil.user, actor=actor)
        if sync:
            roster_changed(touched, actor=actor)


def process_due_leavers(*, actor: User | None = None, today: date | None = None,
                        school: School | None = None) -> dict[str, int]:
    """Apply every leave date that has come, of one school or (no school: the daily task) of
    all; safe to run any number of times a day. A school's run is archived as
    ``admin.leavers_processed`` with its counts."""
    day = today or timezone.localdate()
    users = pupils = 0
    due_users = User.objects.filter(leaves_on__lte=day, left_at__isnull=True)
    due_pupils = Pupil.objects.filter(left_on__lte=day).filter(
        pk__in=Enrolment.objects.open_on(day).values("pupil_id")
    )
    if school is not None:
        due_users, due_pupils = due_users.filter(school=school), due_pupils.filter(school=school)
    # Each leaver in their own transaction: one failure cannot undo the others.
    for user in due_users:
        users += process_leaver(user, actor=actor)
    for pupil in due_pupils.select_related("user", "school"):
        apply_pupil_leaving(pupil, actor=actor, today=day)
        pupils += 1
    done = {"users": users, "pupils": pupils}
    if school is not None:
        with transaction.atomic():
            chain.record("admin.leavers_processed", scope=scopes.school(school.pk),
                           actor=actor, subjects=[], payload=done)
    # Leavers whose period has passed are anonymised (records, which sits above accounts).
    signals.leavers_processed.send(sender=User, school=school, today=day)
    return done
