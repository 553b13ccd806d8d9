"""The only writers of messages and memberships.

Each action validates, changes state and appends to the archive in one transaction, and
publishes its event to the hub only after that transaction commits: a browser never sees
something the database could still roll back.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

import archive
from accounts import ratelimit
from accounts.access import can
from messaging import hub
from messaging.events import edited_event, message_event, pinned_event, retracted_event
from messaging.models import Acknowledgement, Conversation, Event, Membership, Message, Receipt

DEFAULT_CONFIRM_GROUP_SIZE = 15


class ConfirmationRequired(ValidationError):
    """The conversation is large enough that the sender must confirm the audience first."""

    def __init__(self, recipients: int) -> None:
        self.recipients = recipients
        super().__init__(
            _("This message will go to %(count)d people. Send it to all of them?")
            % {"count": recipients},
            code="confirm_required",
        )


def _perms_for(user: Any, conversation: Conversation, *, manager: bool) -> list[str]:
    perms = ["view_conversation"]
    # Announcement channels: staff post, everyone else reads.
    if conversation.kind != Conversation.Kind.ANNOUNCEMENT or user.is_school_staff:
        perms.append("post_in_conversation")
    if manager:
        perms.append("manage_members")
    return perms


def add_member(
    conversation: Conversation, user: Any, *, actor: Any = None, manager: bool = False
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
        event = {"type": "_membership", "action": "added", "conversation": conversation.pk}
        transaction.on_commit(lambda: hub.get_hub().publish_user(user.pk, event))
    return membership


def end_membership(conversation: Conversation, user: Any, *, actor: Any = None) -> bool:
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
        event = {"type": "_membership", "action": "removed", "conversation": conversation.pk}
        transaction.on_commit(lambda: hub.get_hub().publish_user(user.pk, event))
    return True


def clean_body(body: Any) -> str:
    if not isinstance(body, str):
        raise ValidationError(_("A message must be text."), code="invalid")
    text = body.strip()
    if not text:
        raise ValidationError(_("A message cannot be empty."), code="empty")
    limit = settings.SCHOOLCHAT_MESSAGE_MAX_CHARS
    if len(text) > limit:
        raise ValidationError(
            _("This message is %(length)d characters long; the limit is %(limit)d.")
            % {"length": len(text), "limit": limit},
            code="too_long",
        )
    return text


def _lock(conversation: Conversation) -> None:
    """Lock the conversation's row until the transaction ends: it serialises every writer to
    this conversation (and only this one)."""
    Conversation.objects.select_for_update().only("pk").get(pk=conversation.pk)


def _publish_on_commit(conversation_id: int, event: dict[str, Any]) -> None:
    transaction.on_commit(lambda: hub.get_hub().publish(conversation_id, event))


def _publish_user_on_commit(user_id: int, event: dict[str, Any]) -> None:
    transaction.on_commit(lambda: hub.get_hub().publish_user(user_id, event))


def recipient_count(conversation: Conversation, sender: Any) -> int:
    """How many people other than the sender a message here reaches."""
    return (Membership.objects.filter(conversation=conversation, ended_at__isnull=True)
            .exclude(user=sender).count())


def confirm_threshold(conversation: Conversation) -> int:
    # The policy field belongs to accounts.School; schools without it use the default.
    value = getattr(conversation.school, "confirm_group_size", None)
    return DEFAULT_CONFIRM_GROUP_SIZE if value is None else int(value)


@dataclass
class Draft:
    """One message as its sender wrote it, before it is checked and stored."""

    sender: Any
    body: Any
    client_id: uuid.UUID | None = None
    reply_to: Message | None = None
    urgent: bool = False
    ack_requested: bool = False
    confirm: bool = False
    attachments: Sequence[Any] = ()


Posted = tuple[Message, bool]
Outcome = Posted | PermissionDenied | ValidationError


def post_message(
    sender: Any,
    conversation: Conversation,
    body: Any,
    *,
    client_id: uuid.UUID | None = None,
    reply_to: Message | None = None,
    urgent: bool = False,
    ack_requested: bool = False,
    confirm: bool = False,
    attachments: Any = (),
    limited: bool = True,
) -> Posted:
    """Persist a message, archive it and publish it after commit.

    Returns ``(message, created)``. A retry carrying the ``client_id`` of a message already
    stored returns that message with ``created=False`` and publishes nothing new.
    Raises ``PermissionDenied`` when the sender may not post, ``ValidationError`` for bad input
    and :class:`ConfirmationRequired` when the audience is larger than the school's threshold
    and ``confirm`` was not given. ``limited=False`` is for what a person did not type just now
    (scheduled messages, the demo).
    """
    draft = Draft(sender, body, client_id=client_id, reply_to=reply_to, urgent=urgent,
                  ack_requested=ack_requested, confirm=confirm, attachments=list(attachments))
    outcome = post_messages(conversation, [draft], limited=limited)[0]
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def post_messages(conversation: Conversation, drafts: Sequence[Draft], *,
                  limited: bool = True) -> list[Outcome]:
    """Post several messages to one conversation with one commit (group commit).

    Each draft is checked on its own and gets its own outcome, in order: ``(message, created)``
    as from :func:`post_message`, or the ``PermissionDenied``/``ValidationError`` that refused
    it; a refused draft does not stop the others. The drafts without attachments are stored in
    one transaction: one lock, one seq range, one insert per table and one archive append for
    all of them, which is what lets a busy conversation take hundreds of messages a second.
    A draft with attachments gets a transaction of its own, so a photo that cannot be claimed
    never undoes other people's messages. An unexpected database error propagates.

    Each sender's posting rate is limited (``accounts.ratelimit``, the same budget for the
    websocket and the HTTP form): drafts past it are refused with ``RateLimited`` (code
    ``rate_limited``, ``retry_after`` seconds) and not stored.
    """
    outcomes: list[Outcome | None] = [None] * len(drafts)
    checked: list[_Checked] = []
    allowed: dict[tuple[int, str], bool] = {}  # one permission question per sender and rule
    for index, draft in enumerate(drafts):
        try:
            checked.append(_check(conversation, index, draft, allowed))
        except (PermissionDenied, ValidationError) as exc:
            outcomes[index] = exc
    if limited:
        checked = _within_rate(checked, outcomes)
    plain = [c for c in checked if not c.draft.attachments]
    batches = ([plain] if plain else []) + [[c] for c in checked if c.draft.attachments]
    for batch in batches:
        head = conversation.last_seq
        try:
            _store_batch(conversation, batch, outcomes)
        except (PermissionDenied, ValidationError) as exc:
            # Raised while claiming a photo (its consent changed since the upload): the
            # transaction rolled back, so every draft of the batch is refused alike.
            conversation.last_seq = head
            for c in batch:
                outcomes[c.index] = exc
        except BaseException:
            conversation.last_seq = head  # the seqs taken were rolled back with the rest
            raise
    assert all(outcome is not None for outcome in outcomes)
    return outcomes  # type: ignore[return-value]


def _within_rate(checked: list[_Checked], outcomes: list[Outcome | None]) -> list[_Checked]:
    """The drafts within their sender's posting budget (one question per sender), in order;
    the others get a ``RateLimited`` outcome."""
    by_sender: dict[int, list[_Checked]] = {}
    for item in checked:
        by_sender.setdefault(item.draft.sender.pk, []).append(item)
    kept: set[int] = set()
    for items in by_sender.values():
        allowed, retry_after = ratelimit.take("post", items[0].draft.sender, len(items))
        kept.update(item.index for item in items[:allowed])
        for item in items[allowed:]:
            outcomes[item.index] = ratelimit.RateLimited(retry_after)
    return [item for item in checked if item.index in kept]


@dataclass
class _Checked:
    index: int
    draft: Draft
    text: str
    client_id: uuid.UUID

    @property
    def key(self) -> tuple[int, uuid.UUID]:
        return self.draft.sender.pk, self.client_id


def _check(conversation: Conversation, index: int, draft: Draft,
           allowed: dict[tuple[int, str], bool]) -> _Checked:
    """Everything about one draft that needs no lock: text, permissions, reply and flags."""
    sender, body = draft.sender, draft.body
    # A photo may go without words; otherwise the text rules apply.
    text = ("" if draft.attachments and isinstance(body, str) and not body.strip()
            else clean_body(body))

    def may(action: str) -> bool:
        key = (sender.pk, action)
        if key not in allowed:
            allowed[key] = can(sender, action, conversation)
        return allowed[key]

    if not may("conversation.post"):
        raise PermissionDenied(_("You cannot post in this conversation."))
    if draft.urgent and not may("message.post_urgent"):
        raise PermissionDenied(_("Only staff can mark a message urgent."))
    if draft.ack_requested and not (conversation.kind == Conversation.Kind.ANNOUNCEMENT
                                    and sender.is_school_staff):
        raise ValidationError(_("Only staff can ask for acknowledgement, in announcements."),
                              code="invalid")
    if draft.reply_to is not None and draft.reply_to.conversation_id != conversation.pk:
        raise ValidationError(_("You can only reply to a message of this conversation."),
                              code="invalid")
    return _Checked(index, draft, text, draft.client_id or uuid.uuid4())


def _take_seqs(conversation: Conversation, count: int) -> int:
    """Take ``count`` consecutive seqs and return the first, inside a transaction, so seqs
    have no gaps or repeats. The UPDATE locks the conversation's row until the transaction
    ends (SQLite: the IMMEDIATE transaction holds the write lock), serialising writers to
    this conversation only; RETURNING saves a round trip on the hot path."""
    table = Conversation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_seq = last_seq + %s WHERE id = %s RETURNING last_seq",  # noqa: S608
            [count, conversation.pk],
        )
        row = cursor.fetchone()
    if row is None:
        raise Conversation.DoesNotExist
    conversation.last_seq = int(row[0])
    return conversation.last_seq - count + 1


def _next_seq(conversation: Conversation) -> int:
    return _take_seqs(conversation, 1)


def _store_batch(conversation: Conversation, batch: list[_Checked],
                 outcomes: list[Outcome | None]) -> None:
    with transaction.atomic():
        # Taking the seqs locks the conversation first, so the duplicate check below cannot
        # race with a concurrent retry of the same client_id.
        first = _take_seqs(conversation, len(batch))
        fresh, copies = _without_duplicates(conversation, batch, outcomes)
        fresh = _without_unconfirmed(conversation, fresh, outcomes)
        if len(fresh) < len(batch):
            # Give back the seqs of the drafts that will not be stored: seqs have no gaps.
            _take_seqs(conversation, len(fresh) - len(batch))
        if fresh:
            _insert(conversation, first, fresh, outcomes)
    # A second copy of a draft in the same batch gets what the first got: its message (as a
    # retry), or the same refusal.
    for index, original in copies.items():
        outcome = outcomes[original]
        outcomes[index] = (outcome[0], False) if isinstance(outcome, tuple) else outcome


def _insert(conversation: Conversation, first: int, fresh: list[_Checked],
            outcomes: list[Outcome | None]) -> None:
    """Store the checked drafts with seqs from ``first`` on, inside the batch's transaction."""
    messages = Message.objects.bulk_create([
        Message(conversation=conversation, seq=first + n, sender=c.draft.sender,
                body=c.text, client_id=c.client_id, reply_to=c.draft.reply_to,
                urgent=c.draft.urgent, ack_requested=c.draft.ack_requested)
        for n, c in enumerate(fresh)
    ])
    Event.objects.bulk_create([
        Event(conversation=conversation, seq=m.seq, kind=Event.Kind.MESSAGE, message=m)
        for m in messages
    ])
    entries = []
    events = []
    for c, message in zip(fresh, messages, strict=True):
        outcomes[c.index] = (message, True)
        payload: dict[str, Any] = {"message": message.pk, "seq": message.seq,
                                   "body": c.text}
        if c.draft.reply_to is not None:
            payload["reply_to"] = c.draft.reply_to.pk
        summaries: list[dict[str, Any]] = []
        if c.draft.attachments:
            from messaging.attachments import claim, summary

            claim(c.draft.sender, message, list(c.draft.attachments))
            payload["attachments"] = [a.token for a in c.draft.attachments]
            summaries = [summary(a) for a in c.draft.attachments]
        entries.append(archive.Entry(actor=c.draft.sender, subjects=[c.draft.sender],
                                     payload=payload))
        events.append(message_event(message, attachments=summaries))
    archive.record_many("message.posted", scope=conversation.scope, entries=entries)
    transaction.on_commit(lambda: hub.get_hub().publish_many(conversation.pk, events))


