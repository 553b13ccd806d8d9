"""One-time links: an invitation for a new account, a password reset for an existing one."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import sessions, shortcodes
from accounts.actions.people import create_account, create_pupil_account, operator_only
from accounts.models import OPERATOR_ROLES, Guardianship, Invitation, Pupil, Role, School, User
from archive import chain, scopes

INVITATION_DAYS = 7


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_url(token: str) -> str:
    base = settings.SCHOOLCHAT_BASE_URL
    return f"{base}/invite/{token}/"


def issue_invitation(user: User, *, actor: User | None = None,
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
        chain.record("admin.invitation_issued", scope=scopes.school(user.school_id), actor=actor,
                       subjects=[user], payload={"user": user.pk, "purpose": purpose,
                                                 "invitation": invitation.pk})
    return invitation, token


def invite_new_account(school: School, *, actor: User | None, username: str, display_name: str,
                       role: str, email: str = "", phone: str = "") -> tuple[User, str]:
    """A new account and its invitation link, together (``admin.account_created`` and
    ``admin.invitation_issued``). Returns the account and the raw token."""
    with transaction.atomic():
        person = create_account(school, actor=actor, username=username,
                                display_name=display_name, role=role, email=email, phone=phone)
        _invitation, token = issue_invitation(person, actor=actor)
    return person, token


def invite_pupil(pupil: Pupil, *, actor: User | None) -> tuple[User, str]:
    """The pupil's own account (see :func:`accounts.actions.people.create_pupil_account`) and
    its invitation link. Returns the account and the raw token."""
    with transaction.atomic():
        account = create_pupil_account(pupil, actor=actor)
        _invitation, token = issue_invitation(account, actor=actor)
    return account, token


def reissue_link(person: User, *, actor: User | None) -> tuple[Invitation, str]:
    """An invitation for a never-activated account, a password-reset link otherwise."""
    purpose = (Invitation.Purpose.RESET if person.has_usable_password()
               else Invitation.Purpose.INVITE)
    return issue_invitation(person, actor=actor, purpose=purpose)


def revoke_invitation(invitation: Invitation, *, actor: User | None = None) -> bool:
    with transaction.atomic():
        done = Invitation.objects.filter(
            pk=invitation.pk, used_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        if done:
            chain.record("admin.invitation_revoked", scope=scopes.school(invitation.user.school_id),
                           actor=actor, subjects=[invitation.user],
                           payload={"invitation": invitation.pk})
    return bool(done)


def find_invitation(token: str) -> Invitation | None:
    return Invitation.objects.filter(token_hash=hash_token(token)).select_related(
        "user", "user__school"
    ).first()


def accept_invitation(invitation: Invitation, password: str, *, language: str = "") -> User:
    """Use the link once: set the password (and, when given, the person's language: the
    first login chooses it) and activate the account."""
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not locked.is_pending or locked.user.left_at is not None:
            raise ValueError("invitation no longer valid")
        locked.used_at = timezone.now()
        locked.save(update_fields=["used_at"])
        user = locked.user
        user.set_password(password)
        user.is_active = True
        fields = ["password", "is_active"]
        if language:
            if language not in dict(settings.LANGUAGES):
                raise ValueError(f"not a language of this installation: {language!r}")
            user.language = language
            fields.append("language")
        user.save(update_fields=fields)
        chain.record("account.password_set", scope=scopes.school(user.school_id), actor=user,
                       subjects=[user], payload={"user": user.pk, "purpose": locked.purpose,
                                                 **({"language": language} if language else {})})
        # A password reset ends every other session of the account.
        sessions.delete_sessions({user.pk})
    return user


def awaiting_invitation(school: School) -> QuerySet[User]:
    """Accounts never activated, not leavers, with an e-mail address and no pending link;
    the operator invites the DPO and the safeguarding lead."""
    pending = Invitation.objects.filter(used_at__isnull=True, revoked_at__isnull=True,
                                        expires_at__gt=timezone.now()).values("user_id")
    return (User.objects.filter(school=school, is_active=False, left_at__isnull=True)
            .exclude(email="").exclude(pk__in=pending).exclude(role__in=list(OPERATOR_ROLES))
            .filter(password__startswith="!"))


def email_invitations(school: School, *, actor: User | None,
                      link_for: Callable[[str], str], only: User | None = None) -> int:
    """Issue a link to everyone awaiting one and e-mail it; ``link_for(token)`` makes the URL.
    With ``only``, to that one person (if they are awaiting one).

    One transaction: the links, one ``admin.invitation_issued`` record each and one
    ``admin.invitations_emailed`` record for the whole send commit together, and the mails go
    out only after the commit (none for a send that rolled back). Each person gets their own
    message, never a shared To: list, in their language (:func:`mail_language`). Returns how
    many were sent.
    """
    with transaction.atomic():
        mails = []
        awaiting = awaiting_invitation(school)
        if only is not None:
            awaiting = awaiting.filter(pk=only.pk)
        # Locked, so two admins pressing the button at once do not both invite the same person.
        # The school comes along for each mail's language; only the accounts are locked.
        for person in (awaiting.select_related("school").select_for_update(of=("self",))
                       .order_by("pk")):
            _invitation, token = issue_invitation(person, actor=actor)
            mails.append(invitation_mail(person, school, link_for(token)))
        chain.record("admin.invitations_emailed", scope=scopes.school(school.pk), actor=actor,
                       subjects=[], payload={"count": len(mails)})
        if mails:
            transaction.on_commit(partial(send_mails, mails))
    return len(mails)


def create_and_email_invitation(school: School, *, actor: User | None,
                                link_for: Callable[[str], str], username: str,
                                display_name: str, role: str, email: str,
                                phone: str = "") -> User:
    """A new account whose invitation goes to its e-mail address instead of to the admin's
    screen: the bulk send (:func:`email_invitations`) for this one person, in the same
    transaction as the account (``admin.account_created``, ``admin.invitation_issued``,
    ``admin.invitations_emailed``), the mail after the commit."""
    if not email:
        raise ValueError("an invitation is e-mailed only to an e-mail address")
    with transaction.atomic():
        person = create_account(school, actor=actor, username=username,
                                display_name=display_name, role=role, email=email, phone=phone)
        email_invitations(school, actor=actor, link_for=link_for, only=person)
    return person


def contact_about(links: QuerySet[Guardianship]) -> QuerySet[Guardianship]:
    """The guardianships a letter names: no no-contact flag, a pupil who has not left."""
    today = timezone.localdate()
    return links.filter(no_contact=False).filter(
        Q(pupil__left_on__isnull=True) | Q(pupil__left_on__gt=today))


def letter_recipients(school: School) -> QuerySet[User]:
    """Who gets a printed letter: the school's parents without an e-mail address who have not
    set a password yet (never activated), are not leavers, and have a child the school may
    contact them about (a guardianship without the no-contact flag). A pending link is
    replaced by the letter's."""
    contactable = contact_about(Guardianship.objects.filter(pupil__school=school)) \
        .values("guardian_id")
    return (User.objects.filter(school=school, role=Role.PARENT, email="", is_active=False,
                                left_at__isnull=True, password__startswith="!")
            .filter(pk__in=contactable))


