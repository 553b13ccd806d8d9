"""Absence pages: a family's report and their list, the school's day (live), acknowledging,
marking a pupil missing, the CSV export, the settings.

Parse, ask ``can``, call one action, render. A page someone may not open is a 404.
"""

from __future__ import annotations

from django.contrib import messages as django_messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from absence import actions, export, queries
from absence.access import reportable_children, visible_reports
from absence.forms import RangeForm, ReportForm, SettingsForm
from absence.models import AbsenceReport, ClassTeacher
from absence.routing import SOCKET_PATH
from accounts.access import can
from accounts.http import AuthenticatedHttpRequest
from accounts.models import Pupil, SchoolClass


def _errors(exc: ValidationError | PermissionDenied) -> str:
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


def _day_or_404(request: AuthenticatedHttpRequest) -> queries.Day:
    user = request.user
    if user.school is None or not can(user, "absence.list", user.school):
        raise Http404
    return queries.day_list(user, actions.school_today(user.school))


@login_required
@require_GET
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The school's day for staff who have it; a family's own absences for a guardian."""
    user = request.user
    if user.school is not None and can(user, "absence.list", user.school):
        return render(request, "absence/day.html", {
            "day": _day_or_404(request), "socket_path": SOCKET_PATH,
            "may_export": can(user, "absence.export", user.school)})
    children = reportable_children(user)
    if user.school is None or not children.exists():
        raise Http404
    today = actions.school_today(user.school)
    return render(request, "absence/family.html", {
        "reports": queries.family_reports(user, today), "children": children})


@login_required
@require_GET
def items(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The day's list alone: what the page fetches when its socket says something changed."""
    return render(request, "absence/_items.html", {"day": _day_or_404(request)})


@login_required
@require_http_methods(["GET", "POST"])
def report(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    children = reportable_children(user)
    if user.school is None or not children.exists():
        raise Http404
    today = actions.school_today(user.school)
    form = ReportForm(request.POST or None, children=children, today=today)
    if request.method == "GET":
        chosen = request.GET.get("pupil", "")
        only = list(children[:2])
        picked = [p.pk for p in only] if len(only) == 1 else (
            [int(chosen)] if chosen.isdigit() and children.filter(pk=int(chosen)).exists()
            else [])
        form.fields["children"].initial = picked
    elif form.is_valid():
        data = form.cleaned_data
        try:
            made = actions.report_absence(user, data["children"], actions.Absence(
                starts_on=data["starts_on"], ends_on=data["ends_on"],
                category=data["category"], note=data["note"].strip(),
                from_time=data["from_time"], until_time=data["until_time"]))
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, _errors(exc))
        else:
            names = ", ".join(r.pupil.first_name for r in made)
            django_messages.success(request, ngettext(
                "Thank you. The school knows that %(names)s is absent.",
                "Thank you. The school knows that %(names)s are absent.",
                len(made)) % {"names": names})
            return redirect("absence:home")
    status = 400 if request.method == "POST" else 200
    return render(request, "absence/report.html", {"form": form}, status=status)


def _report_or_404(request: AuthenticatedHttpRequest, pk: int) -> AbsenceReport:
    found = visible_reports(request.user).filter(pk=pk).select_related("pupil").first()
    if found is None:
        raise Http404
    return found


@login_required
@require_POST
def acknowledge(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = _report_or_404(request, pk)
    if not can(request.user, "absence.acknowledge", found):
        raise Http404
    try:
        actions.acknowledge(request.user, found)
    except ValidationError as exc:
        django_messages.error(request, _errors(exc))
    return redirect("absence:home")


@login_required
@require_POST
def mark_missing(request: AuthenticatedHttpRequest, pupil_id: int) -> HttpResponse:
    pupil = Pupil.objects.filter(pk=pupil_id).select_related("school").first()
    if pupil is None or not can(request.user, "absence.mark_missing", pupil):
        raise Http404
    try:
        actions.mark_missing(request.user, pupil)
    except ValidationError as exc:
        django_messages.error(request, _errors(exc))
    else:
        django_messages.success(request, _(
            "%(name)s is marked absent. The family is asked whether %(name)s is with them.")
            % {"name": pupil.first_name})
    return redirect("absence:home")


@login_required
@require_GET
def export_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if user.school is None or not can(user, "absence.export", user.school):
        raise Http404
    today = actions.school_today(user.school)
    if "first" not in request.GET:
        form = RangeForm(initial={"first": today, "last": today})
        return render(request, "absence/export.html", {"form": form})
    form = RangeForm(request.GET)
    if form.is_valid():
        first, last = form.cleaned_data["first"], form.cleaned_data["last"]
        try:
            text = export.as_csv(user, first, last)
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            response = HttpResponse(text, content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = (
                f'attachment; filename="{export.filename(first, last)}"')
            return response
    return render(request, "absence/export.html", {"form": form}, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    school = user.school
    if school is None or not can(user, "absence.settings", school):
        raise Http404
    classes = list(SchoolClass.objects.filter(school=school).order_by("name"))
    current = dict(ClassTeacher.objects.filter(school_class__in=classes)
                   .values_list("school_class_id", "user_id"))
    form = SettingsForm(request.POST or None, classes=classes, current=current,
                        initial={"cutoff": actions.cutoff_of(school)})
    if request.method == "POST" and form.is_valid():
        try:
            actions.change_settings(user, school, cutoff=form.cleaned_data["cutoff"],
                                    class_teachers=form.class_teachers())
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, _errors(exc))
        else:
            django_messages.success(request, _("The absence settings are saved."))
            return redirect("absence:settings")
    status = 400 if request.method == "POST" else 200
    return render(request, "absence/settings.html", {"form": form}, status=status)
