"""One-to-one conversations: found by the pair or created, opened where the school's policy
allows it, or reached by answering an announcement privately."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.access import can
from accounts.models import School, User
from archive import chain
from messaging.access import (
    STAFF_PUPIL_SECOND_STAFF,
    STAFF_PUPIL_VISIBLE_TO_LEADS,
    direct_refusal,
    second_staff_candidates,
    staff_pupil_policy,
)
from messaging.actions.membership import add_member
from messaging.actions.send import post_message
from messaging.models import Conversation, Message
from messaging.text import clean_body


class SecondStaffNeeded(ValidationError):
    """The school's policy puts a second member of staff in this one-to-one and the starter
    chooses who, among ``candidates``."""

    def __init__(self, candidates: list[User]) -> None:
        self.candidates = candidates
        super().__init__(_("Choose the second member of staff for this conversation."),
                         code="second_staff")


def no_second_staff_text() -> str:
    return _("No second member of staff is available for this conversation.")


def direct_conversation(user: User, other: User, *, school: School | None = None,
                        second: User | None = None) -> Conversation:
    """The one one-to-one conversation between two people, found by its key (the two user ids)
    or created, with both of them as current members. Checks nothing about who may talk to
    whom: its callers decide that (:func:`open_direct`, :func:`reply_privately`). A new one
    between staff and a pupil follows the school's policy (docs/policy.md): visible to the
    safeguarding leads, or with a second member of staff (``second``, else the first
    :func:`~messaging.access.second_staff_candidates`)."""
    low, high = sorted([user.pk, other.pk])
    key = f"{low}:{high}"
    with transaction.atomic():
        conversation = Conversation.objects.filter(direct_key=key).first()
        if conversation is None:
            home = school or user.school
            assert home is not None, "a one-to-one conversation belongs to a school"
            policy = staff_pupil_policy(user, other)
            witness = None
            if policy == STAFF_PUPIL_SECOND_STAFF:
                witness = second or next(iter(second_staff_candidates(user, other)), None)
                if witness is None:
                    raise PermissionDenied(no_second_staff_text())
            conversation = Conversation.objects.create(
                school=home, kind=Conversation.Kind.DIRECT, direct_key=key,
                title=f"{user.public_name} · {other.public_name}",
                visible_to_leads=policy == STAFF_PUPIL_VISIBLE_TO_LEADS,
            )
            if witness is not None:
                add_member(conversation, witness, actor=user)
            chain.record("direct.opened", scope=conversation.scope, actor=user,
                           subjects=[user, other, *([witness] if witness else [])],
                           payload={"conversation": conversation.pk, "policy": policy or "",
                                    "second_staff": witness.pk if witness else None})
        for person in (user, other):
            add_member(conversation, person, actor=user)
    return conversation


def open_direct(user: User, other: User, *, second: User | None = None) -> Conversation:
    """The one-to-one conversation between two people, created on first use, where the
    school's policy allows it (see ``conversation.start_direct``; the refusal says why).

    A new one between a member of staff and a pupil under the "second member of staff"
    policy: the starter names ``second`` from :func:`~messaging.access.second_staff_candidates`
    when there are several (else :class:`SecondStaffNeeded`); a pupil who starts one gets the
    first of them.
    """
    if not can(user, "conversation.start_direct", other):
        refusal = direct_refusal(user, other) if other.school_id == user.school_id else None
        raise PermissionDenied(refusal or _("You cannot start a conversation with this person."))
    low, high = sorted([user.pk, other.pk])
    exists = Conversation.objects.filter(direct_key=f"{low}:{high}").exists()
    if not exists and staff_pupil_policy(user, other) == STAFF_PUPIL_SECOND_STAFF:
        candidates = second_staff_candidates(user, other)
        if not candidates:
            raise PermissionDenied(no_second_staff_text())
        if second is not None and second.pk not in {c.pk for c in candidates}:
            raise ValidationError(_("Choose one of the listed members of staff."),
                                  code="invalid")
        if second is None and len(candidates) > 1 and user.is_school_staff:
            raise SecondStaffNeeded(candidates)
        second = second or candidates[0]
    return direct_conversation(user, other, second=second)


def reply_privately(
    user: User, message: Message, body: object, *, client_id: uuid.UUID | None = None
) -> tuple[Message, bool]:
    """Answer an announcement in a one-to-one conversation with its sender, quoting it."""
    announcement = message.conversation
    if (announcement.kind != Conversation.Kind.ANNOUNCEMENT or not announcement.allow_replies
            or not can(user, "conversation.read", announcement)):
        raise PermissionDenied(_("Replies to this announcement are not possible."))
    if message.sender_id == user.pk:
        raise ValidationError(_("This is your own announcement."), code="invalid")
    text = clean_body(body)
    with transaction.atomic():
        # The announcement itself is the permission: its reader may answer its sender.
        direct = direct_conversation(user, message.sender, school=announcement.school)
        quote = message.body[:200]
        framed = _("Re: “%(quote)s” (%(channel)s)\n\n%(text)s") % {
            "quote": quote, "channel": announcement.name, "text": text}
        return post_message(user, direct, framed[: settings.SCHOOLCHAT_MESSAGE_MAX_CHARS],
                            client_id=client_id, confirm=True)