def parents_without_email(school: School) -> dict[str, int]:
    """The school's parents without an e-mail address whom it may contact (not leavers, a
    child they may be contacted about): how many there are and how many have activated their
    account (set a password). What the invitations page says when no letter is to be made."""
    contactable = contact_about(Guardianship.objects.filter(pupil__school=school)) \
        .values("guardian_id")
    return User.objects.filter(school=school, role=Role.PARENT, email="", left_at__isnull=True,
                               pk__in=contactable).aggregate(
        total=Count("pk"), activated=Count("pk", filter=Q(is_active=True)),
        inactive=Count("pk", filter=Q(is_active=False)))


@dataclass(frozen=True)
class Letter:
    """One printed page: to one parent, about their children, with their link and code."""

    person: User
    pupils: list[Pupil]
    link: str
    code: str  # grouped for reading, ABCD-EFGH
    expires_at: datetime
    language: str


def issue_letters(school: School, *, actor: User | None,
                  link_for: Callable[[str], str]) -> list[Letter]:
    """A fresh invitation, with a short code, for everyone :func:`letter_recipients` names,
    and the letters to print. One transaction and one ``admin.invitation_letters_issued``
    record naming every parent, their new invitations and the pending links the letters
    replaced (revoked here: a parent has one live link, the one on paper). Printing again
    issues new links and codes; the earlier letters stop working."""
    now = timezone.now()
    with transaction.atomic():
        # Locked, so two admins printing at once do not both issue links to the same parent.
        people = list(letter_recipients(school).select_for_update().order_by("display_name", "pk"))
        pending = Invitation.objects.filter(user__in=people, used_at__isnull=True,
                                            revoked_at__isnull=True)
        revoked = list(pending.values_list("pk", flat=True))
        Invitation.objects.filter(pk__in=revoked).update(revoked_at=now)
        tokens = {person.pk: secrets.token_urlsafe(32) for person in people}
        codes = {person.pk: shortcodes.new_code() for person in people}
        issued = Invitation.objects.bulk_create([
            Invitation(user=person, purpose=Invitation.Purpose.INVITE,
                       token_hash=hash_token(tokens[person.pk]),
                       short_code_hash=shortcodes.code_hash(codes[person.pk]), created_by=actor,
                       created_at=now, expires_at=now + timedelta(days=INVITATION_DAYS))
            for person in people])
        children: dict[int, list[Pupil]] = {}
        for link in (contact_about(Guardianship.objects.filter(guardian__in=people))
                     .select_related("pupil").order_by("pupil__first_name", "pupil__pk")):
            children.setdefault(link.guardian_id, []).append(link.pupil)
        chain.record("admin.invitation_letters_issued", scope=scopes.school(school.pk),
                       actor=actor,
                       subjects=[*people, *dict.fromkeys(p for ps in children.values() for p in ps)],
                       payload={"count": len(people), "users": [p.pk for p in people],
                                "invitations": [i.pk for i in issued], "revoked": revoked})
    return [Letter(person=person, pupils=children.get(person.pk, []),
                   link=link_for(tokens[person.pk]), code=shortcodes.grouped(codes[person.pk]),
                   expires_at=invitation.expires_at, language=mail_language(person))
            for person, invitation in zip(people, issued, strict=True)]


def find_by_short_code(typed: str) -> Invitation | None:
    """The invitation a letter's code (as typed) belongs to, or None."""
    code = shortcodes.normalise(typed)
    if code is None:
        return None
    return Invitation.objects.filter(short_code_hash=shortcodes.code_hash(code)) \
        .select_related("user", "user__school").first()


def mail_language(person: User) -> str:
    """The language a mail or a printed letter to this person is written in: their own
    (``User.language``), else their school's, else the installation's default
    (``LANGUAGE_CODE``), never the language of the admin's browser who pressed the button."""
    return person.preferred_language


def invitation_mail(person: User, school: School, link: str) -> EmailMessage:
    with translation.override(mail_language(person)):
        body = _(
            "Hello %(name)s,\n\n%(school)s has made you a Schoolchat account. Your username "
            "is %(username)s. Choose your password with this link (it works once, for 7 "
            "days):\n\n%(link)s\n"
        ) % {"name": person.public_name, "school": school.name, "username": person.username,
             "link": link}
        subject = _("Your Schoolchat account")
    return EmailMessage(subject, body, None, [person.email])


def send_mails(mails: list[EmailMessage]) -> None:
    """One connection to the mail server for the whole batch."""
    get_connection().send_messages(mails)
