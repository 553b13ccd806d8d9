"""Publishing a parents' evening: the round, a slot per teacher and time, and its announcement
in each class's conversation, with a live card."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from accounts.access import can
from accounts.models import SchoolClass, StaffAssignment, User
from archive import chain, scopes
from meetings.access import teacher_roles
from meetings.live import CARD_KIND
from meetings.models import MeetingRound, MeetingSlot
from messaging import cards
from messaging.actions.classes import class_conversation
from messaging.actions.send import post_message

MIN_MINUTES, MAX_MINUTES = 5, 60
# More slots than this in one round is a typing mistake (ten days of a whole school).
MAX_SLOTS = 5000
# The default change deadline (DESIGN.md: "A meeting round's change deadline: 24 hours before").
DEFAULT_NOTICE = timedelta(hours=24)


@dataclass(frozen=True)
class RoundPlan:
    """What the publish form asks, parsed."""

    title: str
    classes: Sequence[SchoolClass]
    first_day: date
    last_day: date
    day_starts: time
    day_ends: time
    slot_minutes: int
    opens_at: datetime
    closes_at: datetime
    change_deadline: datetime | None = None
    break_starts: time | None = None
    break_ends: time | None = None
    place: str = ""
    video_link: str = ""
    per: str = MeetingRound.Per.FAMILY
    siblings_early: bool = False
    # A teacher's own room (by user id), where it is not the round's place.
    rooms: dict[int, str] = field(default_factory=dict)


def slot_times(plan: RoundPlan, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """Every meeting time of the plan, day by day (weekends skipped), breaks left out."""
    length = timedelta(minutes=plan.slot_minutes)
    times: list[tuple[datetime, datetime]] = []
    day = plan.first_day
    while day <= plan.last_day:
        if day.weekday() < 5 or plan.first_day == plan.last_day:
            start = datetime.combine(day, plan.day_starts, zone)
            end_of_day = datetime.combine(day, plan.day_ends, zone)
            while start + length <= end_of_day:
                end = start + length
                if not _in_break(plan, day, start, end, zone):
                    times.append((start, end))
                start = end
        day += timedelta(days=1)
    return times


def _in_break(plan: RoundPlan, day: date, start: datetime, end: datetime, zone: ZoneInfo) -> bool:
    if plan.break_starts is None or plan.break_ends is None:
        return False
    pause_from = datetime.combine(day, plan.break_starts, zone)
    pause_until = datetime.combine(day, plan.break_ends, zone)
    return start < pause_until and end > pause_from


def check_plan(plan: RoundPlan, zone: ZoneInfo, now: datetime) -> None:
    """A sentence for each thing the plan gets wrong (``ValidationError``)."""
    problems: list[str] = []
    if not plan.title.strip():
        problems.append(_("Give the parents' evening a title."))
    if not plan.classes:
        problems.append(_("Choose at least one class."))
    if plan.last_day < plan.first_day:
        problems.append(_("The last day is before the first day."))
    if plan.first_day < now.astimezone(zone).date():
        problems.append(_("The first day is in the past."))
    if plan.day_ends <= plan.day_starts:
        problems.append(_("The meetings end before they start."))
    if (plan.break_starts is None) != (plan.break_ends is None):
        problems.append(_("Give the break a start and an end, or neither."))
    elif plan.break_starts and plan.break_ends and plan.break_ends <= plan.break_starts:
        problems.append(_("The break ends before it starts."))
    if not MIN_MINUTES <= plan.slot_minutes <= MAX_MINUTES:
        problems.append(_("A meeting lasts from %(min)d to %(max)d minutes.")
                        % {"min": MIN_MINUTES, "max": MAX_MINUTES})
    if plan.closes_at <= plan.opens_at:
        problems.append(_("Booking closes before it opens."))
    if plan.closes_at <= now:
        problems.append(_("Booking closes in the past."))
    if plan.change_deadline is not None and plan.change_deadline <= plan.opens_at:
        problems.append(_("The deadline for changes is before booking opens."))
    if problems:
        raise ValidationError(problems)
    first = datetime.combine(plan.first_day, plan.day_starts, zone)
    if plan.closes_at > first:
        raise ValidationError(_("Booking must close before the first meeting."))


def _teachers(classes: Sequence[SchoolClass]) -> list[User]:
    ids = StaffAssignment.objects.filter(school_class__in=classes).values("user_id")
    return list(User.objects.filter(pk__in=ids, role__in=teacher_roles(), is_active=True)
                .order_by("display_name", "pk"))


def publish_round(actor: User, plan: RoundPlan) -> MeetingRound:
    """Publish a round: its slots for every teacher of its classes, and a message with its card
    in each class's conversation. Raises ``PermissionDenied`` for a class the actor may not
    publish for and ``ValidationError`` (sentences) for a plan that does not hold together."""
    if actor.school is None or not plan.classes or not all(
            can(actor, "meetings.publish", c) for c in plan.classes):
        raise PermissionDenied(_("You cannot publish a parents' evening for these classes."))
    school = actor.school
    zone = ZoneInfo(school.time_zone)
    now = timezone.now()
    check_plan(plan, zone, now)
    times = slot_times(plan, zone)
    teachers = _teachers(plan.classes)
    if not times:
        raise ValidationError(_("No meeting fits between those times."))
    if not teachers:
        raise ValidationError(_("None of these classes has a teacher to meet."))
    if len(times) * len(teachers) > MAX_SLOTS:
        raise ValidationError(_("That makes too many meetings: choose fewer days or longer "
                                "meetings."))
    deadline = plan.change_deadline or times[0][0] - DEFAULT_NOTICE
    with transaction.atomic():
        round_ = MeetingRound.objects.create(
            school=school, title=plan.title.strip(), created_by=actor, place=plan.place,
            video_link=plan.video_link, slot_minutes=plan.slot_minutes, opens_at=plan.opens_at,
            closes_at=plan.closes_at, change_deadline=deadline, per=plan.per,
            siblings_early=plan.siblings_early)
        round_.classes.set(plan.classes)
        MeetingSlot.objects.bulk_create([
            MeetingSlot(round=round_, teacher=teacher, starts_at=start, ends_at=end,
                        room=plan.rooms.get(teacher.pk, plan.place))
            for teacher in teachers for start, end in times])
        chain.record("meetings.round_published", scope=scopes.meetings(school.pk), actor=actor,
                     subjects=teachers, payload={
                         "round": round_.pk, "title": round_.title,
                         "classes": [c.pk for c in plan.classes],
                         "teachers": [t.pk for t in teachers], "slots": len(times) * len(teachers),
                         "opens_at": plan.opens_at.isoformat(),
                         "closes_at": plan.closes_at.isoformat(),
                         "change_deadline": deadline.isoformat(), "per": plan.per,
                         "siblings_early": plan.siblings_early})
        for school_class in plan.classes:
            _announce(actor, round_, school_class, times[0][0], zone)
    return round_


def _announce(actor: User, round_: MeetingRound, school_class: SchoolClass, first: datetime,
              zone: ZoneInfo) -> None:
    """The message with the round's card in the class's conversation, written in the school's
    language (the card itself speaks each reader's). Posted by the publisher where they may
    post there, else by a teacher of the class (the office publishes for classes it is in no
    conversation of)."""
    conversation = class_conversation(school_class)
    sender = actor if can(actor, "conversation.post", conversation) else next(
        (t for t in _teachers([school_class]) if can(t, "conversation.post", conversation)), None)
    if sender is None:
        return
    with translation.override(round_.school.preferred_language):
        text = _("%(title)s: book a meeting with your child's teacher. Meetings from %(day)s; "
                 "booking closes %(closes)s.") % {
            "title": round_.title,
            "day": formats.date_format(first.astimezone(zone), "l j E"),
            "closes": formats.date_format(round_.closes_at.astimezone(zone), "j E H:i")}
    post_message(sender, conversation, text, card=cards.ref(CARD_KIND, round_.pk),
                 limited=False, confirm=True)
