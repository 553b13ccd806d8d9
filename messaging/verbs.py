"""The verbs: what a member does to a message or a conversation, listed once.

Each :class:`Verb` says, in one entry of :data:`VERBS`, everything the three adapters need:

- its name: the socket frame's ``type`` and the ``action`` of its ``ack`` (docs/protocol.md);
- the rule its action checks (``accounts.access``; the permission matrix has its rows);
- its page's URL, under ``/c/<conversation>/``, and the URL's name (``messaging/urls.py``
  makes one route per verb, all served by ``messaging.views.verb``);
- what it acts on: a message of the conversation (the frame's ``conversation`` and ``id``),
  or the conversation itself (``conversation``), found by the same readable-or-nothing rule
  for the page and the socket;
- its argument, parsed from a socket frame (:attr:`Verb.from_frame`) and from the page's
  form (:attr:`Verb.from_form`); the action validates what the person typed, so both say the
  same thing about it;
- the action itself (``messaging.actions``), called with the person, the target and the
  argument;
- whether the socket answers it with an ``ack`` (``seen`` is not answered).

The consumer parses a verb's frame once, at its edge (:mod:`messaging.frames`), into a
:class:`VerbFrame`; ``messaging.socket_db.act`` finds the target and calls the action; the
HTTP view does the same from the form. Adding a verb is one entry here (and its rule in
``access.py``, its action, its markup).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from accounts.access import Action
from accounts.models import User
from messaging.access import readable_conversation_or_none, readable_message_or_none
from messaging.actions import edit, reactions, receipts, sensitive
from messaging.models import Conversation, Message
from messaging.wire import frame_int

Target = TypeVar("Target", Message, Conversation)
Argument = TypeVar("Argument")
# A request's POST data (a QueryDict) as the verbs read it.
Form = Mapping[str, str]


class Malformed(ValueError):
    """A frame the server cannot read: answered with an ``error`` frame, never a close."""

    def __init__(self, text: str, code: str = "malformed", **extra: Any) -> None:
        super().__init__(text)
        self.code, self.text, self.extra = code, text, extra


@dataclass(frozen=True, slots=True)
class Verb(Generic[Target, Argument]):
    name: str
    rule: Action
    url: str  # under c/<int:conversation_id>/
    url_name: str
    on_message: bool  # a message of the conversation (frame field ``id``), else the conversation
    from_frame: Callable[[Mapping[str, Any]], Argument]  # raises ValueError when ill-typed
    from_form: Callable[[Form], Argument]  # raises ValueError: nothing to do
    act: Callable[[User, Target, Argument], object]
    acked: bool = True
    needs: str = "conversation and id"  # named in the ``malformed`` answer

    def find(self, user: User, conversation_id: int, message_id: int | None) -> Target | None:
        """What the verb acts on, when the user may read it; the same None for missing and
        forbidden (a 404 on the page, ``not_found`` on the socket)."""
        if not self.on_message:
            return readable_conversation_or_none(user, conversation_id)  # type: ignore[return-value]
        message = readable_message_or_none(user, message_id or 0)
        if message is None or message.conversation_id != conversation_id:
            return None
        return message  # type: ignore[return-value]

    def parse(self, content: Mapping[str, Any]) -> VerbFrame[Target, Argument]:
        """The frame, once, into its frozen type; raises :class:`Malformed`."""
        conversation_id = frame_int(content.get("conversation"))
        message_id = frame_int(content.get("id")) if self.on_message else None
        try:
            argument = self.from_frame(content)
        except ValueError:
            raise Malformed(f"{self.name} needs {self.needs}.") from None
        if conversation_id is None or (self.on_message and message_id is None):
            raise Malformed(f"{self.name} needs {self.needs}.")
        return VerbFrame(self, conversation_id, message_id, argument)


@dataclass(frozen=True, slots=True)
class VerbFrame(Generic[Target, Argument]):
    """A verb's socket frame, parsed: ``message`` is None for a conversation's verb."""

    verb: Verb[Target, Argument]
    conversation: int
    message: int | None
    argument: Argument


def _nothing(_source: Mapping[str, Any]) -> None:
    return None


def _frame_seq(content: Mapping[str, Any]) -> int:
    seq = frame_int(content.get("seq"))
    if seq is None:
        raise ValueError("seq")
    return seq


def _form_seq(form: Form) -> int:
    raw = form.get("seq", "")
    if not raw.isdigit():
        raise ValueError("seq")  # a page that showed no seq: nothing to mark
    return int(raw)


def _frame_emoji(content: Mapping[str, Any]) -> str:
    emoji = content.get("emoji", "")
    if not isinstance(emoji, str):
        raise ValueError("emoji")
    return emoji


def _retract(user: User, message: Message, _argument: None) -> Message:
    return edit.retract_message(user, message)


def _acknowledge(user: User, message: Message, _argument: None) -> bool:
    return receipts.acknowledge(user, message)


EDIT: Verb[Message, object] = Verb(
    "edit", "message.edit", "m/<int:message_id>/edit", "edit", True,
    from_frame=lambda frame: frame.get("body"), from_form=lambda form: form.get("body", ""),
    act=edit.edit_message)
RETRACT: Verb[Message, None] = Verb(
    "retract", "message.retract", "m/<int:message_id>/retract", "retract", True,
    from_frame=_nothing, from_form=_nothing, act=_retract)
PIN: Verb[Message, bool] = Verb(
    "pin", "message.pin", "m/<int:message_id>/pin", "pin", True,
    from_frame=lambda frame: frame.get("pinned", True) is not False,
    from_form=lambda form: form.get("pinned", "1") == "1", act=edit.pin_message)
MARK_SENSITIVE: Verb[Message, object] = Verb(
    "mark_sensitive", "message.mark_sensitive", "m/<int:message_id>/sensitive",
    "mark_sensitive", True,
    from_frame=lambda frame: frame.get("sensitive"),
    from_form=lambda form: form.get("sensitive", ""), act=sensitive.mark_sensitive)
ACKNOWLEDGE: Verb[Message, None] = Verb(
    "acknowledge", "message.acknowledge", "m/<int:message_id>/acknowledge", "acknowledge", True,
    from_frame=_nothing, from_form=_nothing, act=_acknowledge)
# One emoji of the set (messaging.models.Emoji); the same again, or "", removes it.
REACT: Verb[Message, str] = Verb(
    "react", "message.react", "m/<int:message_id>/react", "react", True,
    from_frame=_frame_emoji, from_form=lambda form: form.get("emoji", ""), act=reactions.react,
    needs="conversation, id and an emoji")
# Read receipts: everything up to ``seq`` was shown (the socket's ``seen``, or the page's "Mark
# as read" without JavaScript). Not answered: a page sends it as it scrolls.
SEEN: Verb[Conversation, int] = Verb(
    "seen", "conversation.read", "read", "mark_read", False,
    from_frame=_frame_seq, from_form=_form_seq, act=receipts.mark_seen, acked=False,
    needs="conversation and seq")

VERBS: tuple[Verb[Any, Any], ...] = (EDIT, RETRACT, PIN, MARK_SENSITIVE, ACKNOWLEDGE, REACT,
                                     SEEN)
BY_NAME: dict[str, Verb[Any, Any]] = {verb.name: verb for verb in VERBS}