def _without_duplicates(conversation: Conversation, batch: list[_Checked],
                        outcomes: list[Outcome | None]
                        ) -> tuple[list[_Checked], dict[int, int]]:
    """Drop the retries of stored messages (their outcome is the stored message) and second
    copies of a draft within the batch, returned as {copy's index: first copy's index}."""
    keys = {c.key for c in batch}
    # Uses index: messaging_message_idempotent (client_id first). Ids first: a retry is rare,
    # and the full rows (with sender and reply) are read only for one.
    found = [pk for pk, sender_id, client_id in Message.objects.filter(
        client_id__in={c.client_id for c in batch}, conversation=conversation,
    ).order_by().values_list("pk", "sender_id", "client_id") if (sender_id, client_id) in keys]
    stored = {
        (m.sender_id, m.client_id): m
        for m in Message.objects.filter(pk__in=found).select_related(
            "sender", "reply_to__sender")
    } if found else {}
    fresh: list[_Checked] = []
    firsts: dict[tuple[int, uuid.UUID], int] = {}
    copies: dict[int, int] = {}
    for c in batch:
        if c.key in stored:
            outcomes[c.index] = (stored[c.key], False)
        elif c.key in firsts:
            copies[c.index] = firsts[c.key]
        else:
            firsts[c.key] = c.index
            fresh.append(c)
    return fresh, copies


