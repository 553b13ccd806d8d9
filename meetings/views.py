"""Parents' evening pages: the rounds, publishing one, booking, the teacher's schedule, the
calendar files. Parse, ask ``can``, call one action, render. A page someone may not open is a
404, as for one that does not exist.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages as django_messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import can
from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from meetings import calendar, queries
from meetings.access import family_bookings, family_pupils, publishable_classes, visible_rounds
from meetings.actions import bookings, feeds, rounds, slots
from meetings.actions.bookings import SlotTaken
from meetings.forms import BookForm, MoveForm, RoundForm, chosen
from meetings.models import Booking, MeetingRound, MeetingSlot
from meetings.routing import socket_path
from messaging import cards

FETCH = "fetch"


def _sentence(exc: ValidationError | PermissionDenied) -> str:
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


def _round_or_404(user: User, round_id: int) -> MeetingRound:
    round_ = MeetingRound.objects.filter(pk=round_id).select_related("school").first()
    if round_ is None or not can(user, "meetings.view_round", round_):
        raise Http404
    return round_


def _booking_or_404(user: User, booking_id: int) -> Booking:
    booking = (Booking.objects.filter(pk=booking_id)
               .select_related("round__school", "slot", "teacher", "pupil").first())
    if booking is None or not can(user, "meetings.view_booking", booking):
        raise Http404
    return booking


def _slot_or_404(user: User, slot_id: int) -> MeetingSlot:
    slot = MeetingSlot.objects.filter(pk=slot_id).select_related("round__school", "teacher").first()
    if slot is None or not can(user, "meetings.manage_slot", slot):
        raise Http404
    return slot


@login_required
@require_GET
def rounds_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    shown = list(visible_rounds(user).order_by("-opens_at", "-pk"))
    if not shown and not publishable_classes(user).exists() and not can(
            user, "meetings.calendar_feed", user):
        raise Http404
    return render(request, "meetings/rounds.html", {
        "rounds": shown, "may_publish": publishable_classes(user).exists(),
        "has_feed": can(user, "meetings.calendar_feed", user)})


@login_required
@require_http_methods(["GET", "POST"])
def publish_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    classes = publishable_classes(request.user)
    if not classes.exists():
        raise Http404
    now = timezone.localtime()
    initial = {"opens_at": now.replace(second=0, microsecond=0),
               "closes_at": (now + timedelta(days=7)).replace(second=0, microsecond=0),
               "slot_minutes": 10}
    form = RoundForm(request.POST or None, classes=classes, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            round_ = rounds.publish_round(request.user, form.plan())
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, _sentence(exc))
        else:
            django_messages.success(request, _("The parents' evening is published and announced "
                                               "in the class groups."))
            return redirect("meetings:round", round_.pk)
    return render(request, "meetings/publish.html", {"form": form},
                  status=400 if form.errors else 200)


def _round_context(user: User, round_: MeetingRound) -> dict[str, Any]:
    """Everything the round page and its live slot list show to ``user``."""
    family = family_pupils(user, round_).exists()
    context: dict[str, Any] = {"round": round_, "family": family,
                               "runs": can(user, "meetings.schedule", round_)}
    if family:
        open_needs = queries.needs(user, round_)
        free = list(queries.free_slots(round_).select_related("teacher"))
        context["needs"] = [(need, [s for s in free if s.teacher_id == need.teacher.pk])
                            for need in open_needs]
        context["plans"] = queries.sibling_plans(
            [n for n in open_needs if n.booking is None], free)
        context["bookings"] = family_bookings(user, round_).select_related(
            "slot", "teacher", "pupil").order_by("slot__starts_at")
        context["deadline_passed"] = timezone.now() >= round_.change_deadline
    if context["runs"]:
        context["teachers"] = _teacher_counts(round_)
    return context


def _teacher_counts(round_: MeetingRound) -> list[tuple[User, int, int]]:
    """Each teacher of the round with their booked and free counts."""
    free = queries.free_slots(round_)
    booked = Booking.objects.filter(round=round_, cancelled_at__isnull=True)
    return [(teacher, booked.filter(teacher=teacher).count(),
             free.filter(teacher=teacher).count())
            for teacher in queries.round_teachers(round_)]


@login_required
@require_GET
def round_page(request: AuthenticatedHttpRequest, round_id: int) -> HttpResponse:
    round_ = _round_or_404(request.user, round_id)
    return render(request, "meetings/round.html", {
        **_round_context(request.user, round_), "socket_path": socket_path(round_.pk)})


@login_required
@require_GET
def round_slots(request: AuthenticatedHttpRequest, round_id: int) -> HttpResponse:
    """The live part of the round page, fetched again when the socket says it changed."""
    round_ = _round_or_404(request.user, round_id)
    return render(request, "meetings/_slots.html", _round_context(request.user, round_))


def _refused(request: AuthenticatedHttpRequest, round_: MeetingRound, sentence: str,
             nearest: list[MeetingSlot] | None = None, status: int = 400) -> HttpResponse:
    if request.headers.get("X-Requested-With") == FETCH:
        return HttpResponse(sentence, status=status, content_type="text/plain; charset=utf-8")
    return render(request, "meetings/round.html", {
        **_round_context(request.user, round_), "socket_path": socket_path(round_.pk),
        "error": sentence, "nearest": nearest or [],
        "nearest_pupil": request.POST.get("pupil", "")}, status=status)


@login_required
@require_POST
def book(request: AuthenticatedHttpRequest, round_id: int) -> HttpResponse:
    round_ = _round_or_404(request.user, round_id)
    if not can(request.user, "meetings.book", round_):
        raise Http404
    form = BookForm(request.POST)
    if not form.is_valid():
        return _refused(request, round_, _("Choose a time."))
    slots_and_pupils = [chosen(round_, form.cleaned_data["slot"], form.cleaned_data["pupil"])]
    return _book(request, round_, slots_and_pupils)


@login_required
@require_POST
def book_together(request: AuthenticatedHttpRequest, round_id: int) -> HttpResponse:
    """A family's back-to-back plan: ``slot`` and ``pupil`` repeated, in pairs."""
    round_ = _round_or_404(request.user, round_id)
    if not can(request.user, "meetings.book", round_):
        raise Http404
    slot_ids, pupil_ids = request.POST.getlist("slot"), request.POST.getlist("pupil")
    if (not slot_ids or len(slot_ids) != len(pupil_ids)
            or not all(v.isdigit() for v in [*slot_ids, *pupil_ids])):
        return _refused(request, round_, _("Choose a time."))
    return _book(request, round_, [chosen(round_, int(s), int(p))
                                   for s, p in zip(slot_ids, pupil_ids, strict=True)])


