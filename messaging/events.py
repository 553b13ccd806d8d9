"""The shape of events sent to browsers (see docs/protocol.md). One serializer per event.

Sequenced events (``message``, ``edited``, ``retracted``, ``pinned``, ``attachment_hidden``,
``message_removed``, ``sensitive``, and ``skip`` for a seq that shows the reader nothing) carry the
conversation's ``seq`` and are replayed from :class:`messaging.models.Event` on resume; they are
rendered from the message's current state, so a replay never shows text that was retracted
since. Unsequenced events (``receipt``, ``acknowledged``, ``reactions``) may be lost and are
only hints.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

from django.utils.text import Truncator
from django.utils.translation import gettext as _

from messaging.attachments import visible_attachments
from messaging.mentions import Mentioned, mentioned_in
from messaging.models import Event, Message, Sensitivity

EXCERPT_CHARS = 120


# --- the events, as typed dicts (their JSON is what a browser receives) ------------------------
class Sender(TypedDict):
    id: int
    name: str
    role: str


class Quote(TypedDict):
    id: int
    seq: int
    sender: str
    excerpt: str
    retracted: bool
    removed: bool


class MessageEvent(TypedDict):
    type: Literal["message"]
    conversation: int
    seq: int
    id: int
    client_id: str
    sender: Sender
    body: str
    created_at: str
    reply_to: Quote | None
    edited: bool
    retracted: bool
    removed: bool
    urgent: bool
    ack_requested: bool
    pinned: bool
    sensitive: str
    links: bool
    card: str  # "" or the live card it carries (messaging.cards)
    attachments: list[dict[str, Any]]
    mentions: list[Mentioned]  # the people it names with "@" (messaging.mentions)
    held: NotRequired[bool]
    rejected: NotRequired[bool]
    quiet: NotRequired[bool]  # added per socket: a staff member outside office hours
    # A page of history or a gap fill over HTTP, for its reader (messaging.reactions): the
    # counts of each emoji chosen, and the reader's own ("" for none).
    reactions: NotRequired[dict[str, int]]
    reacted: NotRequired[str]


class EditedEvent(TypedDict):
    type: Literal["edited"]
    conversation: int
    seq: int
    id: int
    body: str
    edited_at: str | None


class RetractedEvent(TypedDict):
    type: Literal["retracted"]
    conversation: int
    seq: int
    id: int


class PinnedEvent(TypedDict):
    type: Literal["pinned"]
    conversation: int
    seq: int
    id: int
    pinned: bool
    excerpt: str
    sender: str


class AttachmentHiddenEvent(TypedDict):
    type: Literal["attachment_hidden"]
    conversation: int
    seq: int
    id: int
    attachment: str


class RemovedEvent(TypedDict):
    type: Literal["message_removed"]
    conversation: int
    seq: int
    id: int


class SensitiveEvent(TypedDict):
    type: Literal["sensitive"]
    conversation: int
    seq: int
    id: int
    sensitive: str


class SkipEvent(TypedDict):
    type: Literal["skip"]
    conversation: int
    seq: int
    _held_by: NotRequired[int]  # HELD_BY, HELD_MESSAGE: for the consumers, never written
    _message: NotRequired[int]


# A sequenced event: one row of the event log, replayed on resume.
ConversationEvent = (MessageEvent | EditedEvent | RetractedEvent | PinnedEvent
                     | AttachmentHiddenEvent | RemovedEvent | SensitiveEvent | SkipEvent)


class ReceiptEvent(TypedDict):
    type: Literal["receipt"]
    conversation: int
    seen: dict[str, int]


class AcknowledgedEvent(TypedDict):
    type: Literal["acknowledged"]
    conversation: int
    id: int
    count: int


class RejectedEvent(TypedDict):
    type: Literal["rejected"]
    conversation: int
    id: int


class CardEvent(TypedDict):
    """A message's live card changed (messaging.cards): pages fetch it again for their reader."""

    type: Literal["card"]
    conversation: int
    id: int


class ReactionsEvent(TypedDict):
    """A message's reactions now, in the set's order (``{}``: none, or the message is gone);
    ``user`` changed theirs to ``emoji`` ("" removed), so that person's other pages mark it."""

    type: Literal["reactions"]
    conversation: int
    id: int
    counts: dict[str, int]
    user: NotRequired[int]
    emoji: NotRequired[str]


