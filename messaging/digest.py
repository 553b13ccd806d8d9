"""E-mail digests of unread messages.

Each run mails every member who has unread messages not yet mentioned in a digest, unless it
is their quiet time (staff outside office hours, everyone else at night); urgent messages from
staff break through office hours. A digest names conversations, senders by display name and an
excerpt: never anyone's e-mail address or phone number. Each membership remembers the newest
seq it mentioned (``digested_seq``), so nothing is mailed twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from messaging.attachments import is_voice
from messaging.events import sensitive_text
from messaging.hours import is_quiet_for
from messaging.models import Membership, Message
from messaging.queries import display_titles

EXCERPT = 140
PER_CONVERSATION = 5

# Messages a person was already told about another way are left out of their digest. Apps
# above messaging register, from their AppConfig.ready, a check
# ``(user id, conversation id, seqs) -> the seqs among them already told`` (notifications: a
# push that reached one of the person's devices); messaging imports none of them.
AlreadyTold = Callable[[int, int, list[int]], set[int]]
_already_told: list[AlreadyTold] = []


def register_already_told(check: AlreadyTold) -> None:
    if check not in _already_told:
        _already_told.append(check)


def _pending(membership: Membership) -> list[Message]:
    start = max(membership.last_read_seq, membership.digested_seq)
    pending = list(
        Message.objects.filter(conversation=membership.conversation_id, seq__gt=start,
                               retracted_at__isnull=True, removed_at__isnull=True,
                               held_at__isnull=True)
        .exclude(sender=membership.user_id).select_related("sender").order_by("seq")
    )
    for check in _already_told:
        told = check(membership.user_id, membership.conversation_id, [m.seq for m in pending])
        pending = [m for m in pending if m.seq not in told]
    return pending


def conversation_link(conversation_id: int) -> str:
    """The conversation's address for a mail: absolute with ``SCHOOLCHAT_BASE_URL`` set."""
    path = reverse("messaging:conversation", args=[conversation_id])
    return f"{settings.SCHOOLCHAT_BASE_URL.rstrip('/')}{path}"


def digest_for(user: Any, now: Any = None) -> tuple[list[dict[str, Any]], dict[int, int]]:
    """What a digest for ``user`` would contain now, and the seq each membership reached;
    conversation names in the active language."""
    moment = now or timezone.now()
    memberships = list(Membership.objects.filter(user=user, ended_at__isnull=True,
                                                  conversation__last_seq__gt=F("last_read_seq"))
                       .select_related("conversation__school_class"))
    display_titles([m.conversation for m in memberships], user)
    sections = []
    reached: dict[int, int] = {}
    quiet = is_quiet_for(user, moment)
    for membership in memberships:
        pending = _pending(membership)
        messages = pending
        if quiet:
            # Only urgent staff messages reach someone in their quiet time.
            messages = [m for m in pending if m.urgent and not is_quiet_for(
                user, moment, urgent=True)]
        if not messages:
            continue
        reached[membership.pk] = messages[-1].seq
        held_back = [m.seq for m in pending if m not in messages]
        if held_back:
            # Never mark as mailed a message held back for later; an urgent one after it may
            # then be mentioned again in the next digest, which is the lesser evil.
            reached[membership.pk] = min(messages[-1].seq, min(held_back) - 1)
        sections.append({
            "title": membership.conversation.display_title,  # type: ignore[attr-defined]
            "url": conversation_link(membership.conversation_id),
            "count": len(messages),
            "messages": [{"sender": m.sender.public_name, "urgent": m.urgent,
                          # A sensitive message: its category only (docs/policy.md).
                          "excerpt": sensitive_text(m) if m.sensitive
                          else m.body[:EXCERPT] or (_("Voice message") if is_voice(m)
                                                    else _("(attachment)"))}
                         for m in messages[-PER_CONVERSATION:]],
        })
    return sections, reached


def send_digests(now: Any = None) -> int:
    """Send due digests; returns how many were sent."""
    sent = 0
    candidates = (User.objects.filter(is_active=True).exclude(email="")
                  .filter(memberships__ended_at__isnull=True).distinct().select_related("school"))
    for user in candidates.iterator():
        # In the recipient's language, whoever's action or whichever process sends it.
        with translation.override(user.preferred_language):
            sections, reached = digest_for(user, now)
            if not sections:
                continue
            context = {"user": user, "sections": sections,
                       "total": sum(s["count"] for s in sections)}
            body = render_to_string("messaging/digest_email.txt", context)
            subject = ngettext("%(count)d unread message in Schoolchat",
                               "%(count)d unread messages in Schoolchat",
                               context["total"]) % {"count": context["total"]}
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
        for membership_id, seq in reached.items():
            Membership.objects.filter(pk=membership_id, digested_seq__lt=seq).update(
                digested_seq=seq)
        sent += 1
    return sent

