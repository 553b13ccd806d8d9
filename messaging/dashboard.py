"""Messaging's panel on the school admin's overview (:mod:`accounts.dashboard`): announcements
of the last weeks that some of their readers have not acknowledged yet.

Names, dates and counts only, never what the announcement says: an admin reads no
conversation they are not a member of. The "who has not" list links only where the admin
may open it (a member of the channel, as ``message.acknowledgements`` asks). Three queries
whatever the school's size. Registered in ``MessagingConfig.ready``.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts import dashboard
from accounts.dashboard import Cell, Figure, Panel, Table
from accounts.models import School, User
from messaging.access import readable_conversations
from messaging.models import Acknowledgement, Membership, Message

# Announcements older than this are history, not something to chase.
WITHIN_DAYS = 30
ROWS = 20


def awaiting_acknowledgement(school: School) -> list[Message]:
    """The school's announcements asking for acknowledgement in the last :data:`WITHIN_DAYS`
    days that a current member other than the sender has not acknowledged, newest first,
    annotated with ``audience`` and ``missing`` (how many have not)."""
    members = Membership.objects.filter(conversation=OuterRef("conversation_id"),
                                        ended_at__isnull=True).exclude(user=OuterRef("sender_id"))
    missing = (members.exclude(user__in=Acknowledgement.objects.filter(
        message=OuterRef(OuterRef("pk"))).values("user"))
        .order_by().values("conversation").annotate(n=Count("pk")).values("n"))
    audience = members.order_by().values("conversation").annotate(n=Count("pk")).values("n")
    return list(
        Message.objects.filter(conversation__school=school, ack_requested=True,
                               retracted_at__isnull=True, removed_at__isnull=True,
                               held_at__isnull=True,
                               created_at__gte=timezone.now() - timedelta(days=WITHIN_DAYS))
        .annotate(audience=Coalesce(Subquery(audience, output_field=IntegerField()), Value(0)),
                  missing=Coalesce(Subquery(missing, output_field=IntegerField()), Value(0)))
        .filter(missing__gt=0).select_related("conversation", "sender")
        .order_by("-created_at", "-pk"))


def announcements(school: School, user: User) -> Panel:
    waiting = awaiting_acknowledgement(school)
    readable = set(readable_conversations(user).values_list("pk", flat=True))
    rows = []
    for message in waiting[:ROWS]:
        href = (reverse("messaging:acknowledgements", args=[message.conversation_id, message.pk])
                if message.conversation_id in readable else "")
        rows.append([
            Cell(message.conversation.name, href), Cell(message.sender.public_name),
            Cell(formats.date_format(timezone.localtime(message.created_at),
                                     "SHORT_DATETIME_FORMAT")),
            Cell(_("%(missing)d of %(audience)d") % {"missing": message.missing,  # type: ignore[attr-defined]
                                                      "audience": message.audience},  # type: ignore[attr-defined]
                 alert=True)])
    return Panel(
        title=_("Announcements not yet acknowledged"),
        figures=[Figure(_("Announcements waiting for acknowledgement"), len(waiting),
                        alert=bool(waiting))],
        tables=[Table(caption=_("Announcements of the last %(days)d days not yet acknowledged")
                      % {"days": WITHIN_DAYS},
                      columns=[_("Channel"), _("Sent by"), _("Sent"), _("Not acknowledged")],
                      rows=rows, empty=_("Every announcement has been acknowledged."),
                      more=_("and %(count)d more") % {"count": len(waiting) - ROWS}
                      if len(waiting) > ROWS else "")],
    )


def register() -> None:
    dashboard.register("announcements", announcements, order=40)