# A hint: may be lost, never replayed.
HintEvent = ReceiptEvent | AcknowledgedEvent | RejectedEvent | CardEvent | ReactionsEvent

# Every event type a conversation's socket is sent, and how: "sequenced" ones carry the
# conversation's ``seq`` (in order, once, replayed on resume), "hint"s may drop. The consumer
# reads this table; a new event type is one entry here, its TypedDict and its serializer.
KINDS: dict[str, Literal["sequenced", "hint"]] = {
    "message": "sequenced",
    "edited": "sequenced",
    "retracted": "sequenced",
    "pinned": "sequenced",
    "attachment_hidden": "sequenced",
    "message_removed": "sequenced",
    "sensitive": "sequenced",
    "skip": "sequenced",
    "receipt": "hint",
    "acknowledged": "hint",
    "rejected": "hint",
    "card": "hint",
    "reactions": "hint",
}
SEQUENCED = frozenset(kind for kind, how in KINDS.items() if how == "sequenced")
HINTS = frozenset(kind for kind, how in KINDS.items() if how == "hint")


def describe_sensitive(category: str) -> str:
    """What stands for a sensitive message wherever its text must not show: "A sensitive
    message (health)"."""
    label = Sensitivity(category).label if category in Sensitivity.values else category
    return _("A sensitive message (%(category)s)") % {"category": label}


def sensitive_text(message: Message) -> str:
    return describe_sensitive(message.sensitive)


def excerpt(message: Message) -> str:
    """The start of a message as quotes and the pinned bar show it: what the template filter
    ``truncatechars:120`` writes (an ellipsis when cut), so a live quote reads the same. A
    sensitive message is never quoted: its category stands for it."""
    if message.is_gone:
        return ""
    if message.sensitive:
        return sensitive_text(message)
    return Truncator(message.body).chars(EXCERPT_CHARS)


def sender_summary(user: Any) -> Sender:
    # Display name and role only: never a phone number or e-mail address.
    return {"id": user.pk, "name": user.public_name, "role": user.role}


def reply_summary(message: Message | None) -> Quote | None:
    if message is None:
        return None
    return {
        "id": message.pk,
        "seq": message.seq,
        "sender": message.sender.public_name,
        "excerpt": excerpt(message),
        "retracted": message.is_retracted,
        "removed": message.is_removed,
    }


def attachment_summaries(message: Message) -> list[dict[str, Any]]:
    return visible_attachments(message)


def message_event(message: Message, *,
                  attachments: list[dict[str, Any]] | None = None,
                  mentioned: list[Mentioned] | None = None) -> MessageEvent:
    """``attachments`` and ``mentioned``: already known (a new message), saving a query each
    (else prefetch ``attachments`` and ``mentions__user`` for many). A message removed
    by the school carries ``removed`` and, like a retracted one, no text and no attachments;
    ``held`` and ``rejected`` appear only on a held message, which only its sender is sent."""
    retracted = message.is_retracted
    gone = retracted or message.removed_at is not None
    event: MessageEvent = {
        "type": "message",
        "conversation": message.conversation_id,
        "seq": message.seq,
        "id": message.pk,
        "client_id": str(message.client_id),
        "sender": sender_summary(message.sender),
        "body": "" if gone else message.body,
        "created_at": message.created_at.isoformat(),
        "reply_to": reply_summary(message.reply_to) if message.reply_to_id else None,
        "edited": message.edited_at is not None,
        "retracted": retracted,
        "removed": message.removed_at is not None,
        "urgent": message.urgent,
        "ack_requested": message.ack_requested,
        "pinned": message.pinned_at is not None,
        # Staff marked it sensitive: the category ("health", "family", "send") or "".
        "sensitive": message.sensitive,
        # False: its web addresses are shown as text (docs/policy.md).
        "links": not message.plain_links,
        # A live card (messaging.cards): the page fetches it for its reader.
        "card": "" if gone else message.card,
        "attachments": [] if gone else (
            attachments if attachments is not None else attachment_summaries(message)),
        "mentions": [] if gone else (
            mentioned if mentioned is not None else mentioned_in(message)),
    }
    if message.held_at is not None:
        event["held"] = True
        event["rejected"] = message.rejected_at is not None
    return event


def edited_event(message: Message, seq: int) -> EditedEvent:
    return {
        "type": "edited",
        "conversation": message.conversation_id,
        "seq": seq,
        "id": message.pk,
        "body": "" if message.is_gone else message.body,
        "edited_at": message.edited_at.isoformat() if message.edited_at else None,
    }


