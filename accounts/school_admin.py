"""The school admin area: people, classes, invitations, roster import, leavers and policies
(the groups pages are messaging's, :mod:`messaging.school_groups`). Each view parses its
form, calls one action (``accounts.actions``) and renders; the action archives the change as
``admin.<verb>`` and decides what follows from it.

Only admins of the school reach these pages; anyone else (other roles, admins of another
school) gets 404, as for anything they are not part of.

Separation of duties: the DPO and the safeguarding lead are listed but not managed here (their
pages and every change to them answer 404, their roles are not on offer); the operator manages
them with ``manage.py operator_account``. No page here shows what anyone wrote.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import dashboard, ratelimit
from accounts.access import can
from accounts.actions.classes import create_class
from accounts.actions.enrolment import assign_staff, enrol, set_guardianship, unassign_staff
from accounts.actions.invitations import (
    awaiting_invitation,
    create_and_email_invitation,
    email_invitations,
    invite_new_account,
    invite_pupil,
    issue_letters,
    letter_recipients,
    parents_without_email,
    reissue_link,
    revoke_invitation,
)
from accounts.actions.leavers import process_due_leavers, pupil_leaves, schedule_leaver
from accounts.actions.people import change_person
from accounts.actions.policies import change_policies
from accounts.actions.roster_imports import (
    ImportRefused,
    retry_roster_import,
    running_import,
    start_roster_import,
)
from accounts.actions.twofactor import reset_second_factor
from accounts.forms import (
    AccountForm,
    ClassForm,
    GuardianshipForm,
    LeaveForm,
    MoveForm,
    PersonForm,
    PolicyForm,
    RosterForm,
    StaffAssignmentForm,
)
from accounts.http import AuthenticatedHttpRequest
from accounts.models import (
    Enrolment,
    Guardianship,
    Invitation,
    Pupil,
    Role,
    RosterImport,
    School,
    SchoolClass,
    User,
)
from accounts.oneroster import is_zip
from accounts.oneroster_import import import_oneroster
from accounts.roster import RosterRejected, decode, import_roster, template_csv
from accounts.rules import manageable_people
from accounts.twofactor import qr_svg

View = Callable[..., HttpResponse]
ROSTER_SESSION = "accounts_roster_preview"


def school_admin(view: View) -> View:
    """Resolve the admin's school or 404; the view receives it as ``school``."""

    @login_required
    @wraps(view)
    def wrapper(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        school = request.user.school
        if school is None or not can(request.user, "school.manage", school):
            raise Http404
        return view(request, school, *args, **kwargs)

    return wrapper


def _person_or_404(request: AuthenticatedHttpRequest, school: School, user_id: int,
                   **filters: Any) -> User:
    """A person of the school this admin may manage; the DPO and the safeguarding lead are
    the operator's (404, as for someone who is not there)."""
    target = get_object_or_404(User, pk=user_id, school=school, **filters)
    if not can(request.user, "person.manage", target):
        raise Http404
    return target


def _link(request: AuthenticatedHttpRequest, token: str) -> str:
    return request.build_absolute_uri(f"/invite/{token}/")


@school_admin
def home(request: AuthenticatedHttpRequest, school: School) -> HttpResponse:
    """The overview a head teacher reads: the panels the apps registered
    (:mod:`accounts.dashboard`; the latest changes come from the records office)."""
    if not can(request.user, "school.dashboard", school):
        raise Http404
    return render(request, "accounts/school/home.html", {
        "school": school, "panels": dashboard.panels(school, request.user)})


@school_admin
@require_http_methods(["GET", "POST"])
def people(request: AuthenticatedHttpRequest, school: School) -> HttpResponse:
    form = AccountForm(request.POST or None)
    link = None
    emailed: User | None = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ratelimit.check("invitation", request.user)
        except ratelimit.RateLimited as exc:
            return ratelimit.refused_page(request, exc, request.path)
        details = {name: data[name] for name in ("username", "display_name", "role", "email",
                                                  "phone")}
        if data["send_invitation"]:
            emailed = create_and_email_invitation(
                school, actor=request.user, link_for=lambda token: _link(request, token),
                **details)
        else:
            _person, token = invite_new_account(school, actor=request.user, **details)
            link = _link(request, token)
        form = AccountForm()
    role = request.GET.get("role", "")
    everyone = User.objects.filter(school=school).order_by("display_name", "username")
    if role in Role.values:
        everyone = everyone.filter(role=role)
    return render(request, "accounts/school/people.html", {
        "school": school, "form": form, "people": everyone, "link": link, "emailed": emailed,
        "roles": Role.choices, "role": role,
        "manageable": set(manageable_people(request.user).values_list("pk", flat=True)),
    })


@school_admin
@require_http_methods(["GET", "POST"])
def person(request: AuthenticatedHttpRequest, school: School, user_id: int) -> HttpResponse:
    target = _person_or_404(request, school, user_id)
    form = PersonForm(request.POST or None, instance=target)
    if request.method == "POST" and form.is_valid():
        change_person(target, {name: form.cleaned_data[name] for name in form.changed_data},
                      actor=request.user)
        messages.success(request, _("Saved."))
        return redirect("accounts:school_person", user_id=target.pk)
    return render(request, "accounts/school/person.html", {
        "school": school, "person": target, "form": form, "leave_form": LeaveForm(),
        "invitations": target.invitations.order_by("-created_at")[:10],
        "guardianships": target.guardianships.select_related("pupil"),
        "now": timezone.now(),
    })


@school_admin
@require_POST
def person_link(request: AuthenticatedHttpRequest, school: School, user_id: int) -> HttpResponse:
    """Issue an invitation (never-activated account) or a password reset link."""
    target = _person_or_404(request, school, user_id, left_at__isnull=True)
    try:
        ratelimit.check("invitation", request.user)
    except ratelimit.RateLimited as exc:
        return ratelimit.refused_page(request, exc, f"/school/people/{target.pk}/")
    _inv, token = reissue_link(target, actor=request.user)
    return render(request, "accounts/school/link.html",
                  {"school": school, "person": target, "link": _link(request, token)})


@school_admin
@require_POST
def person_leave(request: AuthenticatedHttpRequest, school: School, user_id: int) -> HttpResponse:
    target = _person_or_404(request, school, user_id, left_at__isnull=True)
    form = LeaveForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.non_field_errors())
                       or _("Check the date."))
        return redirect("accounts:school_person", user_id=target.pk)
    day: date = timezone.localdate() if form.cleaned_data["now"] else form.cleaned_data["leaves_on"]
    schedule_leaver(target, day, actor=request.user)
    messages.success(request, _("Leave date saved."))
    return redirect("accounts:school_person", user_id=target.pk)


