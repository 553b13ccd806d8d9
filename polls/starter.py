""""New poll" beside the composer of the conversations where the person may ask one."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.access import can
from accounts.models import User
from messaging import cards
from messaging.models import Conversation


def _url(conversation: Conversation, user: User) -> str | None:
    if not can(user, "poll.create", conversation):
        return None
    return reverse("polls:new", args=[conversation.pk])


def register() -> None:
    cards.register_starter(cards.Starter("poll", lambda: _("New poll"), _url))