def _without_unconfirmed(conversation: Conversation, batch: list[_Checked],
                         outcomes: list[Outcome | None]) -> list[_Checked]:
    """Refuse the drafts that go to more people than the school's threshold unconfirmed."""
    threshold: int | None = None
    audience: dict[int, int] = {}
    fresh: list[_Checked] = []
    for c in batch:
        if not c.draft.confirm:
            sender = c.draft.sender
            if sender.pk not in audience:
                audience[sender.pk] = recipient_count(conversation, sender)
            if threshold is None:
                threshold = confirm_threshold(conversation)
            if audience[sender.pk] > threshold:
                outcomes[c.index] = ConfirmationRequired(audience[sender.pk])
                continue
        fresh.append(c)
    return fresh


def _check_window(message: Message, verb: str) -> None:
    minutes = getattr(settings, "SCHOOLCHAT_RETRACT_MINUTES", 15)
    if timezone.now() - message.created_at > timedelta(minutes=minutes):
        text = (_("You can only edit a message within %(minutes)d minutes of sending it.")
                if verb == "edit" else
                _("You can only retract a message within %(minutes)d minutes of sending it."))
        raise ValidationError(text % {"minutes": minutes}, code="window_expired")


def edit_message(user: Any, message: Message, body: Any) -> Message:
    """Replace the text of the user's own message; the archive keeps every version."""
    text = clean_body(body)
    if not can(user, "message.edit", message):
        raise PermissionDenied(_("You can only edit your own messages."))
    with transaction.atomic():
        _lock(message.conversation)
        current = Message.objects.select_related("sender").get(pk=message.pk)
        if current.is_retracted:
            raise ValidationError(_("This message was retracted."), code="retracted")
        _check_window(current, "edit")
        previous = current.body
        if previous == text:
            return current
        seq = _next_seq(message.conversation)
        current.body = text
        current.edited_at = timezone.now()
        current.save(update_fields=["body", "edited_at"])
        Event.objects.create(conversation_id=current.conversation_id, seq=seq,
                             kind=Event.Kind.EDITED, message=current)
        archive.record(
            "message.edited", scope=message.conversation.scope, actor=user, subjects=[user],
            payload={"message": current.pk, "seq": seq, "body": text, "previous": previous},
        )
        _publish_on_commit(current.conversation_id, edited_event(current, seq))
    return current