@school_admin
@require_POST
def person_reset_2fa(request: AuthenticatedHttpRequest, school: School, user_id: int) -> HttpResponse:
    target = _person_or_404(request, school, user_id)
    reset_second_factor(target, actor=request.user)
    messages.success(request, _("Two-factor sign-in was reset; they set it up at the next login."))
    return redirect("accounts:school_person", user_id=target.pk)


@school_admin
@require_POST
def invitation_revoke(request: AuthenticatedHttpRequest, school: School, invitation_id: int) -> HttpResponse:
    found = get_object_or_404(Invitation, pk=invitation_id, user__school=school)
    _person_or_404(request, school, found.user_id)
    revoke_invitation(found, actor=request.user)
    messages.success(request, _("The link was withdrawn."))
    return redirect("accounts:school_invitations")


@school_admin
@require_http_methods(["GET", "POST"])
def invitations(request: AuthenticatedHttpRequest, school: School) -> HttpResponse:
    if request.method == "POST":
        sent = email_invitations(school, actor=request.user,
                                 link_for=lambda token: _link(request, token))
        messages.success(request, ngettext("%(count)d invitation sent by e-mail.",
                                           "%(count)d invitations sent by e-mail.", sent)
                         % {"count": sent})
        return redirect("accounts:school_invitations")
    unused = Invitation.objects.filter(
        user__school=school, used_at__isnull=True, revoked_at__isnull=True,
        user__in=manageable_people(request.user), user__left_at__isnull=True,
    ).select_related("user")
    now = timezone.now()
    return render(request, "accounts/school/invitations.html", {
        "school": school,
        "invitations": unused.filter(expires_at__gt=now).order_by("-created_at"),
        "expired": unused.filter(expires_at__lte=now).order_by("-expires_at"),
        "awaiting": awaiting_invitation(school).count(),
        "letters": letter_recipients(school).count(),
        "without_email": parents_without_email(school),
    })


