"""Safeguarding pages: report (anyone), the lead's queue and decisions, the DPO's oversight.

Parse, ask ``can``, call one action, render. A page someone may not open is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages as django_messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import can
from accounts.http import AuthenticatedHttpRequest
from accounts.models import Pupil, School, User
from messaging.access import readable_message_or_none
from messaging.models import Message, Restriction
from safeguarding import actions, queue, screen
from safeguarding.forms import (
    CaseNoteForm,
    DismissForm,
    LookForm,
    NotifyForm,
    PatternForm,
    ReasonForm,
    ReportForm,
    RestrictForm,
    SettingsForm,
    TryForm,
)
from safeguarding.models import CaseNote, Flag, Pattern, Report, SafeguardingSettings
from safeguarding.routing import SOCKET_PATH

OVERSIGHT_PAGE_SIZE = 50


def _errors(exc: ValidationError | PermissionDenied) -> str:
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


# --- reporting (any member) -------------------------------------------------------------------

def _report(request: AuthenticatedHttpRequest, submit: Callable[..., object],
            context: dict[str, Any]) -> HttpResponse:
    """The report form for a message or a person: ``submit(reporter, reason=, note=)``."""
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            submit(request.user, reason=form.cleaned_data["reason"],
                   note=form.cleaned_data["note"])
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, _errors(exc))
        else:
            django_messages.success(request, _("Thank you. The school's safeguarding lead will "
                                               "look at your report."))
            return redirect("safeguarding:my_reports")
    return render(request, "safeguarding/report.html", {"form": form, **context})


@login_required
@require_http_methods(["GET", "POST"])
def report_message(request: AuthenticatedHttpRequest, message_id: int) -> HttpResponse:
    message = readable_message_or_none(request.user, message_id)
    if message is None or not can(request.user, "message.report", message):
        raise Http404
    return _report(request, lambda user, **form: actions.report_message(user, message, **form),
                   {"message": message, "conversation": message.conversation})


@login_required
@require_http_methods(["GET", "POST"])
def report_person(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    person = User.objects.filter(pk=user_id).first()
    if person is None or not can(request.user, "person.report", person):
        raise Http404
    return _report(request, lambda user, **form: actions.report_person(user, person, **form),
                   {"person": person})


@login_required
@require_GET
def my_reports(request: AuthenticatedHttpRequest) -> HttpResponse:
    reports = (Report.objects.filter(reporter=request.user)
               .select_related("person", "message__conversation__school_class")
               .order_by("-created_at", "-pk"))
    return render(request, "safeguarding/my_reports.html", {"reports": reports})


# --- the lead's queue ---------------------------------------------------------------------------

def _lead_or_404(request: AuthenticatedHttpRequest) -> tuple[User, int]:
    """The lead asking, and their school's id."""
    user = request.user
    if user.school_id is None or not can(user, "safeguarding.review", user.school):
        raise Http404
    return user, user.school_id


def _item_or_404(request: AuthenticatedHttpRequest, kind: str, pk: int) -> Report | Flag:
    lead, school_id = _lead_or_404(request)
    model: type[Report] | type[Flag] = Report if kind == "report" else Flag
    item = (model.objects.filter(pk=pk, school_id=school_id)
            .select_related("message__conversation__school_class", "message__sender")
            .first())
    if item is None or not can(lead, "safeguarding.review", item):
        raise Http404
    return item


@login_required
@require_GET
def queue_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    _, school_id = _lead_or_404(request)
    return render(request, "safeguarding/queue.html", {
        "items": queue.open_items(school_id), "socket_path": SOCKET_PATH,
        "restrictions": queue.restrictions_in_force(school_id)})


