"""Activity pages: the list, announcing one, its page (the staff's live list of replies and
slips, or a family's own children), the trip list, the card's forms and the ``.ics``.

Parse, ask ``can``, call one action, render. An activity someone may not see is a 404.
"""

from __future__ import annotations

from django.contrib import messages as django_messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import can
from accounts.http import AuthenticatedHttpRequest
from accounts.models import Pupil
from activities import calendar, card, roll, texts
from activities.access import announceable_conversations, visible_activities
from activities.actions import create as create_actions
from activities.actions import reminders, replies, slips
from activities.forms import ActivityForm
from activities.models import Activity
from activities.routing import SOCKET_PATH
from consent.models import ConsentForm
from messaging import cards


def _sentence(exc: ValidationError | PermissionDenied) -> str:
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


def _visible_or_404(request: AuthenticatedHttpRequest, activity_id: int) -> Activity:
    activity = Activity.objects.select_related("slip").filter(pk=activity_id).first()
    if activity is None or not can(request.user, "activity.view", activity):
        raise Http404
    return activity


def _managed_or_404(request: AuthenticatedHttpRequest, activity_id: int) -> Activity:
    activity = _visible_or_404(request, activity_id)
    if not can(request.user, "activity.manage", activity):
        raise Http404
    return activity


@login_required
@require_GET
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    upcoming = (visible_activities(request.user).filter(ends_at__gte=timezone.now())
                .order_by("starts_at", "pk"))
    return render(request, "activities/index.html", {
        "activities": [(a, texts.when(a)) for a in upcoming],
        "may_create": bool(announceable_conversations(request.user))})


@login_required
@require_http_methods(["GET", "POST"])
def new(request: AuthenticatedHttpRequest) -> HttpResponse:
    places = announceable_conversations(request.user)
    if not places:
        raise Http404
    form = ActivityForm(request.POST or None, places=[(c, c.name) for c in places])
    if request.method == "POST" and form.is_valid():
        try:
            activity = create_actions.create_activity(request.user, form.chosen(), form.draft())
        except (ValidationError, PermissionDenied) as exc:
            for sentence in (exc.messages if isinstance(exc, ValidationError) else [str(exc)]):
                form.add_error(None, sentence)
        else:
            django_messages.success(request, _("The activity is announced."))
            return redirect("activities:detail", activity.pk)
    return render(request, "activities/new.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_GET
def detail(request: AuthenticatedHttpRequest, activity_id: int) -> HttpResponse:
    activity = _visible_or_404(request, activity_id)
    here = reverse("activities:detail", args=[activity.pk])
    return render(request, "activities/detail.html", {
        **card.context(activity, request.user, back=here), "socket_path": SOCKET_PATH})


@login_required
@require_GET
def listing(request: AuthenticatedHttpRequest, activity_id: int) -> HttpResponse:
    """The staff's list alone: what the page fetches again when the socket says it changed."""
    activity = _managed_or_404(request, activity_id)
    return render(request, "activities/_list.html", {
        "activity": activity, "overview": roll.overview(activity)})


@login_required
@require_GET
def trip(request: AuthenticatedHttpRequest, activity_id: int) -> HttpResponse:
    activity = _managed_or_404(request, activity_id)
    view = roll.overview(activity)
    return render(request, "activities/trip.html", {
        "activity": activity, "when": texts.when(activity), "going": view.going,
        "left_out": [r for r in view.rows if not r.may_go], "socket_path": SOCKET_PATH})


def _number(raw: str) -> int | None:
    """A row id from a form field; None for anything else (a database id fits 18 digits)."""
    return int(raw) if raw.isdigit() and len(raw) <= 18 else None


def _pupil(request: AuthenticatedHttpRequest, activity: Activity) -> Pupil | None:
    pk = _number(request.POST.get("pupil", ""))
    return Pupil.objects.filter(pk=pk, school_id=activity.school_id).first() if pk else None


@login_required
@require_POST
def reply(request: AuthenticatedHttpRequest, activity_id: int) -> HttpResponse:
    activity = _visible_or_404(request, activity_id)
    back = reverse("activities:detail", args=[activity.pk])
    if not can(request.user, "activity.reply", activity):
        return cards.answer(request, back=back, error=_("You cannot reply to this activity."))
    pupil = _pupil(request, activity)
    if pupil is None:
        return cards.answer(request, back=back, error=texts.not_a_child())
    try:
        replies.reply(request.user, activity, pupil, request.POST.get("answer", ""),
                      request.POST.get("note", ""))
    except (ValidationError, PermissionDenied) as exc:
        return cards.answer(request, back=back, error=_sentence(exc))
    return cards.answer(request, back=back, done=_("Your reply is saved."))


@login_required
@require_POST
def sign(request: AuthenticatedHttpRequest, activity_id: int) -> HttpResponse:
    activity = _visible_or_404(request, activity_id)
    back = reverse("activities:detail", args=[activity.pk])
    if activity.slip is None:
        raise Http404
    pupil = _pupil(request, activity)
    if pupil is None:
        return cards.answer(request, back=back, error=texts.not_a_child())
    form_pk = _number(request.POST.get("form", ""))
    form = ConsentForm.objects.filter(pk=form_pk, purpose=activity.slip).first() if (
        form_pk) else None
    try:
        if request.POST.get("decision") == "withdrawn":
            slips.withdraw(request.user, activity, pupil)
            done = _("The permission is withdrawn.")
        else:
            slips.sign(request.user, activity, pupil, form=form)
            done = _("The permission slip is signed.")
    except (ValidationError, PermissionDenied) as exc:
        return cards.answer(request, back=back, error=_sentence(exc))
    return cards.answer(request, back=back, done=done)


@login_required
@require_POST
def remind(request: AuthenticatedHttpRequest, activity_id: int) -> HttpResponse:
    activity = _managed_or_404(request, activity_id)
    link = request.build_absolute_uri(reverse("activities:detail", args=[activity.pk]))
    try:
        reminder = reminders.remind(request.user, activity, link=link)
    except (ValidationError, PermissionDenied) as exc:
        django_messages.error(request, _sentence(exc))
    else:
        django_messages.success(request, ngettext(
            "A reminder went to %(count)s parent.", "A reminder went to %(count)s parents.",
            reminder.recipients) % {"count": reminder.recipients})
    return redirect("activities:detail", activity.pk)


@login_required
@require_GET
def ics(request: AuthenticatedHttpRequest, activity_id: int) -> HttpResponse:
    activity = _visible_or_404(request, activity_id)
    response = HttpResponse(calendar.ics(activity, host=request.get_host()),
                            content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="activity-{activity.pk}.ics"'
    return response
