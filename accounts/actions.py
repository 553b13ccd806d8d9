"""Changes to people, classes and who belongs where.

Every action validates, changes state and archives the change in one transaction. Class
conversation membership is derived, never hand-edited: the actions that change an enrolment,
a guardianship or a staff assignment call :func:`sync_class_conversation`, and so does a
consent decision (see :func:`on_consent_changed`).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

import archive
import consent
from accounts.models import (
    OPERATOR_ROLES,
    Enrolment,
    Guardianship,
    Invitation,
    Pupil,
    Role,
    School,
    SchoolClass,
    StaffAssignment,
    User,
)
from archive import scopes
from messaging import hub
from messaging.actions import membership as messaging_actions
from messaging.models import Conversation, Membership

INVITATION_DAYS = 7


def school_scope(school: School | None) -> str:
    """The archive scope of a school's administration (``archive.scopes.school``)."""
    return scopes.school(school.pk if school else None)


# --- who belongs in a class conversation -------------------------------------------------------
def current_enrolments(on: date | None = None) -> QuerySet[Enrolment]:
    """:meth:`Enrolment.objects.current <accounts.models.EnrolmentQuerySet.current>`, which
    defines "current"; kept for the callers that ask through this module."""
    return Enrolment.objects.current(on)


def age_on(date_of_birth: date | None, on: date) -> int | None:
    if date_of_birth is None:
        return None
    before_birthday = (on.month, on.day) < (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - int(before_birthday)


def pupil_may_participate(pupil: Pupil, school: School, on: date | None = None) -> bool:
    """A pupil's own account joins class chat only when the school allows pupil accounts and,
    below the digital-consent age (or with no birth date on record), a guardian consented."""
    user = pupil.user
    if user is None or user.left_at is not None or not school.pupil_accounts:
        return False
    age = age_on(pupil.date_of_birth, on or timezone.localdate())
    if age is not None and age >= school.digital_consent_age:
        return True
    return consent.has_consent(pupil, consent.PARTICIPATION)


def class_members(school_class: SchoolClass) -> dict[int, bool]:
    """The derived membership of a class conversation: user id -> manager."""
    school = school_class.school
    members: dict[int, bool] = {}
    for user_id in StaffAssignment.objects.filter(
        school_class=school_class, user__left_at__isnull=True
    ).values_list("user_id", flat=True):
        members[user_id] = True
    pupil_ids = list(
        Enrolment.objects.current().filter(school_class=school_class)
        .values_list("pupil_id", flat=True)
    )
    for user_id in Guardianship.objects.filter(
        pupil_id__in=pupil_ids, parental_responsibility=True, no_contact=False,
        guardian__left_at__isnull=True,
    ).values_list("guardian_id", flat=True):
        members.setdefault(user_id, False)
    if school.pupil_accounts:
        for pupil in Pupil.objects.filter(pk__in=pupil_ids, user__isnull=False).select_related(
            "user"
        ):
            if pupil_may_participate(pupil, school):
                assert pupil.user_id is not None
                members.setdefault(pupil.user_id, False)
    return members


def class_conversation(school_class: SchoolClass) -> Conversation:
    conversation = Conversation.objects.filter(
        school_class=school_class, kind=Conversation.Kind.CLASS
    ).order_by("pk").first()
    if conversation is None:
        conversation = Conversation.objects.create(
            school=school_class.school, kind=Conversation.Kind.CLASS,
            title=f"{school_class.name} class group", school_class=school_class,
        )
    return conversation


def sync_class_conversation(school_class: SchoolClass, actor: Any = None) -> dict[str, int]:
    """Bring the class conversation's members to the derived set; returns what changed."""
    with transaction.atomic():
        conversation = class_conversation(school_class)
        wanted = class_members(school_class)
        current = set(
            Membership.objects.filter(conversation=conversation, ended_at__isnull=True)
            .values_list("user_id", flat=True)
        )
        removed = added = 0
        for user in User.objects.filter(pk__in=current - set(wanted)):
            removed += messaging_actions.end_membership(conversation, user, actor=actor)
        for user in User.objects.filter(pk__in=set(wanted) - current):
            messaging_actions.add_member(conversation, user, actor=actor, manager=wanted[user.pk])
            added += 1
    return {"added": added, "removed": removed}


def classes_of_pupil(pupil: Pupil) -> list[SchoolClass]:
    return list(SchoolClass.objects.filter(
        enrolments__in=Enrolment.objects.current().filter(pupil=pupil)).distinct())


def sync_classes(classes: Iterable[SchoolClass], actor: Any = None) -> None:
    for school_class in {c.pk: c for c in classes}.values():
        sync_class_conversation(school_class, actor=actor)


def on_consent_changed(sender: Any, pupil: Pupil, purpose: str, **kwargs: Any) -> None:
    """A participation decision may let a pupil in or take them out of their class chats."""
    if purpose != consent.PARTICIPATION:
        return
    sync_classes(classes_of_pupil(pupil))


# --- the actions that change the derived inputs ----------------------------------------------
def enrol(pupil: Pupil, school_class: SchoolClass, *, actor: Any = None,
          starts_on: date | None = None, sync: bool = True) -> Enrolment:
    """Put a pupil in a class, ending any other current enrolment (a pupil is in one class)."""
    today = starts_on or timezone.localdate()
    with transaction.atomic():
        touched = [school_class]
        existing = None
        for enrolment in Enrolment.objects.open_on(today).filter(pupil=pupil).select_related(
            "school_class"
        ):
            if enrolment.school_class_id == school_class.pk and existing is None:
                existing = enrolment
                continue
            enrolment.ends_on = max(today, enrolment.starts_on)
            enrolment.save(update_fields=["ends_on"])
            touched.append(enrolment.school_class)
        if existing is None:
            existing = Enrolment.objects.create(pupil=pupil, school_class=school_class,
                                                starts_on=today)
            archive.record("pupil.enrolled", scope=scopes.school(pupil.school_id), actor=actor,
                           subjects=[pupil], payload={"pupil": pupil.pk, "class": school_class.pk})
        if sync:  # a bulk caller (the roster import) recomputes each class once at the end
            sync_classes(touched, actor=actor)
    return existing


def set_guardianship(guardian: User, pupil: Pupil, *, actor: Any = None,
                     relationship: str = "", parental_responsibility: bool = True,
                     no_contact: bool = False) -> Guardianship:
    with transaction.atomic():
        guardianship, _created = Guardianship.objects.update_or_create(
            guardian=guardian, pupil=pupil,
            defaults={"relationship": relationship,
                      "parental_responsibility": parental_responsibility,
                      "no_contact": no_contact},
        )
        archive.record(
            "guardianship.set", scope=scopes.school(pupil.school_id), actor=actor,
            subjects=[guardian, pupil],
            payload={"guardian": guardian.pk, "pupil": pupil.pk,
                     "parental_responsibility": parental_responsibility,
                     "no_contact": no_contact},
        )
        sync_classes(classes_of_pupil(pupil), actor=actor)
    return guardianship


def assign_staff(user: User, school_class: SchoolClass, *, actor: Any = None) -> None:
    with transaction.atomic():
        StaffAssignment.objects.get_or_create(school_class=school_class, user=user)
        archive.record("staff.assigned", scope=scopes.school(school_class.school_id), actor=actor,
                       subjects=[user], payload={"user": user.pk, "class": school_class.pk})
        sync_class_conversation(school_class, actor=actor)


def unassign_staff(user: User, school_class: SchoolClass, *, actor: Any = None) -> None:
    with transaction.atomic():
        StaffAssignment.objects.filter(school_class=school_class, user=user).delete()
        archive.record("staff.unassigned", scope=scopes.school(school_class.school_id), actor=actor,
                       subjects=[user], payload={"user": user.pk, "class": school_class.pk})
        sync_class_conversation(school_class, actor=actor)


# --- leavers ---------------------------------------------------------------------------------
def _delete_sessions(user_ids: set[int]) -> int:
    """Delete every session of these users (sessions store the user id, not an indexed column)."""
    if not user_ids:
        return 0
    wanted = {str(pk) for pk in user_ids}
    doomed = [
        s.session_key for s in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(s.get_decoded().get("_auth_user_id")) in wanted
    ]
    Session.objects.filter(session_key__in=doomed).delete()
    return len(doomed)


def require_fresh_login(users: Iterable[User], *, actor: Any = None, reason: str) -> int:
    """End the sessions and sockets of these users so that their next login goes through the
    current rules (used when two-factor sign-in becomes required for them)."""
    users = list(users)
    if not users:
        return 0
    with transaction.atomic():
        ended = _delete_sessions({u.pk for u in users})
        for user in users:
            archive.record("account.sessions_ended", scope=scopes.school(user.school_id), actor=actor,
                           subjects=[user], payload={"user": user.pk, "reason": reason})
        for pk in [u.pk for u in users]:
            transaction.on_commit(partial(hub.get_hub().disconnect_user, pk))
    return ended


def process_leaver(user: User, *, actor: Any = None) -> bool:
    """Deactivate a leaver's account at once: sessions, sockets, memberships, invitations.

    Their messages stay; the archive and retention decide their fate. Returns False when the
    account had already been processed.
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
        archive.record("account.deactivated", scope=scope, actor=actor, subjects=[user],
                       payload={"user": user.pk, "left_at": user.left_at.isoformat()})
        sessions = _delete_sessions({user.pk})
        archive.record("account.sessions_ended", scope=scope, actor=actor, subjects=[user],
                       payload={"user": user.pk, "sessions": sessions})
        for membership in Membership.objects.filter(
            user=user, ended_at__isnull=True
        ).select_related("conversation"):
            messaging_actions.end_membership(membership.conversation, user, actor=actor)
        for invitation in Invitation.objects.filter(
            user=user, used_at__isnull=True, revoked_at__isnull=True
        ):
            revoke_invitation(invitation, actor=actor)
        user_id = user.pk
        transaction.on_commit(lambda: hub.get_hub().disconnect_user(user_id))
    return True


def schedule_leaver(user: User, leaves_on: date, *, actor: Any = None) -> None:
    with transaction.atomic():
        user.leaves_on = leaves_on
        user.save(update_fields=["leaves_on"])
        archive.record("account.leave_scheduled", scope=scopes.school(user.school_id), actor=actor,
                       subjects=[user], payload={"user": user.pk, "leaves_on": str(leaves_on)})
        if leaves_on <= timezone.localdate():
            process_leaver(user, actor=actor)


def pupil_leaves(pupil: Pupil, *, actor: Any = None, on: date | None = None,
                 sync: bool = True, today: date | None = None) -> bool:
    """A pupil leaves: their enrolments end, their account (if any) is deactivated, and the
    class conversations are recomputed (guardians go unless another child keeps them there).
    A leave date in the future is only recorded; process_due_leavers applies it on the day."""
    day = today or timezone.localdate()
    leave_day = on or day
    with transaction.atomic():
        pupil.left_on = leave_day
        pupil.save(update_fields=["left_on"])
        if leave_day > day:
            archive.record("pupil.leave_scheduled", scope=scopes.school(pupil.school_id), actor=actor,
                           subjects=[pupil], payload={"pupil": pupil.pk, "on": str(leave_day)})
            return False
        touched = []
        for enrolment in Enrolment.objects.open_on(day).filter(pupil=pupil).select_related(
            "school_class"
        ):
            enrolment.ends_on = max(day, enrolment.starts_on)
            enrolment.save(update_fields=["ends_on"])
            touched.append(enrolment.school_class)
        archive.record("pupil.left", scope=scopes.school(pupil.school_id), actor=actor,
                       subjects=[pupil], payload={"pupil": pupil.pk, "on": str(leave_day)})
        if pupil.user is not None:
            process_leaver(pupil.user, actor=actor)
        if sync:
            sync_classes(touched, actor=actor)
    return True


def process_due_leavers(*, actor: Any = None, today: date | None = None) -> dict[str, int]:
    """Apply every leave date that has come; safe to run any number of times a day."""
    day = today or timezone.localdate()
    users = pupils = 0
    for user in User.objects.filter(leaves_on__lte=day, left_at__isnull=True):
        users += process_leaver(user, actor=actor)
    due = Pupil.objects.filter(left_on__lte=day).filter(
        pk__in=Enrolment.objects.open_on(day).values("pupil_id")
    )
    for pupil in due.select_related("user", "school"):
        pupils += pupil_leaves(pupil, actor=actor, on=pupil.left_on, today=day)
    return {"users": users, "pupils": pupils}


# --- invitations -----------------------------------------------------------------------------
def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_invitation(user: User, *, actor: Any = None,
                     purpose: str = Invitation.Purpose.INVITE) -> tuple[Invitation, str]:
    """A fresh one-time link; any earlier pending link of the user is revoked. Returns the
    invitation and the raw token (shown once, never stored)."""
    operator_only(user.role, actor)
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        for pending in Invitation.objects.filter(
            user=user, used_at__isnull=True, revoked_at__isnull=True
        ):
            revoke_invitation(pending, actor=actor)
        invitation = Invitation.objects.create(
            user=user, purpose=purpose, token_hash=hash_token(token), created_by=actor,
            created_at=now, expires_at=now + timedelta(days=INVITATION_DAYS),
        )
        archive.record("admin.invitation_issued", scope=scopes.school(user.school_id), actor=actor,
                       subjects=[user], payload={"user": user.pk, "purpose": purpose,
                                                 "invitation": invitation.pk})
    return invitation, token


def revoke_invitation(invitation: Invitation, *, actor: Any = None) -> bool:
    with transaction.atomic():
        done = Invitation.objects.filter(
            pk=invitation.pk, used_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        if done:
            archive.record("admin.invitation_revoked", scope=scopes.school(invitation.user.school_id),
                           actor=actor, subjects=[invitation.user],
                           payload={"invitation": invitation.pk})
    return bool(done)


def find_invitation(token: str) -> Invitation | None:
    return Invitation.objects.filter(token_hash=hash_token(token)).select_related(
        "user", "user__school"
    ).first()


def accept_invitation(invitation: Invitation, password: str) -> User:
    """Use the link once: set the password and activate the account."""
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not locked.is_pending or locked.user.left_at is not None:
            raise ValueError("invitation no longer valid")
        locked.used_at = timezone.now()
        locked.save(update_fields=["used_at"])
        user = locked.user
        user.set_password(password)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
        archive.record("account.password_set", scope=scopes.school(user.school_id), actor=user,
                       subjects=[user], payload={"user": user.pk, "purpose": locked.purpose})
        # A password reset ends every other session of the account.
        _delete_sessions({user.pk})
    return user


def operator_only(role: str, actor: Any) -> None:
    """Separation of duties: a DPO's or safeguarding lead's account is created and its links
    issued only by the operator on the command line (no actor), never by a person."""
    if role in OPERATOR_ROLES and actor is not None:
        raise PermissionDenied("only the operator manages this role")


def create_account(school: School, *, actor: Any, username: str, display_name: str,
                   role: str, email: str = "", phone: str = "") -> User:
    operator_only(role, actor)
    with transaction.atomic():
        user = User(school=school, username=username, display_name=display_name, role=role,
                    email=email, phone=phone, is_active=False, is_staff=False)
        user.set_unusable_password()
        user.save()
        archive.record("admin.account_created", scope=scopes.school(school.pk), actor=actor,
                       subjects=[user], payload={"user": user.pk, "role": role})
    return user


def awaiting_invitation(school: School) -> QuerySet[User]:
    """Accounts never activated, not leavers, with an e-mail address and no pending link;
    the operator invites the DPO and the safeguarding lead."""
    pending = Invitation.objects.filter(used_at__isnull=True, revoked_at__isnull=True,
                                        expires_at__gt=timezone.now()).values("user_id")
    return (User.objects.filter(school=school, is_active=False, left_at__isnull=True)
            .exclude(email="").exclude(pk__in=pending).exclude(role__in=list(OPERATOR_ROLES))
            .filter(password__startswith="!"))


def email_invitations(school: School, *, actor: Any, link_for: Callable[[str], str]) -> int:
    """Issue a link to everyone awaiting one and e-mail it; ``link_for(token)`` makes the URL.

    One transaction: the links, one ``admin.invitation_issued`` record each and one
    ``admin.invitations_emailed`` record for the whole send commit together, and the mails go
    out only after the commit (none for a send that rolled back). Each person gets their own
    message, never a shared To: list. Returns how many were sent.
    """
    with transaction.atomic():
        mails = []
        # Locked, so two admins pressing the button at once do not both invite the same person.
        for person in awaiting_invitation(school).select_for_update().order_by("pk"):
            _invitation, token = issue_invitation(person, actor=actor)
            body = _(
                "Hello %(name)s,\n\n%(school)s has made you a Schoolchat account. Your username "
                "is %(username)s. Choose your password with this link (it works once, for 7 "
                "days):\n\n%(link)s\n"
            ) % {"name": person.public_name, "school": school.name, "username": person.username,
                 "link": link_for(token)}
            mails.append(EmailMessage(_("Your Schoolchat account"), body, None, [person.email]))
        archive.record("admin.invitations_emailed", scope=school_scope(school), actor=actor,
                       subjects=[], payload={"count": len(mails)})
        if mails:
            transaction.on_commit(partial(_send_mails, mails))
    return len(mails)


def _send_mails(mails: list[EmailMessage]) -> None:
    """One connection to the mail server for the whole batch."""
    get_connection().send_messages(mails)


def create_pupil_account(pupil: Pupil, *, actor: Any) -> User:
    """Give a pupil their own (inactive until invited) account; it joins class groups only as
    the school's policy and consent allow (see :func:`pupil_may_participate`)."""
    with transaction.atomic():
        if pupil.user is not None:
            return pupil.user
        user = create_account(pupil.school, actor=actor,
                              username=f"{pupil.school.slug}-{pupil.ref}".lower()[:150],
                              display_name=f"{pupil.first_name} {pupil.last_name}",
                              role=Role.PUPIL)
        pupil.user = user
        pupil.save(update_fields=["user"])
        sync_classes(classes_of_pupil(pupil), actor=actor)
    return user


def invitation_url(token: str) -> str:
    base = getattr(settings, "SCHOOLCHAT_BASE_URL", "")
    return f"{base}/invite/{token}/"


__all__ = [
    "Role",
    "accept_invitation",
    "assign_staff",
    "create_account",
    "enrol",
    "issue_invitation",
    "process_due_leavers",
    "process_leaver",
    "pupil_leaves",
    "revoke_invitation",
    "set_guardianship",
    "sync_class_conversation",
]
