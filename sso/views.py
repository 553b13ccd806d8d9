"""Sign in with the school's account (start, the provider's answer, the list of schools) and
the school admin's set-up page.

Parse, ask, call one action, render. A refusal is one sentence on its own page (never a 500),
with the way back to the login form.
"""

from __future__ import annotations

import logging

from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import ratelimit, twofactor
from accounts import signin as password_signin
from accounts.access import can
from accounts.http import AuthenticatedHttpRequest
from accounts.landing import landing_url
from accounts.models import School, User
from sso import actions, flow, refusals, signin
from sso.backends import PATH as BACKEND
from sso.context import COOKIE
from sso.forms import ProviderForm
from sso.models import SsoProvider
from sso.refusals import Refused

log = logging.getLogger(__name__)

# Where the person wanted to go, kept from the start to the provider's answer.
NEXT = "sso_next"
COOKIE_AGE = 365 * 24 * 3600
# HTTP status of each refusal: the person's own account refused (403), the provider's answer
# unusable (400), the provider unreachable (502).
STATUS = {"no_account": 403, "ambiguous": 403, "not_staff": 403, "closed": 403,
          "not_activated": 403, "off": 404,
          "unreachable": 502, "secret": 503}


def _provider_or_404(slug: str) -> SsoProvider:
    provider = (SsoProvider.objects.select_related("school")
                .filter(school__slug=slug, enabled=True).first())
    if provider is None:
        raise Http404
    return provider


def _refused(request: HttpRequest, provider: SsoProvider, refusal: Refused) -> HttpResponse:
    log.info("single sign-on of school %s refused: %s %s", provider.school_id, refusal.code,
             refusal.detail)
    if refusal.subject:
        actions.record_refusal(provider, refusal.code, user=refusal.user,
                               subject=refusal.subject,
                               address=password_signin.client_ip(request))
    text = refusals.sentence(refusal.code, school=provider.school.name, provider=provider.name)
    return render(request, "sso/refused.html", {"sentence": text, "provider": provider},
                  status=STATUS.get(refusal.code, 400))


@require_GET
def choose(request: HttpRequest) -> HttpResponse:
    """The schools whose staff may sign in with their school's account."""
    offered = (SsoProvider.objects.filter(enabled=True).select_related("school")
               .order_by("school__name"))
    return render(request, "sso/choose.html",
                  {"providers": offered, "next": request.GET.get("next", "")})


@require_GET
def start(request: HttpRequest, slug: str) -> HttpResponse:
    provider = _provider_or_404(slug)
    try:
        ratelimit.check_address("sso_sign_in", password_signin.client_ip(request))
    except ratelimit.RateLimited as exc:
        return ratelimit.refused_page(request, exc, reverse("login"))
    redirect_uri = request.build_absolute_uri(reverse("sso:callback", args=[slug]))
    try:
        response = flow.authorization_redirect(request, provider, redirect_uri)
    except Refused as refusal:
        return _refused(request, provider, refusal)
    request.session[NEXT] = request.GET.get("next", "")
    # The login page offers this school's provider first from now on.
    response.set_cookie(COOKIE, slug, max_age=COOKIE_AGE, httponly=True, samesite="Lax",
                        secure=settings.SESSION_COOKIE_SECURE)
    return response


def _next_url(request: HttpRequest, user: User) -> str:
    wanted = request.session.pop(NEXT, "")
    if isinstance(wanted, str) and wanted and url_has_allowed_host_and_scheme(
            wanted, {request.get_host()}, require_https=request.is_secure()):
        return wanted
    return landing_url(user)


@require_GET
def callback(request: HttpRequest, slug: str) -> HttpResponse:
    """The provider's answer: verified, matched to an account, then signed in (or on to the
    Schoolchat code, as after a password)."""
    provider = _provider_or_404(slug)
    try:
        claims = flow.verified_claims(request, provider)
        user = signin.account_for(provider, claims)
    except Refused as refusal:
        return _refused(request, provider, refusal)
    if password_signin.is_locked_out(request, user.username):
        # Sign-in to this account is paused from this address (wrong passwords or codes).
        paused: HttpResponse = get_lockout_response(request, None, {"username": user.username})
        return paused
    factor = signin.second_factor(provider, user, claims)
    actions.record_sign_in(provider, user, subject=str(claims.get("sub", "")),
                           address=password_signin.client_ip(request), second_factor=factor)
    next_url = _next_url(request, user)
    if factor == "schoolchat":
        user.backend = BACKEND
        twofactor.start_pending(request, user, next_url)
        return redirect("accounts:2fa_verify" if user.totp_confirmed_at
                        else "accounts:2fa_setup")
    auth_login(request, user, backend=BACKEND)
    if factor == "provider":
        request.session[twofactor.PASSED] = True
    return redirect(next_url)


# --- the school admin's page --------------------------------------------------------------

def _school_or_404(request: AuthenticatedHttpRequest) -> School:
    school = request.user.school
    if school is None or not can(request.user, "sso.configure", school):
        raise Http404
    return school


def _initial(provider: SsoProvider | None) -> dict[str, object]:
    if provider is None:
        return {"enabled": True}
    return {"name": provider.name, "issuer": provider.issuer, "client_id": provider.client_id,
            "match": provider.match, "trust_provider_2fa": provider.trust_provider_2fa,
            "enabled": provider.enabled}


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    school = _school_or_404(request)
    provider = SsoProvider.objects.filter(school=school).first()
    form = ProviderForm(request.POST or None, initial=_initial(provider),
                        has_secret=provider is not None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.configure(request.user, school, actions.Settings(
                name=data["name"], issuer=data["issuer"], client_id=data["client_id"],
                client_secret=data["client_secret"], match=data["match"],
                trust_provider_2fa=data["trust_provider_2fa"], enabled=data["enabled"]))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The sign-on settings are saved."))
            return redirect("sso:settings")
    callback_url = request.build_absolute_uri(reverse("sso:callback", args=[school.slug]))
    return render(request, "sso/settings.html",
                  {"form": form, "provider": provider, "school": school,
                   "callback_url": callback_url},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def remove(request: AuthenticatedHttpRequest) -> HttpResponse:
    school = _school_or_404(request)
    if actions.remove(request.user, school):
        messages.success(request, _("Sign-in with the school's account is switched off and its "
                                    "settings are deleted."))
    return redirect("sso:settings")