def retracted_event(message: Message, seq: int) -> RetractedEvent:
    return {"type": "retracted", "conversation": message.conversation_id, "seq": seq,
            "id": message.pk}


def pinned_event(message: Message, seq: int, pinned: bool) -> PinnedEvent:
    return {"type": "pinned", "conversation": message.conversation_id, "seq": seq,
            "id": message.pk, "pinned": pinned,
            "excerpt": excerpt(message),
            "sender": message.sender.public_name}


def attachment_hidden_event(message: Message, seq: int, token: str) -> AttachmentHiddenEvent:
    return {"type": "attachment_hidden", "conversation": message.conversation_id, "seq": seq,
            "id": message.pk, "attachment": token}


def removed_event(message: Message, seq: int) -> RemovedEvent:
    """The school removed the message: shown as "Removed by the school", no text, no files."""
    return {"type": "message_removed", "conversation": message.conversation_id, "seq": seq,
            "id": message.pk}


def sensitive_event(message: Message, seq: int) -> SensitiveEvent:
    """Staff marked the message sensitive: pages hide its text behind a tap from now on."""
    return {"type": "sensitive", "conversation": message.conversation_id, "seq": seq,
            "id": message.pk, "sensitive": message.sensitive}


def reactions_event(message: Message, counts: dict[str, int], *, user: int | None = None,
                    emoji: str = "") -> ReactionsEvent:
    """A message's reactions changed: by ``user`` (now ``emoji``), or all cleared with it."""
    event: ReactionsEvent = {"type": "reactions", "conversation": message.conversation_id,
                             "id": message.pk, "counts": counts}
    if user is not None:
        event["user"] = user
        event["emoji"] = emoji
    return event


def skip_event(conversation_id: int, seq: int) -> SkipEvent:
    """The seq a held message took (:mod:`messaging.screening`): nothing to show anyone, so it
    names no message; a client only moves its seq on. Released, the message comes with a new
    seq as a ``message``."""
    return {"type": "skip", "conversation": conversation_id, "seq": seq}


# Keys of an event for the hub and the consumers only: never written to a socket
# (:func:`public`). A held message's ``skip`` carries its sender and message, so the sender's
# own sockets are sent the held message in its place.
HELD_BY, HELD_MESSAGE = "_held_by", "_message"


def held_skip_event(message: Message) -> SkipEvent:
    """The ``skip`` everyone is sent for a held message, with what the sender's sockets need
    to send it them instead (stripped before anything is written)."""
    return {"type": "skip", "conversation": message.conversation_id, "seq": message.seq,
            "_held_by": message.sender_id, "_message": message.pk}


def public(event: dict[str, Any]) -> dict[str, Any]:
    """The event as a browser may see it: without the internal keys."""
    if any(key.startswith("_") for key in event):
        return {k: v for k, v in event.items() if not k.startswith("_")}
    return event


def own_held_event(message: Message, seq: int, viewer: int | None) -> MessageEvent | None:
    """The held message at ``seq`` as its sender (``viewer``) sees it: waiting for review, or
    not published; None for anyone else, or once released (it has a later seq then)."""
    if (viewer is None or message.sender_id != viewer or message.held_at is None
            or message.seq != seq):
        return None
    return message_event(message)


def logged_event(event: Event, viewer: int | None = None) -> ConversationEvent:
    """The wire form of a logged event, for resume and gap fill; ``viewer``: the reader's
    account, who is shown their own held messages."""
    message = event.message
    assert message is not None
    if event.kind == Event.Kind.HELD:
        return (own_held_event(message, event.seq, viewer)
                or skip_event(event.conversation_id, event.seq))
    if event.kind == Event.Kind.REMOVED:
        return removed_event(message, event.seq)
    if event.kind == Event.Kind.MESSAGE:
        return message_event(message)
    if event.kind == Event.Kind.SENSITIVE:
        return sensitive_event(message, event.seq)
    if event.kind == Event.Kind.EDITED:
        return edited_event(message, event.seq)
    if event.kind == Event.Kind.RETRACTED:
        return retracted_event(message, event.seq)
    if event.kind in (Event.Kind.PINNED, Event.Kind.UNPINNED):
        return pinned_event(message, event.seq, event.kind == Event.Kind.PINNED)
    return attachment_hidden_event(message, event.seq, str(event.data.get("attachment", "")))
