"""@mentions in group conversations: who may be named, and how a name is found in a text.

The text keeps what the sender sees, "@Anna Jansen"; the page's composer also sends the ids of
the people it inserted. The server believes an id only when that person is a current member of
the conversation (not the sender) and their "@name" is in the text as it is stored, and keeps
at most :data:`MAX_MENTIONS` (:func:`chosen`). A name is "in the text" when "@" and the name
stand as a whole: not inside a word before the "@", not followed by a letter or digit ("@Anna"
is not a mention of "Ann"). :mod:`messaging.text` and ``static/js/chat/render.js`` highlight a
mention by the same rule, so the page and a live message agree.

Where: class groups and groups (clubs, the staff room), by those who may post there (the
``message.mention`` rule, :mod:`messaging.access`); not one-to-ones (the one other person is
told anyway) nor announcement channels (read-only for families).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TypedDict

from accounts.models import User
from messaging.models import Conversation, Membership, Mention, Message

MAX_MENTIONS = 20

# Python's \w is Unicode-aware: a letter, a digit or "_" of any script (render.js: [\p{L}\p{N}_]).
_BEFORE = r"(?<!\w)"
_AFTER = r"(?!\w)"


class Mentioned(TypedDict):
    """A person a message mentions, as the page and the socket show them: id and display
    name, never a phone number or an e-mail address."""

    id: int
    name: str


def pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    """The "@name" of any of ``names`` as a whole, the longest name first (so "@Anna Jansen"
    is one mention, not "@Anna" followed by text); None when there are no names."""
    unique = sorted({name for name in names if name}, key=lambda n: (-len(n), n))
    if not unique:
        return None
    return re.compile(_BEFORE + "@(?:" + "|".join(re.escape(n) for n in unique) + ")" + _AFTER)


def names_in(text: str, names: Iterable[str]) -> set[str]:
    """Which of ``names`` the text mentions ("@name" as a whole)."""
    found = pattern(names)
    return {match[1:] for match in found.findall(text)} if found is not None else set()


def clean_ids(raw: object) -> tuple[int, ...]:
    """The person ids a client sent (a list of numbers, or of digit strings from a form), in
    order, each once; anything else is dropped: a mention is never a reason to refuse a
    message. At most a few more than :data:`MAX_MENTIONS`, so a long list costs nothing."""
    if not isinstance(raw, (list, tuple)):
        return ()
    ids: list[int] = []
    for value in raw[: MAX_MENTIONS * 2]:
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if (isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63
                and value not in ids):
            ids.append(value)
    return tuple(ids)


def current_members(conversation: Conversation, ids: Iterable[int]) -> dict[int, User]:
    """The current members of the conversation among ``ids``: one query."""
    wanted = set(ids)
    if not wanted:
        return {}
    return {m.user.pk: m.user for m in Membership.objects.filter(
        conversation=conversation, ended_at__isnull=True, user_id__in=wanted,
        user__is_active=True).select_related("user")}


def chosen(text: str, sender_id: int, ids: Sequence[int], members: Mapping[int, User]
           ) -> list[User]:
    """The people a message mentions: of the ids the client sent, those who are current
    members (``members``, from :func:`current_members`) other than the sender and whose
    "@name" is in ``text``; at most :data:`MAX_MENTIONS`, in the order sent."""
    candidates = [members[pk] for pk in ids if pk in members and pk != sender_id]
    present = names_in(text, (person.public_name for person in candidates))
    return [person for person in candidates if person.public_name in present][:MAX_MENTIONS]


def mentioned_in(message: Message) -> list[Mentioned]:
    """Who ``message`` mentions (prefetch ``mentions__user`` for a page of them), by name."""
    return [{"id": m.user.pk, "name": m.user.public_name}
            for m in sorted(message.mentions.all(), key=lambda m: m.pk)]


def mentions_of(people: Sequence[User]) -> list[Mentioned]:
    return [{"id": person.pk, "name": person.public_name} for person in people]


def store(message_people: Iterable[tuple[Message, Sequence[User]]]) -> None:
    """The Mention rows of a batch's messages: one insert, none when nobody was mentioned."""
    rows = [Mention(message=message, user=person)
            for message, people in message_people for person in people]
    if rows:
        Mention.objects.bulk_create(rows)


def choices(conversation: Conversation, reader: User) -> list[Mentioned]:
    """The people the composer offers after "@": the conversation's current, active members
    other than ``reader``, by display name (names only). The caller asks whether the reader
    may mention here (``message.mention``) and may see the members (``membership.list``)."""
    people = (User.objects.filter(memberships__conversation=conversation,
                                  memberships__ended_at__isnull=True, is_active=True)
              .exclude(pk=reader.pk).distinct().order_by("display_name", "username", "pk"))
    return sorted(mentions_of(list(people)), key=lambda p: (p["name"].casefold(), p["id"]))