def _book(request: AuthenticatedHttpRequest, round_: MeetingRound,
          choices: list[tuple[MeetingSlot | None, Any]]) -> HttpResponse:
    if any(slot is None or pupil is None for slot, pupil in choices):
        return _refused(request, round_, _("That time is not part of this parents' evening."))
    try:
        made = bookings.book_together(request.user, round_,
                                      [(s, p) for s, p in choices if s and p])
    except SlotTaken as exc:
        return _refused(request, round_, _sentence(exc), exc.nearest, status=409)
    except ValidationError as exc:
        return _refused(request, round_, _sentence(exc))
    except PermissionDenied as exc:
        raise Http404 from exc
    if request.headers.get("X-Requested-With") == FETCH:
        return HttpResponse(status=204)
    django_messages.success(request, _("Booked: %(when)s with %(teacher)s.") % {
        "when": bookings.when(made[0].slot.starts_at),
        "teacher": made[0].teacher.public_name} if len(made) == 1 else
        _("Your meetings are booked."))
    return redirect("meetings:round", round_.pk)


@login_required
@require_POST
def cancel(request: AuthenticatedHttpRequest, booking_id: int) -> HttpResponse:
    booking = _booking_or_404(request.user, booking_id)
    back = reverse("meetings:round", args=[booking.round_id])
    if not can(request.user, "meetings.cancel", booking):
        raise Http404
    try:
        bookings.cancel(request.user, booking)
    except ValidationError as exc:
        return cards.answer(request, back=back, error=_sentence(exc))
    return cards.answer(request, back=back, done=_("The meeting is cancelled."))


