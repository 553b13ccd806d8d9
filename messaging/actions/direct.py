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
from messaging.actions.membership import add_member
from messaging.actions.send import post_message
from messaging.models import Conversation, Message
from messaging.text import clean_body


def direct_conversation(user: User, other: User, *,
                        school: School | None = None) -> Conversation:
    """The one one-to-one conversation between two people, found by its key (the two user ids)
    or created, with both of them as current members. Checks nothing: its callers decide who
    may talk to whom (:func:`open_direct`, :func:`reply_privately`)."""
    low, high = sorted([user.pk, other.pk])
    key = f"{low}:{high}"
    with transaction.atomic():
        conversation = Conversation.objects.filter(direct_key=key).first()
        if conversation is None:
            home = school or user.school
            assert home is not None, "a one-to-one conversation belongs to a school"
            conversation = Conversation.objects.create(
                school=home, kind=Conversation.Kind.DIRECT, direct_key=key,
                title=f"{user.public_name} · {other.public_name}",
            )
        for person in (user, other):
            add_member(conversation, person, actor=user)
    return conversation


def open_direct(user: User, other: User) -> Conversation:
    """The one-to-one conversation between two people, created on first use, where the
    school's policy allows it (see ``conversation.start_direct``)."""
    if not can(user, "conversation.start_direct", other):
        raise PermissionDenied(_("You cannot start a conversation with this person."))
    return direct_conversation(user, other)


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
