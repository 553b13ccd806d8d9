"""What a legal hold keeps (no writes): what lifting it would hand back to retention."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from archive.models import LegalHold
from messaging.models import Message
from messaging.retention import conversations_kept_by, holds_in_force


@dataclass(frozen=True)
class Freed:
    """What retention may purge again once the hold is lifted: the messages and conversations
    this hold keeps that no other hold in force keeps as well."""

    messages: int
    conversations: int


def freed_by_lifting(hold: LegalHold) -> Freed:
    others = holds_in_force(hold.school, timezone.now()).exclude(pk=hold.pk)
    freed = (conversations_kept_by(LegalHold.objects.filter(pk=hold.pk))
             - conversations_kept_by(others))
    return Freed(messages=Message.objects.filter(conversation_id__in=freed).count(),
                 conversations=len(freed))


def target_name(hold: LegalHold) -> str:
    """Whom or what the hold is on, as the DPO's pages name it."""
    if hold.user is not None:
        return hold.user.public_name
    if hold.pupil is not None:
        pupil = hold.pupil
        name = f"{pupil.first_name} {pupil.last_name}"
        return f"{name} ({pupil.shown_ref})" if pupil.shown_ref else name
    return hold.conversation.name if hold.conversation is not None else ""