def retract_message(user: Any, message: Message) -> Message:
    """Withdraw the user's own message: members see "message retracted" instead of the text.
    The archive keeps the text until retention deletes it."""
    if not can(user, "message.retract", message):
        raise PermissionDenied(_("You can only retract your own messages."))
    with transaction.atomic():
        _lock(message.conversation)
        current = Message.objects.select_related("sender").get(pk=message.pk)
        if current.is_retracted:
            return current
        _check_window(current, "retract")
        seq = _next_seq(message.conversation)
        body = current.body
        current.body = ""
        current.retracted_at = timezone.now()
        current.pinned_at = None
        current.save(update_fields=["body", "retracted_at", "pinned_at"])
        Event.objects.create(conversation_id=current.conversation_id, seq=seq,
                             kind=Event.Kind.RETRACTED, message=current)
        archive.record(
            "message.retracted", scope=message.conversation.scope, actor=user, subjects=[user],
            payload={"message": current.pk, "seq": seq, "body": body},
        )
        _publish_on_commit(current.conversation_id, retracted_event(current, seq))
    return current


def pin_message(user: Any, message: Message, pinned: bool = True) -> Message:
    """Pin a message above the conversation, or unpin it (staff)."""
    if not can(user, "message.pin", message):
        raise PermissionDenied(_("Only staff can pin messages."))
    with transaction.atomic():
        _lock(message.conversation)
        current = Message.objects.select_related("sender").get(pk=message.pk)
        if current.is_retracted and pinned:
            raise ValidationError(_("This message was retracted."), code="retracted")
        if (current.pinned_at is not None) == pinned:
            return current
        seq = _next_seq(message.conversation)
        current.pinned_at = timezone.now() if pinned else None
        current.save(update_fields=["pinned_at"])
        kind = Event.Kind.PINNED if pinned else Event.Kind.UNPINNED
        Event.objects.create(conversation_id=current.conversation_id, seq=seq, kind=kind,
                             message=current)
        archive.record(
            f"message.{kind}", scope=message.conversation.scope, actor=user, subjects=[user],
            payload={"message": current.pk, "seq": seq},
        )
        _publish_on_commit(current.conversation_id, pinned_event(current, seq, pinned))
    return current