@school_admin
@require_POST
def letters(request: AuthenticatedHttpRequest, school: School) -> HttpResponse:
    """Issue a letter's invitation, with its short code, to every family without an e-mail
    address (one action, one archive record) and show the letters to print, one per page."""
    if not can(request.user, "school.print_letters", school):
        raise Http404
    issued = issue_letters(school, actor=request.user,
                           link_for=lambda token: _link(request, token))
    pages = []
    for letter in issued:
        with translation.override(letter.language):
            pages.append({"letter": letter,
                          "qr": qr_svg(letter.link, _("QR code of your invitation link"))})
    return render(request, "accounts/school/letters.html", {
        "school": school, "pages": pages, "join_url": request.build_absolute_uri("/join/"),
        "without_email": parents_without_email(school) if not pages else None})


@school_admin
@require_http_methods(["GET", "POST"])
def classes(request: AuthenticatedHttpRequest, school: School) -> HttpResponse:
    form = ClassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = create_class(school, form.cleaned_data["name"], actor=request.user)
        except ValidationError as exc:
            form.add_error("name", exc)
        else:
            return redirect("accounts:school_class", class_id=created.pk)
    return render(request, "accounts/school/classes.html", {
        "school": school, "form": form,
        "classes": SchoolClass.objects.filter(school=school).order_by("name"),
    })


@school_admin
@require_http_methods(["GET", "POST"])
def school_class(request: AuthenticatedHttpRequest, school: School, class_id: int) -> HttpResponse:
    target = get_object_or_404(SchoolClass, pk=class_id, school=school)
    form = StaffAssignmentForm(request.POST or None, school=school)
    if request.method == "POST":
        remove = request.POST.get("remove")
        if remove:
            staff = get_object_or_404(User, pk=remove, school=school)
            unassign_staff(staff, target, actor=request.user)
            return redirect("accounts:school_class", class_id=target.pk)
        if form.is_valid():
            assign_staff(form.cleaned_data["user"], target, actor=request.user)
            return redirect("accounts:school_class", class_id=target.pk)
    pupils = Pupil.objects.filter(
        pk__in=Enrolment.objects.current().filter(school_class=target).values("pupil_id")
    ).order_by("last_name", "first_name")
    return render(request, "accounts/school/class.html", {
        "school": school, "school_class": target, "form": form, "pupils": pupils,
        "staff": target.staff.order_by("display_name"),
        # The class group messaging keeps for the class (its Conversation.school_class).
        "conversation": target.conversations.order_by("pk").first(),
    })


