"""The sentences the activities say, in the active language: when an activity is, and the
refusals its actions give (kept apart from the rules, as the project does)."""

from __future__ import annotations

from datetime import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from activities.models import Activity


def moment(value: datetime) -> str:
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


def when(activity: Activity) -> str:
    """"Fri 12 June 2026, 09:00 until 15:00" in the reader's language and the school's time."""
    start, end = timezone.localtime(activity.starts_at), timezone.localtime(activity.ends_at)
    if start.date() == end.date():
        return _("%(day)s, %(start)s until %(end)s") % {
            "day": formats.date_format(start, "DATE_FORMAT"),
            "start": formats.time_format(start, "TIME_FORMAT"),
            "end": formats.time_format(end, "TIME_FORMAT")}
    return _("%(start)s until %(end)s") % {"start": moment(start), "end": moment(end)}


def announcement(activity: Activity) -> str:
    """The announcing message's text: what the card says, in words, for pushes, digests,
    search and exports."""
    lines = [(_("Trip: %(title)s") if activity.kind == Activity.Kind.TRIP
              else _("Event: %(title)s")) % {"title": activity.title}, when(activity)]
    if activity.place:
        lines.append(_("Place: %(place)s") % {"place": activity.place})
    if activity.bring:
        lines.append(_("Bring: %(bring)s") % {"bring": activity.bring})
    if activity.cost:
        lines.append(_("Cost: %(cost)s") % {"cost": activity.cost})
    if activity.slip_id is not None:
        lines.append(_("Please reply by %(deadline)s and sign the permission slip.")
                     % {"deadline": moment(activity.reply_by)})
    else:
        lines.append(_("Please reply by %(deadline)s.") % {"deadline": moment(activity.reply_by)})
    return "\n".join(lines)


def replies_closed(activity: Activity) -> str:
    return _("Replies closed on %(deadline)s.") % {"deadline": moment(activity.reply_by)}


def started() -> str:
    return _("This activity has started: the permission slip can no longer be changed.")


def not_responsible() -> str:
    return _("Only a parent with parental responsibility can sign the permission slip.")


def no_contact() -> str:
    return _("The school cannot take your signature for this child. Please contact the school.")


def not_a_child() -> str:
    return _("This child is not on this activity.")
