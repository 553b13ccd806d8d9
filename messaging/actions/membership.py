"""Who is in a conversation: membership periods and the object permissions they carry."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

import archive
from accounts.models import User
from messaging.access import posts_in
from messaging.models import Conversation, Membership
from messaging.publish import publish_user_on_commit


def _perms_for(user: User, conversation: Conversation, *, manager: bool) -> list[str]:
    perms = ["view_conversation"]
    if posts_in(user, conversation):
        perms.append("post_in_conversation")
    if manager:
        perms.append("manage_members")
    return perms


def add_member(
    conversation: Conversation, user: User, *, actor: User | None = None, manager: bool = False
) -> Membership:
    """Open a membership period and grant the matching object permissions (idempotent)."""
    with transaction.atomic():
        existing = Membership.objects.filter(
            conversation=conversation, user=user, ended_at__isnull=True
        ).first()
        if existing is not None:
            return existing
        membership = Membership.objects.create(conversation=conversation, user=user)
        for perm in _perms_for(user, conversation, manager=manager):
            assign_perm(perm, user, conversation)
        archive.record(
            "member.added", scope=conversation.scope, actor=actor, subjects=[user],
            payload={"conversation": conversation.pk, "user": user.pk},
        )
        publish_user_on_commit(user.pk, {"type": "_membership", "action": "added",
                                         "conversation": conversation.pk})
    return membership


def end_membership(conversation: Conversation, user: User, *, actor: User | None = None) -> bool:
    """Close the open membership period and revoke every permission it carried."""
    with transaction.atomic():
        ended = Membership.objects.filter(
            conversation=conversation, user=user, ended_at__isnull=True
        ).update(ended_at=timezone.now())
        if not ended:
            return False
        for perm in ("view_conversation", "post_in_conversation", "manage_members"):
            remove_perm(perm, user, conversation)
        archive.record(
            "member.removed", scope=conversation.scope, actor=actor, subjects=[user],
            payload={"conversation": conversation.pk, "user": user.pk},
        )
        publish_user_on_commit(user.pk, {"type": "_membership", "action": "removed",
                                         "conversation": conversation.pk})
    return True
