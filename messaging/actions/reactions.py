"""Reacting to a message with one emoji of a small fixed set (``messaging.models.Emoji``).

One reaction per person and message: choosing another replaces it, choosing the same one again
(or none) removes it. Each change is archived (``message.reacted``, ``message.reaction_removed``:
the reactor's subject access export lists them) and every open page of the conversation is
told the new counts after the commit (the ``reactions`` hint). A message that is retracted or
removed by the school loses its reactions (:func:`clear`); retention purges them, and the
payloads of their records, with the message.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.access import can
from accounts.models import User
from archive import chain
from messaging import reactions
from messaging.access import react_refusal
from messaging.events import reactions_event
from messaging.models import Emoji, Message, Reaction
from messaging.publish import publish_on_commit

VARIATION_SELECTOR = "\ufe0f"


def chosen(emoji: object) -> str:
    """The emoji of the set that ``emoji`` names, "" for none (remove); a ValidationError
    says which may be chosen, in the same words on the page and the socket."""
    text = emoji.strip() if isinstance(emoji, str) else None
    if text == "":
        return ""
    # A keyboard may send the heart without its emoji presentation selector, or with one.
    for candidate in ((text, text + VARIATION_SELECTOR, text.rstrip(VARIATION_SELECTOR))
                      if text is not None else ()):
        if candidate in Emoji.values:
            return candidate
    raise ValidationError(_("Choose one of these reactions: %(choices)s") % {
        "choices": " ".join(Emoji.values)}, code="invalid")


def react(user: User, message: Message, emoji: object) -> str:
    """Set ``user``'s reaction to ``message``: the reaction afterwards, "" for none."""
    if not can(user, "message.react", message):
        raise PermissionDenied(react_refusal(user, message))
    choice = chosen(emoji)
    with transaction.atomic():
        # The message's row, locked: a retraction or removal (which clears the reactions in
        # its own transaction) waits for this one, or this one sees it and refuses.
        current = Message.objects.select_for_update().select_related("conversation").get(
            pk=message.pk)
        if not can(user, "message.react", current):
            raise PermissionDenied(react_refusal(user, current))
        existing = Reaction.objects.filter(message=current, user=user).first()
        previous = existing.emoji if existing is not None else ""
        now = "" if choice == previous else choice
        if now == previous:
            return now  # no reaction, and none asked for
        scope = current.conversation.scope
        if existing is not None and not now:
            existing.delete()
            chain.record("message.reaction_removed", scope=scope, actor=user, subjects=[user],
                         payload={"message": current.pk, "emoji": previous})
        else:
            if existing is not None:
                existing.emoji = now
                existing.save(update_fields=["emoji"])
            else:
                Reaction.objects.create(message=current, user=user, emoji=now)
            chain.record("message.reacted", scope=scope, actor=user, subjects=[user],
                         payload={"message": current.pk, "emoji": now, "previous": previous})
        publish_on_commit(current.conversation_id, reactions_event(
            current, reactions.counts(current), user=user.pk, emoji=now))
    return now


def clear(message: Message) -> int:
    """Delete the reactions of a message that was just retracted or removed, inside that
    change's transaction, and tell the open pages it has none; how many there were. Their
    records stay in the archive (what was said, by whom, until retention), as the message's
    text does."""
    deleted, _rows = Reaction.objects.filter(message=message).delete()
    if deleted:
        publish_on_commit(message.conversation_id, reactions_event(message, {}))
    return deleted
