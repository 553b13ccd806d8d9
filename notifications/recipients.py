"""Who is told about a new message, and what their lock screen shows.

A message notifies the conversation's current members with a device, except:
- the sender;
- members who muted the conversation (until a time that has not come, or until unmuted),
  unless the message mentions them ("@Anna Jansen", :mod:`messaging.mentions`);
- members in their quiet time (``messaging.hours``): staff outside their office hours, everyone
  else at night (21:00-07:00 in the school's time zone);
unless the message is an urgent one from staff, which reaches everyone, quiet time or not
(only staff may mark a message urgent: ``message.post_urgent``). A mention breaks through a
mute, never through quiet time: at night it waits like any other message.
A device that has the conversation open on a visible page right now (its socket's heartbeat,
:mod:`messaging.presence`) is left out too; the person's other devices are still told
(docs/notifications.md says why per device).

Every try reads the message again (:func:`pushable`) and renders the payload only then, under
the school's lock-screen policy of that moment: a push queued for a retry carries ids, never
text, so what the school removed, its sender retracted, or staff marked sensitive in between
is not pushed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from messaging import hours, presence
from messaging.attachments import is_voice
from messaging.events import excerpt
from messaging.models import Event, Mention, Message
from notifications.models import Device, Mute

LOCK_SCREEN_EXCERPT = "excerpt"


def pushable(message_id: int, conversation_id: int | None = None, *, retry: bool = False
             ) -> Message | None:
    """The message as it is now, or None when it may not be pushed (any more): gone (removed
    by the school or retracted) or held for review (or rejected); for a ``retry``, also when
    staff marked it sensitive after it was sent. A sensitive message's first try shows its
    sender's name only (:func:`payload`); a mark made after sending is a judgement about the
    text, and a retry errs on the side of silence (for a reminder, whose first try may come
    long after the mark, that costs the retry, not the first push)."""
    found = (Message.objects
             .select_related("sender", "conversation__school", "conversation__school_class")
             .filter(pk=message_id))
    if conversation_id is not None:
        found = found.filter(conversation_id=conversation_id)
    message = found.first()
    if message is None or message.is_gone or message.is_held:
        return None
    # Marking takes a seq of its own (an event); sent as sensitive, it has none.
    if retry and message.sensitive and Event.objects.filter(
            message=message, kind=Event.Kind.SENSITIVE).exists():
        return None
    return message


def breaks_through(message: Message) -> bool:
    return message.urgent and message.sender.is_school_staff


def mentioned(message: Message) -> set[int]:
    """The ids of the people ``message`` mentions (messaging.mentions)."""
    return set(Mention.objects.filter(message=message).values_list("user_id", flat=True))


def recipients(message: Message, at: datetime | None = None,
               among: Iterable[int] | None = None) -> list[User]:
    """The people told about ``message`` (of ``among``, user ids, when given)."""
    moment = at or timezone.now()
    muted = Mute.objects.filter(conversation_id=message.conversation_id).filter(
        Q(until__isnull=True) | Q(until__gt=moment)).exclude(
        user_id__in=Mention.objects.filter(message=message).values("user_id")).values("user_id")
    members = (User.objects.filter(
        memberships__conversation_id=message.conversation_id, memberships__ended_at__isnull=True,
        is_active=True, push_devices__isnull=False)
        .exclude(pk=message.sender_id).exclude(pk__in=muted)
        .select_related("school").distinct().order_by("pk"))
    if among is not None:
        members = members.filter(pk__in=list(among))
    if breaks_through(message):
        return list(members)
    return [person for person in members if not hours.is_quiet_for(person, moment)]


def devices(message: Message, at: datetime | None = None,
            device_ids: Iterable[int] | None = None) -> list[Device]:
    """The devices told about ``message``: all its recipients', or (a retry) those of
    ``device_ids`` that would still be told now."""
    chosen = Device.objects.all()
    among = None
    if device_ids is not None:
        chosen = chosen.filter(pk__in=list(device_ids))
        among = {device.user_id for device in chosen}
    people = recipients(message, at, among)
    # (user, endpoint) of the browsers showing the conversation: matched on both, so a page
    # can only ever silence its own person's device.
    looking = presence.looking(message.conversation_id)
    return [device for device in chosen.filter(user__in=people)
                                       .select_related("user__school").order_by("pk")
            if (device.user_id, device.endpoint) not in looking]


def topic(conversation_id: int) -> str:
    """One notification per conversation: a newer push replaces an undelivered older one."""
    return f"conversation-{conversation_id}"


def mention_topic(message_id: int) -> str:
    """A mention is a notification of its own: a later message of the conversation does not
    replace "Anna mentioned you" on the phone."""
    return f"mention-{message_id}"


def payload(message: Message, *, mentions_reader: bool = False) -> dict[str, Any]:
    """What the service worker shows, in the active language (the caller activates the
    recipient's). The text only where the school's policy allows it. ``mentions_reader``: the
    message names the recipient ("Ms de Vries mentioned you in 4B class group")."""
    conversation = message.conversation
    sender = message.sender.public_name
    body = sender
    if mentions_reader:
        body = _("%(sender)s mentioned you in %(conversation)s") % {
            "sender": sender, "conversation": conversation.name}
    # A sensitive message is never on a lock screen, whatever the school chose (docs/policy.md).
    # A voice message says only that it is one.
    text = excerpt(message) or (_("Voice message") if is_voice(message) else "")
    if (conversation.school.lock_screen_text == LOCK_SCREEN_EXCERPT and not message.sensitive
            and text):
        body = f"{body}: {text}"
    return {
        "conversation": conversation.pk,
        "title": conversation.name or sender,
        "body": body,
        "tag": mention_topic(message.pk) if mentions_reader else topic(conversation.pk),
        "url": reverse("messaging:conversation", args=[conversation.pk]),
        "urgent": message.urgent,
    }


def reminded_devices(message: Message, user_ids: list[int], at: datetime | None = None,
                     device_ids: Iterable[int] | None = None) -> list[Device]:
    """The devices an acknowledgement reminder is pushed to: those of the reminded guardians
    who are still members, have not acknowledged it, have not muted the conversation and are
    not in their quiet time (the e-mail still reaches them); of ``device_ids`` only, when
    given (a retry)."""
    moment = at or timezone.now()
    muted = Mute.objects.filter(conversation_id=message.conversation_id).filter(
        Q(until__isnull=True) | Q(until__gt=moment)).values("user_id")
    people = (User.objects.filter(
        pk__in=user_ids, is_active=True, memberships__conversation_id=message.conversation_id,
        memberships__ended_at__isnull=True).exclude(pk__in=muted)
        .exclude(pk__in=message.acknowledgements.values("user_id"))
        .select_related("school").distinct())
    awake = [person for person in people if not hours.is_quiet_for(person, moment)]
    chosen = Device.objects.filter(user__in=awake)
    if device_ids is not None:
        chosen = chosen.filter(pk__in=list(device_ids))
    return list(chosen.select_related("user__school").order_by("pk"))


def reminder_payload(message: Message) -> dict[str, Any]:
    """"Reminder: please acknowledge ...", in the active language (the caller renders it once
    per recipient language): the message's start only where the school's lock screen policy
    allows it, else the sender's name."""
    conversation = message.conversation
    what = message.sender.public_name
    # A sensitive message is never on a lock screen, whatever the school chose (docs/policy.md).
    if (conversation.school.lock_screen_text == LOCK_SCREEN_EXCERPT and not message.sensitive
            and excerpt(message)):
        what = excerpt(message)
    body = _("Reminder: please acknowledge %(what)s") % {"what": what}
    return {
        "conversation": conversation.pk,
        "title": conversation.name,
        "body": body,
        "tag": f"ack-reminder-{message.pk}",
        "url": reverse("messaging:conversation", args=[conversation.pk]) + f"#m{message.pk}",
        "urgent": False,
    }