@login_required
@require_GET
def booking_ics(request: AuthenticatedHttpRequest, booking_id: int) -> HttpResponse:
    booking = _booking_or_404(request.user, booking_id)
    item = queries.CalendarItem(
        uid=f"meeting-booking-{booking.pk}",
        title=f"{booking.round.title}: {booking.teacher.public_name}",
        starts_at=booking.slot.starts_at, ends_at=booking.slot.ends_at,
        place=booking.slot.room or booking.round.place, url=booking.round.video_link,
        booking=booking, slot=booking.slot)
    response = HttpResponse(calendar.ics([item], name=booking.round.title),
                            content_type=calendar.CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="meeting-{booking.pk}.ics"'
    return response


@login_required
@require_GET
def schedule(request: AuthenticatedHttpRequest, round_id: int) -> HttpResponse:
    """The printable schedule of one teacher (the asking teacher's own, or ``?teacher=``)."""
    round_ = _round_or_404(request.user, round_id)
    if not can(request.user, "meetings.schedule", round_):
        raise Http404
    teachers = list(queries.round_teachers(round_))
    wanted = request.GET.get("teacher", "")
    teacher = next((t for t in teachers if str(t.pk) == wanted), None) or next(
        (t for t in teachers if t.pk == request.user.pk), None) or (teachers[0] if teachers
                                                                    else None)
    rows = []
    if teacher is not None:
        booked = {b.slot_id: b for b in Booking.objects.filter(
            round=round_, teacher=teacher, cancelled_at__isnull=True).select_related(
            "pupil", "booked_by")}
        rows = [(slot, booked.get(slot.pk)) for slot in
                round_.slots.filter(teacher=teacher).order_by("starts_at")]
    manage = teacher is not None and bool(rows) and can(request.user, "meetings.manage_slot",
                                                        rows[0][0])
    free = [slot for slot, booking in rows if booking is None and slot.blocked_at is None]
    return render(request, "meetings/schedule.html", {
        "round": round_, "teacher": teacher, "teachers": teachers, "rows": rows,
        "manage": manage, "free": free})


@login_required
@require_POST
def block(request: AuthenticatedHttpRequest, slot_id: int) -> HttpResponse:
    slot = _slot_or_404(request.user, slot_id)
    back = reverse("meetings:schedule", args=[slot.round_id]) + f"?teacher={slot.teacher_id}"
    try:
        if request.POST.get("unblock"):
            slots.unblock(request.user, slot)
        else:
            slots.block(request.user, slot)
    except ValidationError as exc:
        return cards.answer(request, back=back, error=_sentence(exc))
    return cards.answer(request, back=back, done=_("Saved."))


@login_required
@require_POST
def move(request: AuthenticatedHttpRequest, booking_id: int) -> HttpResponse:
    booking = _booking_or_404(request.user, booking_id)
    if not can(request.user, "meetings.manage_slot", booking.slot):
        raise Http404
    back = reverse("meetings:schedule", args=[booking.round_id]) + f"?teacher={booking.teacher_id}"
    form = MoveForm(request.POST)
    to = (MeetingSlot.objects.filter(pk=form.cleaned_data["to"]).select_related("round").first()
          if form.is_valid() else None)
    if to is None:
        return cards.answer(request, back=back, error=_("Choose a time."))
    try:
        slots.move(request.user, booking, to)
    except (ValidationError, PermissionDenied) as exc:
        return cards.answer(request, back=back, error=_sentence(exc))
    return cards.answer(request, back=back, done=_("The meeting is moved; the family is told."))


@login_required
@require_http_methods(["GET", "POST"])
def feed_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not can(user, "meetings.calendar_feed", user):
        raise Http404
    address = ""
    if request.method == "POST":
        token = feeds.renew_feed(user)
        address = request.build_absolute_uri(reverse("meetings:feed", args=[token]))
    return render(request, "meetings/feed.html", {
        "address": address, "has_feed": hasattr(user, "meeting_feed")})


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """A teacher's private calendar: the secret in the address is the only key."""
    owner = feeds.feed_owner(token)
    if owner is None:
        raise Http404
    now = timezone.now()
    items = queries.between(owner, now - timedelta(days=31), now + timedelta(days=366))
    response = HttpResponse(calendar.ics(items, name=_("Parents' evenings")),
                            content_type=calendar.CONTENT_TYPE)
    response["Cache-Control"] = "private, no-store"
    return response