@login_required
@require_GET
def queue_items(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The open items alone: what the queue page fetches when its socket says something
    changed."""
    _, school_id = _lead_or_404(request)
    return render(request, "safeguarding/_items.html", {"items": queue.open_items(school_id)})


def _item_page(request: AuthenticatedHttpRequest, item: Report | Flag, *,
               context_messages: list[Message] | None = None, look_form: LookForm | None = None,
               forms: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    lead = request.user
    message = item.message
    pupil = None
    person = item.person if isinstance(item, Report) else (message.sender if message else None)
    if person is not None:
        pupil = Pupil.objects.filter(user=person).first()
    needs_reason = message is not None and actions.needs_reason_to_look(lead, message)
    if message is not None and context_messages is None and not needs_reason:
        context_messages = actions.look(lead, item)
    given = forms or {}
    page = {
        "item": item, "kind": "report" if isinstance(item, Report) else "flag",
        "about": queue.about_message(item),
        "message": message, "person": person, "pupil": pupil,
        "context_messages": context_messages, "needs_reason": needs_reason,
        "look_form": look_form or LookForm(),
        "remove_form": given.get("remove") or ReasonForm(prefix="remove"),
        "reject_form": given.get("reject") or ReasonForm(prefix="reject"),
        "restrict_form": given.get("restrict") or RestrictForm(prefix="restrict"),
        "dismiss_form": given.get("dismiss") or DismissForm(prefix="dismiss"),
        "notify_form": given.get("notify") or NotifyForm(prefix="notify"),
        "may_restrict": person is not None and can(lead, "safeguarding.restrict", person),
    }
    return render(request, "safeguarding/item.html", page, status=status)


@login_required
@require_GET
def item_page(request: AuthenticatedHttpRequest, kind: str, pk: int) -> HttpResponse:
    return _item_page(request, _item_or_404(request, kind, pk))


@login_required
@require_POST
def look(request: AuthenticatedHttpRequest, kind: str, pk: int) -> HttpResponse:
    """Show the conversation around the message, once the lead has said why (on record)."""
    item = _item_or_404(request, kind, pk)
    form = LookForm(request.POST)
    if not form.is_valid() or item.message is None:
        return _item_page(request, item, look_form=form, status=400)
    try:
        around = actions.look(request.user, item, reason=form.cleaned_data["reason"])
    except (ValidationError, PermissionDenied) as exc:
        form.add_error(None, _errors(exc))
        return _item_page(request, item, look_form=form, status=400)
    return _item_page(request, item, context_messages=around)


DECISIONS = ("dismiss", "remove", "restrict", "release", "reject", "notify")


@login_required
@require_POST
def decide(request: AuthenticatedHttpRequest, kind: str, pk: int, verb: str) -> HttpResponse:
    item = _item_or_404(request, kind, pk)
    if verb not in DECISIONS:
        raise Http404
    lead = request.user
    form: Any = None
    try:
        if verb == "release":
            actions.release(lead, item)
            done = _("The message is published.")
        elif verb == "dismiss":
            form = DismissForm(request.POST, prefix="dismiss")
            if form.is_valid():
                actions.dismiss(lead, item, reason=form.cleaned_data["reason"])
            done = _("Dismissed.")
        elif verb == "remove":
            form = ReasonForm(request.POST, prefix="remove")
            if form.is_valid():
                actions.remove(lead, item, reason=form.cleaned_data["reason"])
            done = _("The message is removed.")
        elif verb == "reject":
            form = ReasonForm(request.POST, prefix="reject")
            if form.is_valid():
                actions.reject(lead, item, reason=form.cleaned_data["reason"])
            done = _("The message will not be published.")
        elif verb == "restrict":
            form = RestrictForm(request.POST, prefix="restrict",
                                time_zone=lead.school.time_zone if lead.school else "UTC")
            if form.is_valid():
                actions.restrict(lead, item, until=form.cleaned_data["ends"],
                                 reason=form.cleaned_data["reason"])
            done = _("The restriction is in force.")
        else:
            form = NotifyForm(request.POST, prefix="notify")
            if form.is_valid():
                actions.notify_dpo(lead, item, note=form.cleaned_data["reason"])
            done = _("The data-protection officer can see it on their oversight page.")
    except (ValidationError, PermissionDenied) as exc:
        if form is None:
            django_messages.error(request, _errors(exc))
            return redirect("safeguarding:item", kind=kind, pk=pk)
        form.add_error(None, _errors(exc))
    if form is not None and not form.is_valid():
        return _item_page(request, item, forms={verb: form}, status=400)
    django_messages.success(request, done)
    if verb in ("notify", "restrict"):
        # The item stays open after a restriction: the message may still need removing.
        return redirect("safeguarding:item", kind=kind, pk=pk)
    return redirect("safeguarding:queue")


@login_required
@require_POST
def lift(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    lead, school_id = _lead_or_404(request)
    restriction = (Restriction.objects.filter(pk=pk, school_id=school_id)
                   .select_related("user").first())
    if restriction is None or not can(lead, "safeguarding.restrict", restriction.user):
        raise Http404
    actions.lift(lead, restriction)
    django_messages.success(request, _("The restriction is lifted."))
    return redirect("safeguarding:queue")


@login_required
@require_http_methods(["GET", "POST"])
def case_notes(request: AuthenticatedHttpRequest, pupil_id: int) -> HttpResponse:
    lead, school_id = _lead_or_404(request)
    pupil = Pupil.objects.filter(pk=pupil_id, school_id=school_id).first()
    if pupil is None or not can(lead, "safeguarding.case_note", pupil):
        raise Http404
    form = CaseNoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.add_case_note(lead, pupil, text=form.cleaned_data["text"])
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, _errors(exc))
        else:
            django_messages.success(request, _("The note is saved."))
            return redirect("safeguarding:case_notes", pupil_id=pupil.pk)
    notes = CaseNote.objects.filter(pupil=pupil).select_related("author")
    return render(request, "safeguarding/case_notes.html",
                  {"pupil": pupil, "notes": notes, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    lead, school_id = _lead_or_404(request)
    school = lead.school
    if school is None or not can(lead, "safeguarding.settings", school):
        raise Http404
    current = SafeguardingSettings.objects.filter(school_id=school_id).first()
    initial = {"hold_pupil_messages": bool(current and current.hold_pupil_messages),
               "allowed_url_hosts": "\n".join(current.hosts()) if current else ""}
    form = SettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        actions.change_settings(lead, school,
                                hold_pupil_messages=form.cleaned_data["hold_pupil_messages"],
                                allowed_url_hosts=form.cleaned_data["allowed_url_hosts"])
        django_messages.success(request, _("The settings are saved."))
        return redirect("safeguarding:settings")
    return render(request, "safeguarding/settings.html", {"form": form})


# --- the school's patterns ---------------------------------------------------------------------

def _settings_lead_or_404(request: AuthenticatedHttpRequest) -> tuple[User, School]:
    lead, _ = _lead_or_404(request)
    school = lead.school
    if school is None or not can(lead, "safeguarding.settings", school):
        raise Http404
    return lead, school


def _grouped(school: School) -> list[dict[str, Any]]:
    """The school's patterns by language, then category, in the order of their choices."""
    rows = list(Pattern.objects.filter(school=school).order_by("pk"))
    categories = dict(Flag.Category.choices)
    groups = []
    for language, language_name in queue.LANGUAGE_NAMES.items():
        mine = [p for p in rows if p.language == language]
        if not mine:
            continue
        groups.append({"language": language_name, "categories": [
            {"name": name, "patterns": [
                {"pattern": p, "default": actions.is_default(p),
                 "label": queue.pattern_label(p.kind, p.text),
                 # Stored before the screen ran on the linear-time engine: skipped, and why.
                 "not_running": (screen.engine_refusal(p.kind, p.text)
                                 if screen.not_running(p.kind, p.text) else None)}
                for p in mine if p.category == category]}
            for category, name in categories.items()
            if any(p.category == category for p in mine)]})
    return groups


def _patterns_page(request: AuthenticatedHttpRequest, school: School, *,
                   form: PatternForm | None = None, try_form: TryForm | None = None,
                   tried: list[dict[str, Any]] | None = None, status: int = 200) -> HttpResponse:
    return render(request, "safeguarding/patterns.html", {
        "groups": _grouped(school), "form": form or PatternForm(prefix="add"),
        "try_form": try_form or TryForm(prefix="try"), "tried": tried}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def patterns_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The school's list, the form to add to it and the "try it" box."""
    lead, school = _settings_lead_or_404(request)
    if request.method == "GET":
        return _patterns_page(request, school)
    form = PatternForm(request.POST, prefix="add")
    if form.is_valid():
        try:
            actions.add_pattern(lead, school, language=form.cleaned_data["language"],
                                category=form.cleaned_data["category"],
                                kind=form.cleaned_data["kind"], text=form.cleaned_data["text"])
        except (ValidationError, PermissionDenied) as exc:
            form.add_error("text", _errors(exc))
        else:
            django_messages.success(request, _("The pattern is added. It applies from the "
                                               "next message on."))
            return redirect("safeguarding:patterns")
    return _patterns_page(request, school, form=form, status=400)


@login_required
@require_POST
def patterns_try(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Which of the school's switched-on patterns a sample sentence matches (as in a group,
    where personal data counts too). Nothing is stored."""
    _, school = _settings_lead_or_404(request)
    form = TryForm(request.POST, prefix="try")
    if not form.is_valid():
        return _patterns_page(request, school, try_form=form, status=400)
    current = SafeguardingSettings.objects.filter(school=school).first()
    found = screen.all_matches(form.cleaned_data["sample"], screen.rules_of(school.pk),
                               hosts=current.hosts() if current else ())
    patterns = Pattern.objects.in_bulk([rule.pattern_id for rule, _ in found])
    categories = dict(Flag.Category.choices)
    tried = [{"label": queue.pattern_label(rule.kind, rule.text), "matched": matched,
              "category": categories.get(rule.category, ""),
              "language": queue.LANGUAGE_NAMES.get(patterns[rule.pattern_id].language, "")}
             for rule, matched in found if rule.pattern_id in patterns]
    return _patterns_page(request, school, try_form=form, tried=tried)


def _pattern_or_404(request: AuthenticatedHttpRequest, pk: int) -> tuple[User, Pattern]:
    lead, school = _settings_lead_or_404(request)
    pattern = Pattern.objects.filter(pk=pk, school=school).select_related("school").first()
    if pattern is None:
        raise Http404
    return lead, pattern


@login_required
@require_POST
def pattern_switch(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    lead, pattern = _pattern_or_404(request, pk)
    on = request.POST.get("active") == "on"
    actions.switch_pattern(lead, pattern, active=on)
    what = {"what": queue.pattern_label(pattern.kind, pattern.text)}
    django_messages.success(request, (_("Switched on: %(what)s.") if on
                                      else _("Switched off: %(what)s.")) % what)
    return redirect("safeguarding:patterns")


@login_required
@require_POST
def pattern_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    lead, pattern = _pattern_or_404(request, pk)
    try:
        actions.delete_pattern(lead, pattern)
    except (ValidationError, PermissionDenied) as exc:
        django_messages.error(request, _errors(exc))
    else:
        django_messages.success(request, _("Deleted: %(what)s.") % {
            "what": queue.pattern_label(pattern.kind, pattern.text)})
    return redirect("safeguarding:patterns")


# --- the DPO's oversight ------------------------------------------------------------------------

@login_required
@require_GET
def oversight(request: AuthenticatedHttpRequest) -> HttpResponse:
    dpo = request.user
    if dpo.school is None or not can(dpo, "safeguarding.oversight", dpo.school):
        raise Http404
    actions.audit_oversight(dpo)
    pages: Paginator[queue.Line] = Paginator(queue.oversight_lines(dpo.school),
                                             OVERSIGHT_PAGE_SIZE)
    page = pages.get_page(request.GET.get("page"))
    return render(request, "safeguarding/oversight.html", {"page": page})