def mark_seen(user: Any, conversation: Conversation, upto_seq: int) -> int:
    """Record that the user has seen everything up to ``upto_seq``; returns how many messages
    got a new receipt. Receipts are hints, not records: they are not archived."""
    membership = Membership.objects.filter(conversation=conversation, user=user,
                                           ended_at__isnull=True).first()
    if membership is None:
        return 0
    upto = min(upto_seq, conversation.last_seq)
    if upto <= membership.last_read_seq:
        return 0
    with transaction.atomic():
        fresh = list(
            Message.objects.filter(conversation=conversation, seq__gt=membership.last_read_seq,
                                   seq__lte=upto, retracted_at__isnull=True)
            .exclude(sender=user).order_by("-seq").values_list("pk", "sender_id")[:500]
        )
        Receipt.objects.bulk_create([Receipt(message_id=pk, user=user) for pk, _s in fresh],
                                    ignore_conflicts=True)
        Membership.objects.filter(pk=membership.pk).update(last_read_seq=upto)
        # Only the senders are told live (a hint per sender, not a broadcast to the room:
        # every member reading every message would otherwise cost members² frames).
        counts = receipt_counts([pk for pk, _s in fresh]) if fresh else {}
        by_sender: dict[int, dict[str, int]] = {}
        for pk, sender_id in fresh:
            by_sender.setdefault(sender_id, {})[str(pk)] = counts.get(pk, 0)
        for sender_id, seen in by_sender.items():
            _publish_user_on_commit(sender_id, {"type": "receipt",
                                                "conversation": conversation.pk, "seen": seen})
    return len(fresh)


def receipt_counts(message_ids: list[int]) -> dict[int, int]:
    from django.db.models import Count

    rows = (Receipt.objects.filter(message_id__in=message_ids).values("message_id")
            .annotate(n=Count("pk")).values_list("message_id", "n"))
    return dict(rows)


def acknowledge(user: Any, message: Message) -> bool:
    """The user confirms having read an announcement that asked for it (idempotent)."""
    if not can(user, "message.acknowledge", message):
        raise PermissionDenied(_("This message does not ask you for an acknowledgement."))
    with transaction.atomic():
        _ack, created = Acknowledgement.objects.get_or_create(message=message, user=user)
        if created:
            archive.record(
                "message.acknowledged", scope=message.conversation.scope, actor=user,
                subjects=[user], payload={"message": message.pk},
            )
            count = Acknowledgement.objects.filter(message=message).count()
            _publish_on_commit(message.conversation_id, {
                "type": "acknowledged", "conversation": message.conversation_id,
                "id": message.pk, "count": count,
            })
    return created


