"""What a safeguarding lead looked at without being a member: every look is on record."""

from __future__ import annotations

from accounts.models import User
from archive.models import AuditEntry
from messaging.access import is_lead_of
from messaging.models import Conversation, Membership


def note_lead_read(user: User, conversation: Conversation) -> bool:
    """Note in the school's audit log that a lead opened a conversation the policy makes
    visible to them (docs/policy.md); nothing for members. Returns whether it was noted."""
    if not conversation.visible_to_leads or not is_lead_of(user, conversation.school_id):
        return False
    if Membership.objects.filter(conversation=conversation, user=user,
                                 ended_at__isnull=True).exists():
        return False
    AuditEntry.objects.create(school_id=conversation.school_id, actor=user,
                              action="conversation.lead_read",
                              details={"conversation": conversation.pk})
    return True