@school_admin
@require_http_methods(["GET", "POST"])
def roster(request: AuthenticatedHttpRequest, school: School) -> HttpResponse:
    """Upload, preview every change (a dry run), then confirm the very same file: the worker
    applies it (:mod:`accounts.actions.roster_imports`) and its page shows how far it is."""
    # Only an upload is a form to check: a confirmation answered with the page again (an
    # import already running) must not say the file field is empty.
    uploading = request.method == "POST" and "confirm" not in request.POST
    form = RosterForm(request.POST, request.FILES) if uploading else RosterForm()
    running = running_import(school)
    context: dict[str, Any] = {"school": school, "form": form, "running": running}
    if request.method == "POST" and running is not None:
        # A preview would wait for the running import's changes; a second import is refused.
        context["refused"] = _("A roster import is already running for this school. Wait "
                               "until it is done, then upload the file again.")
        return render(request, "accounts/school/roster.html", context, status=409)
    if request.method == "POST" and "confirm" in request.POST:
        stored = request.session.get(ROSTER_SESSION)
        if not stored or stored.get("sha256") != request.POST.get("confirm"):
            messages.error(request, _("Upload the file again: the preview has expired."))
            return redirect("accounts:school_roster")
        if stored.get("leavers") and not request.POST.get("leavers_confirmed"):
            return _oneroster_preview(request, school, base64.b64decode(stored["text"]),
                                      context, unconfirmed=True)
        try:
            job = start_roster_import(school, stored["text"], actor=request.user,
                                      encoding=stored.get("encoding", "utf-8"),
                                      kind=stored.get("kind", RosterImport.Kind.CSV))
        except ImportRefused as exc:
            context["refused"] = str(exc)
            return render(request, "accounts/school/roster.html", context, status=409)
        del request.session[ROSTER_SESSION]
        return redirect("accounts:school_roster_import", import_id=job.pk)
    if request.method == "POST" and form.is_valid():
        raw = form.cleaned_data["file"].read()
        if is_zip(raw):
            return _oneroster_preview(request, school, raw, context)
        text, encoding = decode(raw)
        try:
            report = import_roster(school, text, actor=request.user, dry_run=True,
                                   encoding=encoding)
        except RosterRejected as exc:
            context["errors"] = exc.errors
            return render(request, "accounts/school/roster.html", context, status=400)
        digest = hashlib.sha256(raw).hexdigest()
        request.session[ROSTER_SESSION] = {"sha256": digest, "text": text, "encoding": encoding}
        context.update(report=report, sha256=digest)
    else:
        context["latest"] = RosterImport.objects.filter(school=school).order_by("-pk").first()
    return render(request, "accounts/school/roster.html", context)


def _oneroster_preview(request: AuthenticatedHttpRequest, school: School, raw: bytes,
                       context: dict[str, Any], *, unconfirmed: bool = False) -> HttpResponse:
    """A OneRoster zip on the roster page: checked and previewed (a dry run) like the CSV;
    a bulk file's leavers are listed for the admin to confirm with the changes."""
    try:
        report = import_oneroster(school, raw, actor=request.user, dry_run=True)
    except RosterRejected as exc:
        context["errors"] = exc.errors
        return render(request, "accounts/school/roster.html", context, status=400)
    digest = hashlib.sha256(raw).hexdigest()
    request.session[ROSTER_SESSION] = {
        "sha256": digest, "text": base64.b64encode(raw).decode("ascii"),
        "kind": RosterImport.Kind.ONEROSTER, "leavers": len(report.leavers)}
    context.update(report=report, sha256=digest, oneroster=True)
    if unconfirmed:
        context["refused"] = _("Confirm the list of pupils who leave, then apply the changes.")
    return render(request, "accounts/school/roster.html", context, status=400 if unconfirmed else 200)