def direct_conversation(user: Any, other: Any, *, school: Any = None) -> Conversation:
    """The one one-to-one conversation between two people, found by its key (the two user ids)
    or created, with both of them as current members. Checks nothing: its callers decide who
    may talk to whom (:func:`open_direct`, :func:`reply_privately`)."""
    low, high = sorted([user.pk, other.pk])
    key = f"{low}:{high}"
    with transaction.atomic():
        conversation = Conversation.objects.filter(direct_key=key).first()
        if conversation is None:
            conversation = Conversation.objects.create(
                school=school or user.school, kind=Conversation.Kind.DIRECT, direct_key=key,
                title=f"{user.public_name} · {other.public_name}",
            )
        for person in (user, other):
            add_member(conversation, person, actor=user)
    return conversation


def open_direct(user: Any, other: Any) -> Conversation:
    """The one-to-one conversation between two people, created on first use, where the
    school's policy allows it (see ``conversation.start_direct``)."""
    if not can(user, "conversation.start_direct", other):
        raise PermissionDenied(_("You cannot start a conversation with this person."))
    return direct_conversation(user, other)


def reply_privately(
    user: Any, message: Message, body: Any, *, client_id: uuid.UUID | None = None
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
            "quote": quote, "channel": announcement.title, "text": text}
        return post_message(user, direct, framed[: settings.SCHOOLCHAT_MESSAGE_MAX_CHARS],
                            client_id=client_id, confirm=True)


def set_office_hours(user: Any, days: dict[int, Any]) -> None:
    """Replace a staff member's weekly office hours (weekday -> (starts, ends))."""
    from messaging.models import OfficeHours

    if not user.is_school_staff:
        raise PermissionDenied(_("Only staff have office hours."))
    with transaction.atomic():
        OfficeHours.objects.filter(user=user).delete()
        OfficeHours.objects.bulk_create(
            OfficeHours(user=user, weekday=day, starts=span[0], ends=span[1])
            for day, span in sorted(days.items())
        )


def schedule_message(sender: Any, conversation: Conversation, body: Any,
                     send_at: Any) -> Any:
    """Staff: post ``body`` here at ``send_at`` (between a minute and 60 days from now)."""
    from messaging.models import ScheduledMessage

    text = clean_body(body)
    if not (sender.is_school_staff and can(sender, "conversation.post", conversation)):
        raise PermissionDenied(_("Only staff can schedule messages."))
    now = timezone.now()
    if not now + timedelta(minutes=1) <= send_at <= now + timedelta(days=60):
        raise ValidationError(_("Choose a time between a minute and 60 days from now."),
                              code="invalid_time")
    return ScheduledMessage.objects.create(sender=sender, conversation=conversation, body=text,
                                           send_at=send_at)


def cancel_scheduled(user: Any, scheduled: Any) -> None:
    if scheduled.sender_id != user.pk:
        raise PermissionDenied(_("You can only cancel your own scheduled messages."))
    type(scheduled).objects.filter(pk=scheduled.pk, message__isnull=True).update(
        cancelled_at=timezone.now())


def send_due_scheduled(now: Any = None) -> int:
    """Post every scheduled message whose time has come; returns how many were posted.

    Each is posted with its own client_id, so a crash between posting and marking it sent
    only repeats an idempotent call. A sender who may no longer post gets a failure note.
    """
    from messaging.models import ScheduledMessage

    moment = now or timezone.now()
    posted = 0
    due = (ScheduledMessage.objects.filter(send_at__lte=moment, message__isnull=True,
                                           cancelled_at__isnull=True, failure="")
           .select_related("sender", "conversation").order_by("send_at")[:200])
    for item in due:
        try:
            message, _created = post_message(item.sender, item.conversation, item.body,
                                             client_id=item.client_id, confirm=True,
                                             limited=False)
        except (PermissionDenied, ValidationError) as exc:
            failure = " ".join(getattr(exc, "messages", [str(exc)]))
            ScheduledMessage.objects.filter(pk=item.pk).update(failure=failure or "refused")
            continue
        ScheduledMessage.objects.filter(pk=item.pk).update(message=message)
        posted += 1
    return posted
