"""What a safeguarding lead looked at without being a member: every look is on record."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from archive import chain, scopes
from archive.models import Record
from messaging.access import is_lead_of
from messaging.models import Conversation, Membership

# One look, however often the page reloads or its socket reconnects within this time.
LOOK_LASTS = timedelta(minutes=10)
KIND = "conversation.lead_read"


def note_lead_read(user: User, conversation: Conversation) -> bool:
    """Record, in the school's safeguarding chain the DPO's oversight page reads, that a lead
    opened a conversation the policy makes visible to them (docs/policy.md), on the page or
    over the socket; nothing for members. Returns whether a new record was written."""
    if not conversation.visible_to_leads or not is_lead_of(user, conversation.school_id):
        return False
    if Membership.objects.filter(conversation=conversation, user=user,
                                 ended_at__isnull=True).exists():
        return False
    scope = scopes.safeguarding(conversation.school_id)
    if Record.objects.filter(scope=scope, kind=KIND, actor=user,
                             created_at__gte=timezone.now() - LOOK_LASTS,
                             payload__content__conversation=conversation.pk).exists():
        return False
    with transaction.atomic():
        chain.record(KIND, scope=scope, actor=user,
                       payload={"conversation": conversation.pk})
    return True
