"""The school admin's API tokens page: make a token (shown once), see when each was last
used, revoke one. The school's admins only; anyone else gets 404, as for the other admin pages.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import can
from accounts.http import AuthenticatedHttpRequest
from accounts.models import School
from accounts.school_admin import school_admin
from api.access import school_tokens
from api.actions import create_token, revoke_token
from api.forms import TokenForm


def _page(request: AuthenticatedHttpRequest, school: School, form: TokenForm,
          secret: str = "", status: int = 200) -> HttpResponse:
    tokens = (school_tokens(request.user, school)
              .select_related("acts_as", "created_by", "revoked_by").order_by("-created_at"))
    response = render(request, "api/tokens.html", {
        "school": school, "form": form, "secret": secret,
        "active": [t for t in tokens if t.active], "revoked": [t for t in tokens if not t.active]},
        status=status)
    # A page showing a new token is not kept by the browser or anything in between.
    response["Cache-Control"] = "no-store"
    return response


@school_admin
@require_http_methods(["GET", "POST"])
def tokens(request: AuthenticatedHttpRequest, school: School) -> HttpResponse:
    if not can(request.user, "api_token.manage", school):
        raise Http404
    form = TokenForm(request.POST or None, school=school)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            made = create_token(school, name=data["name"], scopes_wanted=data["scopes"],
                                acts_as=data["acts_as"], actor=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return _page(request, school, TokenForm(school=school), secret=made.secret)
    return _page(request, school, form, status=400 if form.errors else 200)


@school_admin
@require_POST
def revoke(request: AuthenticatedHttpRequest, school: School, token_id: int) -> HttpResponse:
    token = school_tokens(request.user, school).filter(pk=token_id).first()
    if token is None:
        raise Http404
    revoke_token(token, actor=request.user)
    messages.success(request, _("The token %(prefix)s… was revoked: it no longer works.")
                     % {"prefix": token.prefix})
    return redirect("api_tokens")
