"""Posting messages: one (:func:`post_message`) or a batch with one commit (:func:`post_messages`,
the group commit the socket writer uses, see :mod:`messaging.writer`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import ratelimit
from accounts.access import Action, can
from accounts.models import User
from archive import chain
from archive.entry import Entry
from archive.folding import fold
from messaging import mentions, screening
from messaging.access import links_as_text, post_refusal
from messaging.actions.attachments import claim
from messaging.actions.sensitive import clean_sensitivity
from messaging.attachments import summary
from messaging.events import held_skip_event, message_event
from messaging.models import Attachment, Conversation, Event, Membership, Message
from messaging.publish import publish_many_on_commit
from messaging.seq import take_seqs
from messaging.signals import messages_screened
from messaging.text import clean_body

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


def recipient_count(conversation: Conversation, sender: User) -> int:
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

    sender: User
    body: object  # as it came: the checks say what is wrong with it
    client_id: uuid.UUID | None = None
    reply_to: Message | None = None
    urgent: bool = False
    ack_requested: bool = False
    confirm: bool = False
    attachments: Sequence[Attachment] = ()
    sensitive: object = ""  # a Sensitivity category, or blank
    # A live card under the text (messaging.cards.ref), set by the app that owns it.
    card: str = ""
    # The person ids the composer inserted "@name" for (messaging.mentions.clean_ids): kept
    # only for members named in the text, where the sender may mention (``message.mention``).
    mentions: Sequence[int] = ()


Posted = tuple[Message, bool]
Outcome = Posted | PermissionDenied | ValidationError


def post_message(
    sender: User,
    conversation: Conversation,
    body: object,
    *,
    client_id: uuid.UUID | None = None,
    reply_to: Message | None = None,
    urgent: bool = False,
    ack_requested: bool = False,
    confirm: bool = False,
    attachments: Sequence[Attachment] = (),
    sensitive: object = "",
    limited: bool = True,
    card: str = "",
    mentions: Sequence[int] = (),
) -> Posted:
    """Persist a message, archive it and publish it after commit.

    Returns ``(message, created)``. A retry carrying the ``client_id`` of a message already
    stored returns that message with ``created=False`` and publishes nothing new.
    Raises ``PermissionDenied`` when the sender may not post, ``ValidationError`` for bad input
    and :class:`ConfirmationRequired` when the audience is larger than the school's threshold
    and ``confirm`` was not given. ``limited=False`` is for what a person did not type just now
    (scheduled messages, the demo). ``mentions``: the ids of the people named with "@"; those
    who are not members, or not named in the text, are left out without a word
    (:mod:`messaging.mentions`).
    """
    draft = Draft(sender, body, client_id=client_id, reply_to=reply_to, urgent=urgent,
                  ack_requested=ack_requested, confirm=confirm, attachments=list(attachments),
                  sensitive=sensitive, card=card, mentions=tuple(mentions))
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
    sensitive: str = ""
    mentions: tuple[int, ...] = ()  # ids to check against the members (messaging.mentions)

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

    def may(action: Action) -> bool:
        key = (sender.pk, action)
        if key not in allowed:
            allowed[key] = can(sender, action, conversation)
        return allowed[key]

    if not may("conversation.post"):
        raise PermissionDenied(post_refusal(sender, conversation))
    sensitive = clean_sensitivity(draft.sensitive)
    if sensitive and not may("message.mark_sensitive"):
        raise PermissionDenied(_("Only staff can mark a message sensitive."))
    if draft.urgent and not may("message.post_urgent"):
        raise PermissionDenied(_("Only staff can mark a message urgent."))
    if draft.ack_requested and not may("message.request_ack"):
        raise ValidationError(_("Only staff can ask for acknowledgement, in class groups and "
                                "announcements."), code="invalid")
    if draft.reply_to is not None and draft.reply_to.conversation_id != conversation.pk:
        raise ValidationError(_("You can only reply to a message of this conversation."),
                              code="invalid")
    if draft.reply_to is not None and draft.reply_to.held_at is not None:
        # A quote would show the others what the school has not published.
        raise ValidationError(_("This message is waiting for review by the school."),
                              code="held")
    # Naming someone where it means nothing (a one-to-one, an announcement) is no reason to
    # refuse the message: the names stay text and nobody is told more than the others.
    named = (tuple(draft.mentions) if draft.mentions and may("message.mention") else ())
    return _Checked(index, draft, text, draft.client_id or uuid.uuid4(), sensitive, named)


def _store_batch(conversation: Conversation, batch: list[_Checked],
                 outcomes: list[Outcome | None]) -> None:
    with transaction.atomic():
        # Taking the seqs locks the conversation first, so the duplicate check below cannot
        # race with a concurrent retry of the same client_id.
        first = take_seqs(conversation, len(batch))
        fresh, copies = _without_duplicates(conversation, batch, outcomes)
        fresh = _without_unconfirmed(conversation, fresh, outcomes)
        if len(fresh) < len(batch):
            # Give back the seqs of the drafts that will not be stored: seqs have no gaps.
            take_seqs(conversation, len(fresh) - len(batch))
        if fresh:
            _insert(conversation, first, fresh, outcomes)
    # A second copy of a draft in the same batch gets what the first got: its message (as a
    # retry), or the same refusal.
    for index, original in copies.items():
        outcome = outcomes[original]
        outcomes[index] = (outcome[0], False) if isinstance(outcome, tuple) else outcome


def _insert(conversation: Conversation, first: int, fresh: list[_Checked],
            outcomes: list[Outcome | None]) -> None:
    """Store the checked drafts with seqs from ``first`` on, inside the batch's transaction.

    The registered screens (:mod:`messaging.screening`) are asked first, when there are any: a
    held draft is stored with ``held_at`` and its seq goes out as a ``skip`` that shows nothing;
    the sender's own sockets are sent the held message in its place (``held_skip_event``).
    """
    verdicts = screening.screen([screening.Draft(c.draft.sender, conversation, c.text)
                                 for c in fresh]) if screening.active() else None
    held_at = timezone.now() if verdicts is not None else None
    named = _mentioned(conversation, fresh)
    plain: dict[int, bool] = {}  # sender id -> links shown as text (one question per sender)
    for c in fresh:
        if c.draft.sender.pk not in plain:
            plain[c.draft.sender.pk] = links_as_text(c.draft.sender, conversation)
    messages = Message.objects.bulk_create([
        Message(conversation=conversation, seq=first + n, sender=c.draft.sender,
                body=c.text, body_folded=fold(c.text), client_id=c.client_id, reply_to=c.draft.reply_to,
                urgent=c.draft.urgent, ack_requested=c.draft.ack_requested,
                sensitive=c.sensitive, plain_links=plain[c.draft.sender.pk], card=c.draft.card,
                held_at=held_at if verdicts is not None and verdicts[n].hold else None)
        for n, c in enumerate(fresh)
    ])
    Event.objects.bulk_create([
        Event(conversation=conversation, seq=m.seq, message=m,
              kind=Event.Kind.MESSAGE if m.held_at is None else Event.Kind.HELD)
        for m in messages
    ])
    mentions.store((message, named[c.index]) for c, message in zip(fresh, messages, strict=True)
                   if named.get(c.index))
    entries = []
    events = []
    for c, message in zip(fresh, messages, strict=True):
        people = named.get(c.index, [])
        outcomes[c.index] = (message, True)
        payload: dict[str, Any] = {"message": message.pk, "seq": message.seq,
                                   "body": c.text}
        if c.draft.reply_to is not None:
            payload["reply_to"] = c.draft.reply_to.pk
        if message.held_at is not None:
            payload["held"] = True
        if message.sensitive:
            payload["sensitive"] = message.sensitive
        if message.card:
            payload["card"] = message.card
        if people:
            payload["mentions"] = [person.pk for person in people]
        summaries: list[dict[str, Any]] = []
        if c.draft.attachments:
            claim(c.draft.sender, message, list(c.draft.attachments))
            payload["attachments"] = [a.token for a in c.draft.attachments]
            summaries = [summary(a) for a in c.draft.attachments]
        # The people it mentions are among the record's subjects: their subject access export
        # and the archive's search for them find it (records.export, records.search).
        entries.append(Entry(actor=c.draft.sender, subjects=[c.draft.sender, *people],
                             payload=payload))
        events.append(message_event(message, attachments=summaries,
                                    mentioned=mentions.mentions_of(people))
                      if message.held_at is None else held_skip_event(message))
    chain.record_many("message.posted", scope=conversation.scope, entries=entries)
    publish_many_on_commit(conversation.pk, events)
    if verdicts is not None:
        _tell_screened(messages, verdicts)


def _mentioned(conversation: Conversation, fresh: list[_Checked]) -> dict[int, list[User]]:
    """Draft index -> the people its message mentions: one query for the whole batch, and
    none when no draft names anyone (the common case the bench measures)."""
    wanted = {pk for c in fresh for pk in c.mentions}
    if not wanted:
        return {}
    members = mentions.current_members(conversation, wanted)
    return {c.index: mentions.chosen(c.text, c.draft.sender.pk, c.mentions, members)
            for c in fresh if c.mentions}


def _tell_screened(messages: list[Message], verdicts: list[screening.Verdict]) -> None:
    """After the commit, tell the screening app which of its verdicts held or flagged."""
    results = [(m.pk, v) for m, v in zip(messages, verdicts, strict=True) if v.noteworthy]
    if results:
        transaction.on_commit(
            lambda: messages_screened.send(sender=None, results=results))


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
