"""Live cards: a poll, an activity or a parents' evening round shown on the message that
announces it, for each reader as that reader may see it, and kept current while the chat is open.

The apps that own such things sit above messaging, so messaging knows them only through this
registry (as the archive knows pupil sections, ``archive/sections.py``):

- the app posts the announcing message with ``post_message(..., card=ref("poll", poll.pk))``;
  the message's text says the same in words, for pushes, digests, search and exports;
- it registers a :class:`CardKind` from its ``AppConfig.ready``: ``render(message, request)``
  answers the card's HTML for the request's reader (the reader's own replies, the buttons the reader may
  use: the action a message asks for is on the message);
- after a change that shows on the card it calls :func:`changed`, which tells the
  conversation's open pages, after the commit, to fetch the card again
  (``messaging:card``, which checks that the reader may read the conversation before asking the
  card's app). The hint carries no content, so it cannot tell anyone more than they may see.

A card whose app is gone, or that its app cannot find, renders as nothing: the text stands.
Forms on a card post to the owning app's views; the chat page sends them with ``fetch`` and
refreshes the card (``static/js/chat/cards.js``), and without JavaScript they work as plain
forms that come back to the conversation (the ``next`` field the card's form carries).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib import messages as django_messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe

from messaging.events import CardEvent
from messaging.publish import publish_on_commit

if TYPE_CHECKING:
    from accounts.models import User
    from messaging.models import Conversation, Message

# "<kind>:<id>" fits Message.card (max_length 40).
MAX_KIND_CHARS = 20


@dataclass(frozen=True)
class CardKind:
    name: str
    # The card's HTML for the request's reader (escaped by the app's template, rendered with
    # the request so its forms carry the CSRF token); "" when there is nothing the reader may
    # see (the text stands alone).
    render: Callable[[Message, HttpRequest], str]


_kinds: dict[str, CardKind] = {}


@dataclass(frozen=True)
class Starter:
    """Where a person starts something a card will announce ("New poll"), offered beside the
    composer of the conversations where they may."""

    name: str
    label: Callable[[], str]
    # The page that starts it in this conversation, or None where this person may not.
    url: Callable[[Conversation, User], str | None]


_starters: dict[str, Starter] = {}


def register_starter(starter: Starter) -> None:
    """Add (or replace, by name) a way to start a card."""
    _starters[starter.name] = starter


def starters(conversation: Conversation, user: User) -> list[tuple[str, str]]:
    """(label, url) of what ``user`` may start in ``conversation``, in registration order."""
    offered = []
    for starter in _starters.values():
        url = starter.url(conversation, user)
        if url is not None:
            offered.append((str(starter.label()), url))
    return offered


def register_card(kind: CardKind) -> None:
    """Add (or replace, by name) a kind of card."""
    if not kind.name.isidentifier() or len(kind.name) > MAX_KIND_CHARS:
        raise ValueError(f"card kind {kind.name!r}: a short identifier")
    _kinds[kind.name] = kind


def ref(kind: str, pk: int) -> str:
    """What a message stores in ``Message.card`` for the card of ``kind`` number ``pk``."""
    return f"{kind}:{pk}"


def parse(card: str) -> tuple[str, int] | None:
    """``("poll", 12)`` for ``"poll:12"``; None for no card or a malformed one."""
    kind, _, pk = card.partition(":")
    return (kind, int(pk)) if kind and pk.isdigit() else None


def card_id(message: Message) -> int | None:
    """The id of the thing the message's card shows, or None."""
    parsed = parse(message.card)
    return parsed[1] if parsed else None


def render(message: Message, request: HttpRequest) -> SafeString:
    """The card of ``message`` for the request's reader; empty when the message has no card or
    its kind is unknown."""
    parsed = parse(message.card)
    kind = _kinds.get(parsed[0]) if parsed else None
    if kind is None:
        return mark_safe("")
    return mark_safe(kind.render(message, request))  # noqa: S308 - the app's template escaped it


def wrapped(message: Message, request: HttpRequest, url: str) -> SafeString:
    """The card in the element the page finds it by and fetches it again from ``url``."""
    return frame(message.card, url, render(message, request))


def frame(card: str, url: str, inner: str) -> SafeString:
    """``<div class="message-card">`` around a card's HTML, with the place for its refusals."""
    return format_html('<div class="message-card" tabindex="-1" data-card="{}" data-card-url="{}"'
                       ' aria-live="polite">{}<p class="card-error" role="alert" hidden></p></div>',
                       card, url, inner)


def changed(message: Message) -> None:
    """After the commit, every open page of the conversation fetches this message's card again."""
    hint: CardEvent = {"type": "card", "conversation": message.conversation_id, "id": message.pk}
    publish_on_commit(message.conversation_id, dict(hint))


def answer(request: HttpRequest, *, back: str, error: str | None = None,
           done: str | None = None) -> HttpResponse:
    """How a card's form is answered by the app that owns it.

    From the chat page's script (``X-Requested-With: fetch``): 204 when done (the page fetches
    the card again), or 400 with ``error`` as plain text, which the page shows on the card, where
    the person is looking. Without the script: back to ``next`` (a path of this site, else
    ``back``) with ``error`` or ``done`` as the page's notice.
    """
    if request.headers.get("X-Requested-With") == "fetch":
        if error is not None:
            return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
        return HttpResponse(status=204)
    if error is not None:
        django_messages.error(request, error)
    elif done is not None:
        django_messages.success(request, done)
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = back
    return HttpResponseRedirect(target)
