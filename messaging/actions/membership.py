"""Who is in a conversation: membership periods and the object permissions they carry."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from accounts.models import User
from archive import chain
from archive.entry import Entry
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
        membership = _open(conversation, user, manager=manager)
        chain.record(
            "member.added", scope=conversation.scope, actor=actor, subjects=[user],
            payload={"conversation": conversation.pk, "user": user.pk},
        )
    return membership


def add_members(conversation: Conversation, users: Sequence[User], *, actor: User | None,
                kind: str, payload: dict[str, Any]) -> list[User]:
    """Open a membership period for each of ``users`` who is not a member yet (in order),
    granting the permissions and telling each as :func:`add_member` does, with one archive
    record ``kind`` for all of them (``payload`` plus the conversation and who was added).
    Returns the people added; with nobody new, nothing is recorded."""
    with transaction.atomic():
        current = set(Membership.objects.filter(conversation=conversation, ended_at__isnull=True)
                      .values_list("user_id", flat=True))
        fresh = [u for u in {u.pk: u for u in users}.values() if u.pk not in current]
        if not fresh:
            return []
        for user in fresh:
            _open(conversation, user, manager=False)
        chain.record(kind, scope=conversation.scope, actor=actor, subjects=fresh,
                       payload={**payload, "conversation": conversation.pk,
                                "users": [u.pk for u in fresh]})
    return fresh


def add_each(conversation: Conversation, users: Sequence[User], *, actor: User | None,
             managers: Collection[int] = ()) -> list[User]:
    """:func:`add_member` for many people at once (a class conversation following a roster of
    2,500 families): each who is not a member yet gets a membership period, the permissions
    and the live notice, and a ``member.added`` record of their own, exactly as one by one;
    but the periods, each permission and the records are written one statement each.
    ``managers``: the ids of those who also manage the members. Returns the people added."""
    with transaction.atomic():
        current = set(Membership.objects.filter(conversation=conversation, ended_at__isnull=True)
                      .values_list("user_id", flat=True))
        fresh = [u for u in {u.pk: u for u in users}.values() if u.pk not in current]
        if not fresh:
            return []
        Membership.objects.bulk_create([Membership(conversation=conversation, user=user)
                                        for user in fresh])
        holders: dict[str, list[User]] = defaultdict(list)
        for user in fresh:
            for perm in _perms_for(user, conversation, manager=user.pk in managers):
                holders[perm].append(user)
            publish_user_on_commit(user.pk, {"type": "_membership", "action": "added",
                                             "conversation": conversation.pk})
        for perm, people in holders.items():
            assign_perm(perm, people, conversation)
        chain.record_many("member.added", scope=conversation.scope, entries=[
            Entry(actor=actor, subjects=[user],
                  payload={"conversation": conversation.pk, "user": user.pk})
            for user in fresh])
    return fresh


def _open(conversation: Conversation, user: User, *, manager: bool) -> Membership:
    """The new period, its permissions and the member's own live notice (inside the caller's
    transaction; the caller archives)."""
    membership = Membership.objects.create(conversation=conversation, user=user)
    for perm in _perms_for(user, conversation, manager=manager):
        assign_perm(perm, user, conversation)
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
        chain.record(
            "member.removed", scope=conversation.scope, actor=actor, subjects=[user],
            payload={"conversation": conversation.pk, "user": user.pk},
        )
        publish_user_on_commit(user.pk, {"type": "_membership", "action": "removed",
                                         "conversation": conversation.pk})
    return True
