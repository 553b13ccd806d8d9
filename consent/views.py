"""Consent pages: parse, ask access, call one action, render. Outsiders get 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import Action, can
from accounts.http import AuthenticatedHttpRequest
from accounts.models import SchoolClass
from consent import actions, services
from consent.access import children_of, managed_classes
from consent.forms import DecisionForm, FormTextForm, PaperForm, RequestForm
from consent.models import ConsentPurpose

DONE = {
    "granted": gettext_lazy("You gave consent for “%(purpose)s” for %(pupil)s."),
    "refused": gettext_lazy("You refused “%(purpose)s” for %(pupil)s."),
    "withdrawn": gettext_lazy("You withdrew consent for “%(purpose)s” for %(pupil)s."),
}


def _class_or_404(request: AuthenticatedHttpRequest, class_id: int, action: Action) -> SchoolClass:
    school_class = SchoolClass.objects.filter(pk=class_id).first()
    if school_class is None or not can(request.user, action, school_class):
        raise Http404
    return school_class


@login_required
@require_GET
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A guardian's children with every purpose; for staff, links to their classes' coverage."""
    children = list(children_of(request.user))
    by_pupil = services.states(children, with_history=True) if children else {}
    context = {
        "children": [(pupil, by_pupil[pupil.pk]) for pupil in children],
        "classes": managed_classes(request.user),
    }
    return render(request, "consent/index.html", context)


@login_required
@require_POST
def decide(request: AuthenticatedHttpRequest, pupil_id: int, code: str) -> HttpResponse:
    pupil = children_of(request.user).filter(pk=pupil_id).first()
    if pupil is None:
        raise Http404
    purpose = get_object_or_404(ConsentPurpose, school_id=pupil.school_id, code=code)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please choose a decision."))
    else:
        decision = form.cleaned_data["decision"]
        try:
            actions.decide(request.user, pupil, purpose, decision,
                           form=form.cleaned_data["form"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, str(DONE[decision]) % {"purpose": _(purpose.name),
                                                        "pupil": pupil})
    return redirect(f"{reverse('consent:index')}#p{pupil.pk}-{purpose.code}")


@login_required
@require_GET
def coverage(request: AuthenticatedHttpRequest, class_id: int) -> HttpResponse:
    school_class = _class_or_404(request, class_id, "consent.view_coverage")
    context = {
        "school_class": school_class,
        "coverage": services.coverage(school_class),
        "request_form": RequestForm(school_class=school_class),
    }
    return render(request, "consent/coverage.html", context)


@login_required
@require_POST
def request_consent(request: AuthenticatedHttpRequest, class_id: int) -> HttpResponse:
    school_class = _class_or_404(request, class_id, "consent.request")
    form = RequestForm(request.POST, school_class=school_class)
    if form.is_valid():
        purpose = form.cleaned_data["purpose"]
        try:
            actions.request_consent(request.user, school_class, purpose)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The parents of %(class)s are asked about “%(purpose)s”.")
                             % {"class": school_class.name, "purpose": _(purpose.name)})
    else:
        messages.error(request, _("Please choose a purpose."))
    return redirect("consent:coverage", class_id=school_class.pk)


@login_required
@require_http_methods(["GET", "POST"])
def paper(request: AuthenticatedHttpRequest, class_id: int) -> HttpResponse:
    school_class = _class_or_404(request, class_id, "consent.view_coverage")
    form = PaperForm(request.POST or None, school_class=school_class)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        guardianship = data["guardianship"]
        try:
            actions.record_paper(request.user, guardianship.guardian, guardianship.pupil,
                                 data["purpose"], data["decision"], data["signed_on"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The paper form is on record."))
            return redirect("consent:coverage", class_id=school_class.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "consent/paper.html", {"school_class": school_class, "form": form},
                  status=status)


def _school_forms(request: AuthenticatedHttpRequest) -> list[ConsentPurpose]:
    school = request.user.school
    if school is None or not can(request.user, "consent.edit_forms", school):
        raise Http404
    return list(ConsentPurpose.objects.standing().filter(school=school).prefetch_related("forms")
                .order_by("position", "pk"))


@login_required
@require_GET
def forms_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The school's consent forms, each with its versions and a box for the next one."""
    purposes = _school_forms(request)
    rows = [(purpose, sorted(purpose.forms.all(), key=lambda f: -f.version),
             FormTextForm(prefix=purpose.code, initial={"text": _current_text(purpose)}))
            for purpose in purposes]
    return render(request, "consent/forms.html", {"rows": rows})


def _current_text(purpose: ConsentPurpose) -> str:
    current = purpose.current_form()
    return _(current.text) if current is not None else ""


@login_required
@require_POST
def publish(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """Publish the next version of one purpose's form; guardians are asked again."""
    purpose = next((p for p in _school_forms(request) if p.code == code), None)
    if purpose is None:
        raise Http404
    form = FormTextForm(request.POST, prefix=purpose.code)
    if form.is_valid():
        try:
            published = actions.publish_form(purpose, form.cleaned_data["text"],
                                             actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _(
                "Version %(version)s of “%(purpose)s” is published. Guardians are asked to "
                "decide on it.") % {"version": published.version, "purpose": _(purpose.name)})
    else:
        messages.error(request, _("Write the text parents are asked to agree to."))
    return redirect(reverse("consent:forms") + f"#purpose-{purpose.code}")
