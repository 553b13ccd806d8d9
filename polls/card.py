"""The poll's card on its message (messaging.cards): the question, the reader's own answer with
the form to give or change it while open, and the results when the reader may see them."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.access import can
from accounts.models import User
from messaging import cards
from messaging.models import Message
from polls import results
from polls.access import own_ballot
from polls.models import Poll

KIND = "poll"


def render(message: Message, request: HttpRequest) -> str:
    poll = (Poll.objects.select_related("conversation", "asker")
            .prefetch_related("options").filter(pk=cards.card_id(message) or 0,
                                                conversation_id=message.conversation_id).first())
    if poll is None:
        return ""
    return render_poll(poll, request)


def render_poll(poll: Poll, request: HttpRequest) -> str:
    reader = request.user
    assert isinstance(reader, User)
    ballot = own_ballot(reader, poll)
    mine = {v.option_id for v in ballot.votes.all()} if ballot is not None else set()
    shown = can(reader, "poll.results", poll)
    manages = can(reader, "poll.close", poll)
    back = reverse("messaging:conversation", args=[poll.conversation_id])
    if poll.message_id is not None:
        back += f"#m{poll.message_id}"
    return render_to_string("polls/card.html", {
        "poll": poll, "options": list(poll.options.all()), "mine": mine, "ballot": ballot,
        "closed": poll.is_closed(), "can_vote": can(reader, "poll.vote", poll),
        "can_close": manages,
        "results": results.results(poll, with_names=False) if shown else None,
        "next": back, "reader": reader,
    }, request=request)


def register() -> None:
    cards.register_card(cards.CardKind(KIND, render))
