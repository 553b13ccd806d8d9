"""What the pages and the socket's hint say about reactions: the counts of a message's emoji,
the reader's own, and who reacted with what. Read-side only: the one writer is
:mod:`messaging.actions.reactions`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count

from accounts.models import User
from messaging.models import Emoji, Message, Reaction

# The set in its fixed order: chips, pickers and the hint's counts follow it.
CHOICES: tuple[str, ...] = tuple(Emoji.values)


@dataclass(frozen=True, slots=True)
class Chip:
    """One emoji under a message: its name for screen readers, how many chose it, and
    whether the reader did."""

    emoji: str
    label: str
    count: int | str  # "{n}" in the live messages' prototype
    mine: bool = False


@dataclass(frozen=True, slots=True)
class Choice:
    emoji: str
    label: str


def choices() -> list[Choice]:
    """The set, named in the active language: the picker's buttons."""
    return [Choice(value, str(label)) for value, label in Emoji.choices]


def ordered(counts: Mapping[str, int]) -> dict[str, int]:
    """The counts in the set's order, without the emoji nobody chose."""
    return {emoji: counts[emoji] for emoji in CHOICES if counts.get(emoji)}


def counts_of(message_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """message id -> {emoji: count}, for the messages that have any: one query."""
    found: dict[int, dict[str, int]] = {}
    # Uses index: messaging_reaction_once (message first).
    rows = (Reaction.objects.filter(message_id__in=list(message_ids)).order_by()
            .values_list("message_id", "emoji").annotate(n=Count("pk")))
    for message_id, emoji, n in rows:
        found.setdefault(message_id, {})[emoji] = n
    return {pk: ordered(counts) for pk, counts in found.items()}


def counts(message: Message | int) -> dict[str, int]:
    pk = message.pk if isinstance(message, Message) else message
    return counts_of([pk]).get(pk, {})


def own(viewer: User | int, message_ids: Iterable[int]) -> dict[int, str]:
    """message id -> the viewer's emoji, for the messages they reacted to."""
    viewer_id = viewer.pk if isinstance(viewer, User) else viewer
    return dict(Reaction.objects.filter(user_id=viewer_id, message_id__in=list(message_ids))
                .values_list("message_id", "emoji"))


def chips(found: Mapping[str, int], mine: str) -> list[Chip]:
    labels = dict(Emoji.choices)
    return [Chip(emoji, str(labels[emoji]), n, emoji == mine) for emoji, n in found.items()]


def annotate(messages: list[Message], viewer: User) -> None:
    """Note ``reaction_chips`` and ``my_reaction`` on each of a page's messages, for
    ``messaging/_message.html``: two queries for the page."""
    ids = [m.pk for m in messages]
    found, mine = counts_of(ids), own(viewer, ids)
    for m in messages:
        m.my_reaction = mine.get(m.pk, "")  # type: ignore[attr-defined]
        m.reaction_chips = chips(found.get(m.pk, {}), m.my_reaction)  # type: ignore[attr-defined]


def add_to_events(events: list[dict[str, Any]], viewer: User) -> None:
    """Put each ``message`` event's ``reactions`` (counts) and the viewer's own
    (``reacted``) in it: a page of history or a gap fill, drawn by the page's script."""
    ids = [int(e["id"]) for e in events if e.get("type") == "message"]
    if not ids:
        return
    found, mine = counts_of(ids), own(viewer, ids)
    for event in events:
        if event.get("type") == "message":
            event["reactions"] = found.get(event["id"], {})
            event["reacted"] = mine.get(event["id"], "")


@dataclass(frozen=True, slots=True)
class Group:
    """The people who chose one emoji, by name."""

    emoji: str
    label: str
    people: list[User]


def who_reacted(message: Message) -> list[Group]:
    """Each emoji chosen for the message, in the set's order, with who chose it."""
    labels = dict(Emoji.choices)
    by_emoji: dict[str, list[User]] = {}
    rows = (Reaction.objects.filter(message=message).select_related("user")
            .order_by("user__display_name", "user__username"))
    for reaction in rows:
        by_emoji.setdefault(reaction.emoji, []).append(reaction.user)
    return [Group(emoji, str(labels[emoji]), by_emoji[emoji]) for emoji in CHOICES
            if emoji in by_emoji]
