"""DPO pages and the retention policy page: parse, ask access, call one function, render.

Every page answers 404 to anyone its rule does not allow, and every DPO request is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import ModelChoiceField
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import Action, can
from accounts.http import AuthenticatedHttpRequest
from accounts.models import Pupil, School, User
from archive import chain, retention, scopes, sections
from archive.models import AuditEntry, Chain, LegalHold, Record, SubjectAccessExport
from messaging.export import ConversationExport
from messaging.models import Sensitivity
from records import actions, erasure, lines, paperwork, releases
from records.forms import (
    ErasureForm,
    ExportForm,
    HoldForm,
    LiftForm,
    ReleaseForm,
    RetentionForm,
    ReviewForm,
    SearchForm,
)
from records.holds import freed_by_lifting, target_name
from records.models import ErasureRequest, SearchExport
from records.search import LIMIT, school_scopes, search

View = Callable[..., HttpResponseBase]
# Lines per page of an audit log.
PAGE_SIZE = 50


def allowed(action: Action) -> Callable[[View], View]:
    """Let the view run only when ``can(user, action, user's school)``; 404 otherwise."""

    def decorate(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = request.user
            if not can(user, action, user.school):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def _school(user: User) -> School:
    """The school an allowed user acts on: :func:`allowed` has refused anyone without one."""
    if user.school is None:
        raise Http404
    return user.school


def _audit(request: AuthenticatedHttpRequest, action: str, **details: Any) -> None:
    actions.audit(request.user, action, **details)


@allowed("archive.integrity")
@require_GET
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The DPO's own school's records and chains; other schools' are not theirs to count."""
    user = request.user
    _audit(request, "archive.viewed")
    latest_seal = Record.objects.filter(scope="seal").order_by("-position").first()
    scopes = school_scopes(_school(user))
    context = {
        "records": Record.objects.filter(scopes).count(),
        "chains": Chain.objects.filter(scopes).count(),
        "latest_seal": latest_seal,
    }
    return render(request, "records/home.html", context)


@allowed("archive.integrity")
@require_POST
def verify(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    report = chain.verify(scopes=school_scopes(_school(user)))
    _audit(request, "archive.verified", intact=report.intact, records=report.records)
    latest_seal = Record.objects.filter(scope="seal").order_by("-position").first()
    context = {"report": report, "records": report.records, "chains": report.chains,
               "latest_seal": latest_seal,
               "problem": str(report.problems[0]) if report.problems else ""}
    return render(request, "records/home.html", context)


@allowed("archive.search")
@require_GET
def search_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = SearchForm(request.GET or None, school=_school(user))
    results: list[Record] = []
    searched = form.is_bound and form.is_valid()
    if searched:
        data = form.cleaned_data
        results = list(search(_school(user), **data)[:LIMIT])
        _audit(request, "archive.searched",
               **{k: (getattr(v, "pk", None) or str(v)) for k, v in data.items() if v})
    # Each result names its conversation as the form's conversation choices name it.
    conversations = form.fields["conversation"].queryset.filter(  # type: ignore[attr-defined]
        pk__in={r.conversation_id for r in results})
    titles: dict[int | None, str] = {c.pk: c.name for c in conversations.select_related(
        "school_class")}
    # Sensitive messages: the DPO answers legal requests and sees their text, behind a tap
    # like everyone's page shows it (docs/policy.md).
    marked = ConversationExport().sensitivity({r.message_id for r in results if r.message_id})
    rows = [(line, Sensitivity(marked[r.message_id]).label if r.message_id in marked else "")
            for r, line in zip(results, lines.found_lines(results, titles), strict=True)]
    return render(request, "records/search.html", {"form": form, "results": results, "rows": rows,
                                                   "searched": searched, "limit": LIMIT})


@allowed("archive.search")
@require_POST
def search_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Start the export of a search (its criteria in the query string); the worker builds it
    and the exports page offers it once it is ready."""
    user = request.user
    form = SearchForm(request.GET, school=_school(user))
    if not form.is_valid():
        return render(request, "records/search.html",
                      {"form": form, "results": [], "searched": False, "limit": LIMIT},
                      status=400)
    actions.request_search_export(user, form.cleaned_data)
    messages.success(request, _("The search export has started."))
    return redirect("archive:exports")


@allowed("archive.search")
@require_GET
def search_download(request: AuthenticatedHttpRequest, export_id: int) -> HttpResponseBase:
    export = get_object_or_404(SearchExport, pk=export_id, school=_school(request.user))
    path = actions.search_export_path(export) if export.file_name else None
    if not export.is_downloadable() or path is None or not path.exists():
        raise Http404
    _audit(request, "search_export.downloaded", search_export=export.pk)
    return FileResponse(path.open("rb"), as_attachment=True,
                        filename=f"search-export-{export.pk}.zip")


@allowed("archive.export")
@require_http_methods(["GET", "POST"])
def exports(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = ExportForm(request.POST or None, school=_school(user))
    if request.method == "POST" and form.is_valid() and form.cleaned_data["pupil"]:
        # A pupil's export holds what was written about them: the DPO reviews it first.
        return redirect("archive:review", pupil_id=form.cleaned_data["pupil"].pk)
    if request.method == "POST" and form.is_valid():
        try:
            actions.request_export(user, user=form.cleaned_data["person"],
                                   pupil=form.cleaned_data["pupil"])
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The export has started."))
            return redirect("archive:exports")
    else:
        _audit(request, "exports.viewed")
    rows = list(SubjectAccessExport.objects.filter(school=_school(user))
                .select_related("subject_user", "subject_pupil", "requested_by")
                .order_by("-created_at")[:100])
    running = any(e.status in (SubjectAccessExport.Status.PENDING,
                               SubjectAccessExport.Status.RUNNING) for e in rows)
    searches = list(SearchExport.objects.filter(school=_school(user))
                    .order_by("-created_at")[:100])
    for search_export in searches:
        search_export.described = _criteria_text(search_export.criteria, _school(user))  # type: ignore[attr-defined]
    running = running or any(e.status in (SearchExport.Status.PENDING,
                                          SearchExport.Status.RUNNING) for e in searches)
    status = 400 if request.method == "POST" else 200
    return render(request, "records/exports.html",
                  {"form": form, "exports": rows, "now": timezone.now(), "running": running,
                   "searches": searches}, status=status)


@allowed("archive.export")
@require_http_methods(["GET", "POST"])
def review(request: AuthenticatedHttpRequest, pupil_id: int) -> HttpResponse:
    """What was written about a pupil, for the DPO to include or leave out before the
    pupil's export is made."""
    user = request.user
    pupil = get_object_or_404(Pupil, pk=pupil_id, school=_school(user))
    if not can(user, "archive.review_export", pupil):
        raise Http404
    found = sections.gather(pupil)
    form = ReviewForm(request.POST or None, keys=[c.key for _s, cs in found for c in cs])
    if request.method == "POST" and form.is_valid():
        try:
            actions.review_pupil_export(user, pupil, form.decisions())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The export has started."))
            return redirect("archive:exports")
    elif request.method == "GET":
        _audit(request, "export.review_viewed", pupil=pupil.pk)
    people = {u.pk: u.public_name for u in User.objects.filter(
        pk__in={c.actor_id for _s, cs in found for c in cs if c.actor_id})}
    groups = [(str(section.label()), [
        {"candidate": c, "by": people.get(c.actor_id or 0, ""),
         "decision": form[f"decision-{c.key}"], "reason": form[f"reason-{c.key}"],
         "sensitive": Sensitivity(c.facts["sensitive"]).label
         if c.facts.get("sensitive") else ""} for c in candidates])
        for section, candidates in found]
    status = 400 if request.method == "POST" else 200
    return render(request, "records/review.html",
                  {"pupil": pupil, "form": form, "groups": groups,
                   "found": sum(len(cs) for _s, cs in found)}, status=status)


def _criteria_text(criteria: dict[str, Any], school: School) -> str:
    """A search export's criteria as the search form names them ("Text: zoo; Pupil: …")."""
    form = SearchForm(school=school)
    parts = []
    for key, value in criteria.items():
        field = form.fields.get(key)
        if field is None or not value:
            continue
        shown = str(value)
        if isinstance(field, ModelChoiceField):
            found = field.queryset.filter(pk=value).first() if field.queryset is not None else None
            shown = field.label_from_instance(found) if found is not None else "\u2013"
        parts.append(f"{field.label}: {shown}")
    return "; ".join(parts) or _("everything")


@allowed("archive.export")
@require_GET
def download(request: AuthenticatedHttpRequest, export_id: int) -> HttpResponseBase:
    user = request.user
    export = get_object_or_404(SubjectAccessExport, pk=export_id, school=_school(user))
    path = actions.export_path(export) if export.file_name else None
    if not export.is_downloadable() or path is None or not path.exists():
        raise Http404
    _audit(request, "export.downloaded", export=export.pk)
    return FileResponse(path.open("rb"), as_attachment=True,
                        filename=f"subject-access-{export.pk}.zip")


@allowed("archive.release")
@require_POST
def release(request: AuthenticatedHttpRequest, record_id: int) -> HttpResponse:
    """Release a safeguarding record into a subject access export (from the oversight page)."""
    school = _school(request.user)
    record = get_object_or_404(Record.objects.filter(releases.withheld()), pk=record_id)
    if not releases.of_school(record, school):
        raise Http404
    form = ReleaseForm(request.POST)
    valid = form.is_valid()
    subject = form.subject_in(school) if valid else None
    back = redirect(f"{reverse('safeguarding:oversight')}?page={form.cleaned_data.get('page') or 1}"
                    if valid else reverse("safeguarding:oversight"))
    if subject is None:
        errors = [str(e) for field in form.errors.values() for e in field]
        messages.error(request, " ".join(errors) or _("Choose a person the record is about."))
        return back
    try:
        releases.release(request.user, record, subject, form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Released: it will be in the next subject access export "
                                    "of %(name)s, without who reported anything.") % {
            "name": subject.public_name if isinstance(subject, User) else str(subject)})
    return back


@allowed("archive.hold")
@require_http_methods(["GET", "POST"])
def holds(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = HoldForm(request.POST or None, school=_school(user))
    if request.method == "POST" and form.is_valid():
        try:
            actions.place_hold(user, form.target, form.cleaned_data["reason"])
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The legal hold is in place."))
            return redirect("archive:holds")
    else:
        _audit(request, "holds.viewed")
    rows = (LegalHold.objects.filter(school=_school(user))
            .select_related("user", "pupil", "conversation__school_class", "placed_by",
                            "lifted_by")
            .order_by("lifted_at", "-placed_at"))
    status = 400 if request.method == "POST" else 200
    return render(request, "records/holds.html",
                  {"form": form, "holds": rows}, status=status)


@allowed("archive.hold")
@require_http_methods(["GET", "POST"])
def lift(request: AuthenticatedHttpRequest, hold_id: int) -> HttpResponse:
    """Lifting a hold is confirmed on its own page: it names the hold, says what retention
    may purge again, and asks why."""
    user = request.user
    hold = get_object_or_404(LegalHold.objects.select_related(
        "user", "pupil", "conversation__school_class", "placed_by"), pk=hold_id,
        school=_school(user))
    if hold.lifted_at is not None:
        messages.info(request, _("This legal hold is already lifted."))
        return redirect("archive:holds")
    form = LiftForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.lift_hold(user, hold, form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The legal hold is lifted."))
            return redirect("archive:holds")
    status = 400 if request.method == "POST" else 200
    return render(request, "records/lift_hold.html",
                  {"hold": hold, "target": target_name(hold), "form": form,
                   "freed": freed_by_lifting(hold)},
                  status=status)


@allowed("archive.retention_report")
@require_GET
def retention_report(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    _audit(request, "retention.report_viewed")
    rows = retention.forecast(_school(user))
    return render(request, "records/retention_report.html", {"rows": rows})


@allowed("archive.audit_log")
@require_GET
def audit_log(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    _audit(request, "audit.viewed")
    entries = (AuditEntry.objects.filter(school=_school(user)).select_related("actor")
               .order_by("-at", "-pk"))
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "records/audit.html",
                  {"page": page, "lines": lines.audit_lines(list(page.object_list))})


@allowed("school.manage")
@require_GET
def school_audit(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The school admin's audit log: every change to the school's people, classes, groups,
    invitations, policies and retention, newest first, as sentences."""
    school = _school(request.user)
    records = (Record.objects.filter(scope__in=[scopes.school(school.pk),
                                                scopes.retention(school.pk)])
               .select_related("payload").order_by("-created_at", "-pk"))
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "records/school_audit.html",
                  {"school": school, "page": page,
                   "lines": lines.record_lines(list(page.object_list))})


@allowed("archive.retention_policy")
@require_http_methods(["GET", "POST"])
def retention_policy(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    current = retention.retention_days(_school(user))
    form = RetentionForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        actions.set_retention(user, _school(user), form.cleaned_data)
        messages.success(request, _("The retention policy is saved."))
        return redirect("archive:retention_policy")
    status = 400 if request.method == "POST" else 200
    return render(request, "records/retention_policy.html", {"form": form}, status=status)


@allowed("archive.erase")
@require_http_methods(["GET", "POST"])
def erasure_requests(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The erasure requests of the DPO's school, and the form to record a new one."""
    user = request.user
    school = _school(user)
    form = ErasureForm(request.POST or None, school=school, erased=erasure.erased_ids(),
                       erased_pupils=erasure.erased_pupil_ids())
    if request.method == "POST" and form.is_valid():
        try:
            made = erasure.record_request(user, form.subject, form.cleaned_data["note"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("archive:erasure_request", request_id=made.pk)
    else:
        _audit(request, "erasure.viewed")
    rows = (ErasureRequest.objects.filter(school=school)
            .select_related("person", "pupil", "requested_by")
            .order_by("-requested_at", "-pk")[:200])
    status = 400 if request.method == "POST" else 200
    return render(request, "records/erasure.html", {"form": form, "requests": rows},
                  status=status)


@allowed("archive.erase")
@require_GET
def erasure_request(request: AuthenticatedHttpRequest, request_id: int) -> HttpResponse:
    """One request: what erasing keeps under the records duty (and until when), the legal holds
    covering the person, and what it erases."""
    user = request.user
    found = get_object_or_404(
        ErasureRequest.objects.select_related("person", "pupil", "requested_by"),
        pk=request_id, school=_school(user))
    about = {"user": found.person_id} if found.person_id else {"pupil": found.pupil_id}
    _audit(request, "erasure.request_viewed", erasure=found.pk, **about)
    return render(request, "records/erasure_request.html",
                  {"erasure": found, "plan": erasure.plan_for(found)})


@allowed("archive.erase")
@require_POST
def erasure_confirm(request: AuthenticatedHttpRequest, request_id: int) -> HttpResponse:
    found = get_object_or_404(ErasureRequest, pk=request_id, school=_school(request.user))
    erasure.confirm(request.user, found)
    messages.success(request, _("The person is erased. What the school must keep now shows "
                                "their pseudonym."))
    return redirect("archive:erasure_request", request_id=found.pk)


@allowed("archive.erase")
@require_POST
def erasure_withdraw(request: AuthenticatedHttpRequest, request_id: int) -> HttpResponse:
    found = get_object_or_404(ErasureRequest, pk=request_id, school=_school(request.user))
    erasure.withdraw(request.user, found)
    messages.success(request, _("The request is withdrawn; nothing was erased."))
    return redirect("archive:erasure")


@allowed("archive.paperwork")
@require_GET
def paperwork_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The record-of-processing entry and a DPIA starting point, from this installation."""
    _audit(request, "paperwork.viewed")
    return render(request, "records/paperwork.html",
                  {"doc": paperwork.document(_school(request.user))})


@allowed("archive.paperwork")
@require_GET
def paperwork_download(request: AuthenticatedHttpRequest) -> HttpResponse:
    _audit(request, "paperwork.downloaded")
    text = paperwork.markdown(paperwork.document(_school(request.user)))
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="record-of-processing.md"'
    return response
