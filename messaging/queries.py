"""Read-side queries shared by the views, the consumer and the tasks (no writes here)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import (
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import can
from accounts.models import User
from archive.folding import matching, terms
from messaging import acknowledgements, cards, mentions, reactions
from messaging.access import (
    blocks,
    direct_post_refusal,
    posting_restriction,
    reacts_in,
    readable_conversations,
    restriction_text,
    sees_staff_tools,
)
from messaging.actions.send import confirm_threshold
from messaging.attachments import mark_shown
from messaging.models import (
    Acknowledgement,
    Conversation,
    Membership,
    Message,
    Receipt,
    Sensitivity,
)

SEARCH_LIMIT = 50


def messages(conversation: Conversation, viewer: User) -> QuerySet[Message]:
    """A conversation's messages as ``viewer`` sees them (a message held for the school's
    review only by its sender), with what their rendering needs, and their receipt count."""
    return (Message.objects.filter(conversation=conversation)
            .filter(Q(held_at__isnull=True) | Q(sender=viewer))
            .select_related("sender", "reply_to__sender")
            .prefetch_related("attachments__pupils", "mentions__user")
            .annotate(seen_count=Count("receipts", distinct=True)))


def with_unread(conversations: QuerySet[Conversation], user: User) -> QuerySet[Conversation]:
    """Annotate ``unread`` (messages from others after the user's last read seq),
    ``last_message_id`` and ``last_at`` (the newest message's time, else when the conversation
    began); latest activity first. One query, whatever the number of conversations."""
    last_read = Membership.objects.filter(
        conversation=OuterRef("pk"), user=user, ended_at__isnull=True
    ).values("last_read_seq")[:1]
    unread = (
        Message.objects.filter(conversation=OuterRef("pk"), seq__gt=OuterRef("last_read"),
                               retracted_at__isnull=True, removed_at__isnull=True,
                               held_at__isnull=True)
        .exclude(sender=user).order_by().values("conversation")
        .annotate(n=Count("pk")).values("n")
    )
    # Uses index: messaging_message_seq (a conversation's messages by seq).
    newest = Message.objects.filter(conversation=OuterRef("pk"),
                                    held_at__isnull=True).order_by("-seq")
    return (
        conversations
        .annotate(last_read=Coalesce(Subquery(last_read), Value(0)))
        .annotate(unread=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)),
                  last_message_id=Subquery(newest.values("pk")[:1]),
                  last_at=Coalesce(Subquery(newest.values("created_at")[:1]), F("created_at")))
        .order_by("-last_at", "title", "pk")
    )


def inbox(user: User) -> list[Conversation]:
    """The user's conversations as the inbox lists them, each with ``unread``, ``display_title``
    and ``last_message`` (None, or the newest message with its sender and the attachments the
    reader may see noted): a fixed number of queries for any number of conversations."""
    conversations = list(with_unread(readable_conversations(user), user))
    display_titles(conversations, user)
    ids = [c.last_message_id for c in conversations  # type: ignore[attr-defined]
           if c.last_message_id is not None]  # type: ignore[attr-defined]
    latest = {m.pk: m for m in Message.objects.filter(pk__in=ids)
              .select_related("sender").prefetch_related("attachments__pupils")}
    mark_shown(latest.values())
    for conversation in conversations:
        conversation.last_message = latest.get(  # type: ignore[attr-defined]
            conversation.last_message_id)  # type: ignore[attr-defined]
    return conversations


def audience(message: Message) -> list[User]:
    """The current members other than the sender: the "M" of "seen by N of M"."""
    return list(
        User.objects.filter(memberships__conversation=message.conversation_id,
                            memberships__ended_at__isnull=True)
        .exclude(pk=message.sender_id).order_by("display_name", "username").distinct()
    )


def seen_by(message: Message) -> list[User]:
    ids = Receipt.objects.filter(message=message).values("user")
    return list(User.objects.filter(pk__in=ids).order_by("display_name", "username"))


def acknowledged_by(message: Message) -> list[User]:
    ids = Acknowledgement.objects.filter(message=message).values("user")
    return list(User.objects.filter(pk__in=ids).order_by("display_name", "username"))


def search(user: User, query: str) -> list[Message]:
    """Messages matching ``query`` in the conversations the user can read, newest first, at
    most ``SEARCH_LIMIT``.

    Every word must occur in a message, in any order, as a part of a word, ignoring case and
    accents in every script ("zoe" finds "Zoë", "дмитрий" finds "Дмитрий"): the words are
    folded as the stored ``body_folded`` is (``archive.folding``), the same on both databases.
    A query with no words finds nothing.
    """
    if not terms(query):
        return []
    rows = (Message.objects.filter(conversation__in=readable_conversations(user),
                                   retracted_at__isnull=True, removed_at__isnull=True,
                                   held_at__isnull=True)
            # Sensitive messages are found only by their sender (docs/policy.md).
            .filter(Q(sensitive="") | Q(sender=user))
            # Uses index: messaging_message_body_folded_trgm on PostgreSQL.
            .filter(matching("body_folded", query))
            .select_related("sender", "conversation__school_class")
            .order_by("-created_at", "-pk"))
    return list(rows[:SEARCH_LIMIT])


def page_context(user: User, conversation: Conversation, shown: list[Message]) -> dict[str, Any]:
    """What the conversation page needs besides the messages: permissions and per-message
    state of the viewer (which of their messages are still editable, what they acknowledged,
    the reactions: ``reaction_chips`` and ``my_reaction`` noted on each message)."""
    minutes = settings.SCHOOLCHAT_RETRACT_MINUTES
    since = timezone.now() - timedelta(minutes=minutes)
    members = Membership.objects.filter(conversation=conversation, ended_at__isnull=True).count()
    asked = [m.pk for m in shown if m.ack_requested]
    restriction = posting_restriction(user)
    refusal = (restriction_text(restriction) if restriction is not None
               else direct_post_refusal(user, conversation) or "")
    if not refusal and not _has_open_membership(user, conversation) and can(
            user, "conversation.read", conversation):
        refusal = _("You read this conversation as one of the school's safeguarding leads.")
    staff = sees_staff_tools(user)
    reactions.annotate(shown, user)
    return {
        "ack_count_new": ack_counts(conversation, shown, user) if staff else "",
        # Why the composer is off when the school restricted this person, the policy or a
        # block refuses them here, or they read as a lead (else empty).
        "restricted_text": refusal,
        "can_post": can(user, "conversation.post", conversation),
        "is_staff": sees_staff_tools(user),
        "can_request_ack": can(user, "message.request_ack", conversation),
        # "New poll", "New activity": what this person may start here (messaging.cards).
        "card_starters": cards.starters(conversation, user),
        "audience_size": max(members - 1, 0),
        "max_chars": settings.SCHOOLCHAT_MESSAGE_MAX_CHARS,
        "edit_minutes": minutes,
        "confirm_threshold": confirm_threshold(conversation),
        "editable_ids": {m.pk for m in shown
                         if m.sender_id == user.pk and m.created_at >= since
                         and m.removed_at is None and m.held_at is None},
        "acknowledged_ids": set(Acknowledgement.objects.filter(
            user=user, message_id__in=asked).values_list("message_id", flat=True)),
        "can_manage": can(user, "conversation.manage_members", conversation),
        # The reactions' picker on each published message (the rule, message.react, also
        # asks that the message is published: the template shows it only on those).
        "can_react": reacts_in(user, conversation),
        "reaction_choices": reactions.choices(),
        "can_mark_sensitive": can(user, "message.mark_sensitive", conversation),
        "sensitivities": [(value, str(label)) for value, label in Sensitivity.choices],
        "sensitive_categories": sensitive_categories(),
        # Whom "@" offers: where the reader may mention and there is more than one other.
        "mention_people": mention_people(user, conversation, max(members - 1, 0)),
        **direct_context(user, conversation),
    }


def mention_people(user: User, conversation: Conversation, others: int) -> list[Any]:
    """The members the composer's "@" offers (:func:`messaging.mentions.choices`), or none:
    where the reader may not mention, may not see the member list, or would have one person
    to choose from (who is told about every message anyway)."""
    if (others < 2 or not can(user, "message.mention", conversation)
            or not can(user, "membership.list", conversation)):
        return []
    return list(mentions.choices(conversation, user))


def ack_counts(conversation: Conversation, shown: list[Message], viewer: User) -> str:
    """Note "3 of 25 families" as ``ack_count`` on each of ``shown`` that asked to be
    acknowledged, for staff's bubbles; returns the text of a new message of ``viewer``'s
    ("0 of 25 families"), for the live messages' prototypes."""
    asked: dict[int, list[Message]] = {}
    for m in shown:
        if m.ack_requested:
            asked.setdefault(m.sender_id, []).append(m)
    for sender_id, rows in asked.items():
        counts = acknowledgements.family_counts(conversation, sender_id, [m.pk for m in rows])
        for m in rows:
            m.ack_count = acknowledgements.count_text(*counts[m.pk])  # type: ignore[attr-defined]
    # No message has the id 0: none of its families acknowledged.
    return acknowledgements.count_text(
        *acknowledgements.family_counts(conversation, viewer.pk, [0])[0])


def _has_open_membership(user: User, conversation: Conversation) -> bool:
    return Membership.objects.filter(conversation=conversation, user=user,
                                     ended_at__isnull=True).exists()


def sensitive_categories() -> str:
    """The categories' names in the active language, as JSON for the page's script."""
    return json.dumps({value: str(label) for value, label in Sensitivity.choices})


def direct_context(user: User, conversation: Conversation) -> dict[str, Any]:
    """A one-to-one's policy notes for its page: the second member of staff the school's
    policy put in it (their names), and the Block/Unblock control (whom, and whether blocked)."""
    if conversation.kind != Conversation.Kind.DIRECT:
        return {}
    others = list(User.objects.filter(memberships__conversation=conversation,
                                      memberships__ended_at__isnull=True)
                  .exclude(pk=user.pk).order_by("pk"))
    context: dict[str, Any] = {}
    low, high = (int(x) for x in (conversation.direct_key or "0:0").split(":"))
    pair = {low, high}
    extra = [o for o in others if o.pk not in pair]
    if extra:
        context["second_staff"] = ", ".join(o.public_name for o in extra)
    if user.pk in pair:
        other = next((o for o in others if o.pk in pair), None)
        if other is not None and can(user, "person.block", other):
            context["block_target"] = other
            context["blocking"] = blocks(user, other)
    return context


def messages_around(message: Message, before: int = 3, after: int = 3) -> list[Message]:
    """The message with up to ``before`` messages before it and ``after`` after it in its
    conversation, in order: a safeguarding lead's context view. Held, rejected and removed
    messages are included, marked by their fields (``held_at``, ``rejected_at``,
    ``removed_at``; a removed one's text is in its ``message.removed`` archive record).
    The caller decides who may see this; messaging does not show it on any page."""
    rows = (Message.objects.filter(conversation_id=message.conversation_id)
            .select_related("sender", "reply_to__sender", "removed_by")
            .prefetch_related("attachments"))
    # Uses index: messaging_message_seq.
    earlier = list(rows.filter(seq__lt=message.seq).order_by("-seq")[:max(before, 0)])[::-1]
    later = list(rows.filter(seq__gt=message.seq).order_by("seq")[:max(after, 0)])
    current = rows.get(pk=message.pk)
    return [*earlier, current, *later]


def last_read_seq(conversation: Conversation, user: User) -> int:
    """The seq up to which the user has marked the conversation read (0 if not a member)."""
    found = (Membership.objects.filter(conversation=conversation, user=user, ended_at__isnull=True)
             .values_list("last_read_seq", flat=True).first())
    return found or 0


def display_titles(conversations: list[Conversation], user: User) -> None:
    """Set ``display_title`` in the active language: a one-to-one conversation is shown by the
    other person's name, a class group by its class (:attr:`Conversation.name`)."""
    prefetch_related_objects(
        [c for c in conversations if c.kind == Conversation.Kind.CLASS], "school_class")
    direct = [c.pk for c in conversations if c.kind == Conversation.Kind.DIRECT]
    others: dict[int, list[str]] = {}
    if direct:
        rows = (Membership.objects.filter(conversation__in=direct, ended_at__isnull=True)
                .exclude(user=user).select_related("user"))
        for row in rows:
            others.setdefault(row.conversation_id, []).append(row.user.public_name)
    for conversation in conversations:
        names = others.get(conversation.pk)
        conversation.display_title = (  # type: ignore[attr-defined]
            ", ".join(sorted(names)) if names else conversation.name)