@school_admin
@require_GET
def roster_template(request: AuthenticatedHttpRequest, school: School) -> HttpResponse:
    """An empty roster file with the columns named in the school's language."""
    response = HttpResponse(template_csv(school.preferred_language),
                            content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="roster-template.csv"'
    return response


def _roster_import_or_404(request: AuthenticatedHttpRequest, import_id: int) -> RosterImport:
    job = RosterImport.objects.filter(pk=import_id).first()
    if job is None or not can(request.user, "roster_import.view", job):
        raise Http404
    return job


def roster_progress(job: RosterImport) -> str:
    """"312 of 4,000 lines", the numbers grouped as the reader's language groups them."""
    return ngettext("%(done)s of %(total)s line", "%(done)s of %(total)s lines",
                    job.lines_total) % {
        "done": number_format(job.lines_done, force_grouping=True),
        "total": number_format(job.lines_total, force_grouping=True)}


@school_admin
@require_http_methods(["GET", "POST"])
def roster_import(request: AuthenticatedHttpRequest, school: School,
                  import_id: int) -> HttpResponse:
    """An import's progress while the worker applies it, then what it did; a failed one can
    be tried again (POST)."""
    job = _roster_import_or_404(request, import_id)
    if request.method == "POST":
        try:
            again = retry_roster_import(job, actor=request.user)
        except ImportRefused as exc:
            messages.error(request, str(exc))
            return redirect("accounts:school_roster_import", import_id=job.pk)
        return redirect("accounts:school_roster_import", import_id=again.pk)
    return render(request, "accounts/school/roster_import.html", {
        "school": school, "job": job, "progress": roster_progress(job)})


@school_admin
@require_GET
def roster_import_status(request: AuthenticatedHttpRequest, school: School,
                         import_id: int) -> JsonResponse:
    """What the import's page polls: its state and progress, as numbers and as the sentence."""
    job = _roster_import_or_404(request, import_id)
    return JsonResponse({"state": job.state, "finished": not job.active,
                         "done": job.lines_done, "total": job.lines_total,
                         "text": roster_progress(job)})


@school_admin
@require_http_methods(["GET", "POST"])
def leavers(request: AuthenticatedHttpRequest, school: School) -> HttpResponse:
    if request.method == "POST":
        done = process_due_leavers(actor=request.user, school=school)
        messages.success(request, " ".join((
            ngettext("%(users)d account deactivated.", "%(users)d accounts deactivated.",
                     done["users"]) % done,
            ngettext("%(pupils)d pupil left.", "%(pupils)d pupils left.", done["pupils"]) % done)))
        return redirect("accounts:school_leavers")
    return render(request, "accounts/school/leavers.html", {
        "school": school,
        "scheduled": User.objects.filter(school=school, leaves_on__isnull=False,
                                         left_at__isnull=True).order_by("leaves_on"),
        "left": User.objects.filter(school=school, left_at__isnull=False).order_by("-left_at")[:50],
        "pupils": Pupil.objects.filter(school=school, left_on__isnull=False)
        .order_by("-left_on")[:50],
    })


@school_admin
@require_http_methods(["GET", "POST"])
def policies(request: AuthenticatedHttpRequest, school: School) -> HttpResponse:
    form = PolicyForm(request.POST or None, instance=school)
    if request.method == "POST" and form.is_valid():
        change_policies(school, form.changes(), actor=request.user)
        messages.success(request, _("Policies saved."))
        return redirect("accounts:school_policies")
    return render(request, "accounts/school/policies.html", {"school": school, "form": form})


@school_admin
@require_http_methods(["GET", "POST"])
def pupil(request: AuthenticatedHttpRequest, school: School, pupil_id: int) -> HttpResponse:
    """A pupil: guardians' responsibility and no-contact flags, class, leave date. Each change
    recomputes the class group through the actions."""
    target = get_object_or_404(Pupil, pk=pupil_id, school=school)
    move_form = MoveForm(school=school)
    if request.method == "POST":
        what = request.POST.get("change")
        if what == "guardianship":
            link = get_object_or_404(Guardianship, pk=request.POST.get("guardianship"),
                                     pupil=target)
            form = GuardianshipForm(request.POST)
            if form.is_valid():
                set_guardianship(link.guardian, target, actor=request.user,
                                 relationship=link.relationship, **form.cleaned_data)
        elif what == "move":
            move_form = MoveForm(request.POST, school=school)
            if move_form.is_valid():
                enrol(target, move_form.cleaned_data["school_class"], actor=request.user)
        elif what == "leave":
            leave = LeaveForm(request.POST)
            if leave.is_valid():
                day = (timezone.localdate() if leave.cleaned_data["now"]
                       else leave.cleaned_data["leaves_on"])
                pupil_leaves(target, actor=request.user, on=day)
        elif what == "account" and school.pupil_accounts and target.user is None:
            try:
                ratelimit.check("invitation", request.user)
            except ratelimit.RateLimited as exc:
                return ratelimit.refused_page(request, exc, request.path)
            account, token = invite_pupil(target, actor=request.user)
            return render(request, "accounts/school/link.html",
                          {"school": school, "person": account, "link": _link(request, token)})
        else:
            raise Http404
        return redirect("accounts:school_pupil", pupil_id=target.pk)
    enrolments = Enrolment.objects.current().filter(pupil=target).select_related("school_class")
    return render(request, "accounts/school/pupil.html", {
        "school": school, "pupil": target, "move_form": move_form, "leave_form": LeaveForm(),
        "classes": [e.school_class for e in enrolments],
        "guardianships": target.guardianships.select_related("guardian").order_by("pk"),
    })
