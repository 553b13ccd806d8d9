"""Screening messages before they are stored: the hook an app above messaging registers.

The school's safeguarding app decides what to look for; messaging only asks. A *screen* is a
callable ``screen(drafts) -> verdicts``, one :class:`Verdict` per :class:`Draft`, in order. The
send action (:func:`messaging.actions.send.post_messages`) calls every registered screen once
per batch, inside the batch's transaction and before anything is inserted:

- a verdict with ``hold=True`` stores the message held (``Message.held_at``): its sender gets
  the usual ack and sees it "Waiting for review by the school"; nobody else sees anything of
  it until a safeguarding lead releases it (:func:`messaging.actions.moderation.release_message`);
- ``flags`` are opaque to messaging: after the commit, :data:`messaging.signals.messages_screened`
  carries ``(message_id, verdict)`` for every verdict that holds or flags, so the upper app
  writes its own rows about them.

With no screen registered nothing is asked and nothing changes (:func:`active` is a list check).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from accounts.models import User
from messaging.models import Conversation


@dataclass(frozen=True)
class Draft:
    """A message about to be stored, as a screen sees it (its text already cleaned)."""

    sender: User
    conversation: Conversation
    body: str


@dataclass
class Verdict:
    """A screen's answer about one draft: hold it for review, and/or flags for the upper app."""

    hold: bool = False
    flags: list[Any] = field(default_factory=list)

    @property
    def noteworthy(self) -> bool:
        return self.hold or bool(self.flags)


Screen = Callable[[Sequence[Draft]], Sequence[Verdict]]

_screens: list[Screen] = []


def register(screen: Screen) -> Screen:
    """Ask ``screen`` about every batch of messages from now on (once, however often it is
    registered); returns it, so it can decorate the function."""
    if screen not in _screens:
        _screens.append(screen)
    return screen


def unregister(screen: Screen) -> None:
    """Stop asking ``screen`` (tests, and an app switched off)."""
    if screen in _screens:
        _screens.remove(screen)


def active() -> bool:
    """Whether any screen is registered: the send path asks nothing otherwise."""
    return bool(_screens)


def screen(drafts: Sequence[Draft]) -> list[Verdict]:
    """Every registered screen's verdicts, combined per draft: held if any screen holds it,
    with the flags of all of them. A screen that answers for the wrong number of drafts is a
    programming error and fails the batch (nothing is stored unscreened)."""
    combined = [Verdict() for _ in drafts]
    for each in list(_screens):
        verdicts = list(each(drafts))
        if len(verdicts) != len(drafts):
            raise ValueError(f"screen {each!r} gave {len(verdicts)} verdicts for "
                             f"{len(drafts)} drafts")
        for total, verdict in zip(combined, verdicts, strict=True):
            total.hold = total.hold or verdict.hold
            total.flags.extend(verdict.flags)
    return combined
