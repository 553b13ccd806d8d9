"""HTTP views: parse, ask access, call one action, render."""

from __future__ import annotations

from datetime import timedelta
from itertools import groupby

from django.contrib import messages as django_messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import can
from accounts.http import AuthenticatedHttpRequest
from agenda import ical, sources
from agenda.actions import feeds
from agenda.actions import holidays as holiday_actions
from agenda.forms import HolidayForm
from agenda.models import FeedAddress, Holiday

# The page shows this far ahead; the feed a little back and a year ahead.
PAGE_DAYS = 62
FEED_BACK_DAYS = 31
FEED_AHEAD_DAYS = 366


@login_required
@require_GET
def calendar_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What concerns the person in the coming weeks, day by day."""
    if not can(request.user, "agenda.view"):
        raise Http404
    today = timezone.localdate()
    items = sources.items_for(request.user, today, today + timedelta(days=PAGE_DAYS))
    days = [(day, list(group)) for day, group in groupby(items, key=lambda i: max(i.first_day,
                                                                                   today))]
    address = FeedAddress.objects.filter(user=request.user).first()
    return render(request, "agenda/calendar.html", {"days": days, "today": today,
                                                    "address": address})


@login_required
@require_POST
def renew(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A new secret calendar address (the old one stops working), shown once."""
    if not can(request.user, "agenda.view"):
        raise Http404
    token = feeds.renew_feed(request.user)
    address = request.build_absolute_uri(f"/calendar/feed/{token}.ics")
    return render(request, "agenda/address.html", {"address": address})


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The person's calendar for calendar apps, at its secret address (no login: the address is
    the key). An address that was renewed, or of someone who left, is not found."""
    user = feeds.owner_of(token)
    if user is None:
        raise Http404
    today = timezone.localdate()
    items = sources.items_for(user, today - timedelta(days=FEED_BACK_DAYS),
                              today + timedelta(days=FEED_AHEAD_DAYS))
    body = ical.calendar(items, name=_("Schoolchat: %(name)s") % {"name": user.public_name},
                         host=request.get_host())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def school_holidays(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The admin's list of the school's holidays, with a form to add one."""
    school = request.user.school
    if school is None or not can(request.user, "agenda.holidays", school):
        raise Http404
    form = HolidayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            holiday_actions.add_holiday(request.user, school, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            django_messages.success(request, _("The holiday is on everyone's calendar."))
            return redirect("agenda:holidays")
    return render(request, "agenda/holidays.html", {
        "form": form, "holidays": Holiday.objects.filter(school=school)},
        status=400 if form.errors else 200)


@login_required
@require_POST
def remove_holiday(request: AuthenticatedHttpRequest, holiday_id: int) -> HttpResponse:
    school = request.user.school
    if school is None or not can(request.user, "agenda.holidays", school):
        raise Http404
    holiday = Holiday.objects.filter(pk=holiday_id, school=school).first()
    if holiday is None:
        raise Http404
    holiday_actions.remove_holiday(request.user, holiday)
    django_messages.success(request, _("The holiday is removed."))
    return redirect("agenda:holidays")
