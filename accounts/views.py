"""Login (with the two-factor step) and invitation links."""

from __future__ import annotations

from typing import Any

from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.http import require_http_methods, require_POST

from accounts import ratelimit, signin, twofactor
from accounts.actions import profile
from accounts.actions.invitations import accept_invitation, find_by_short_code, find_invitation
from accounts.actions.twofactor import enrol_second_factor, verify_second_factor
from accounts.forms import (
    CodeForm,
    FirstPasswordForm,
    JoinCodeForm,
    LoginForm,
    SetupCodeForm,
    backoff_error,
)
from accounts.landing import landing_url
from accounts.models import Guardianship, Invitation, User

# The username of the account whose invitation this browser just accepted: the login form
# starts with it filled in. Kept in the session, never in a URL, so a link cannot be used to
# ask which usernames exist.
LOGIN_HINT = "accounts_login_hint"
# The invitation whose letter's short code this browser typed at /join/ (its id, never the
# code): the set-password page after it reads it from here.
JOIN_SESSION = "accounts_join_invitation"
# The backend that checks a username and password: the one a session begun by setting the
# password names (its sessions stay valid as those of the login form).
PASSWORD_BACKEND = "django.contrib.auth.backends.ModelBackend"


class LoginView(auth_views.LoginView):
    """Password first; staff of a school that requires it then give a second factor.

    The username field takes a username or the account's e-mail address
    (:mod:`accounts.backends`). The error for a wrong password, an unknown username or address,
    an address more than one account has and an inactive account is the same, so the page
    never tells whether an account exists.
    """

    redirect_authenticated_user = True
    authentication_form = LoginForm

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        hint = self.request.session.get(LOGIN_HINT)
        if isinstance(hint, str):
            initial["username"] = hint
        return initial

    def get_default_redirect_url(self) -> str:
        # Reached once logged in (or already logged in): where this person's work is.
        user = self.request.user
        if isinstance(user, User):
            return landing_url(user)
        return super().get_default_redirect_url()

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        self.request.session.pop(LOGIN_HINT, None)
        if not user.needs_two_factor:
            return super().form_valid(form)
        twofactor.start_pending(self.request, user, self.get_redirect_url())
        target = "accounts:2fa_verify" if user.totp_confirmed_at else "accounts:2fa_setup"
        return redirect(target)


def _finish_login(request: HttpRequest, user: User, state: dict[str, str]) -> HttpResponse:
    request.session.pop(twofactor.PENDING, None)
    auth_login(request, user, backend=state.get("backend") or None)
    # What the Django admin asks before it lets an operator in (accounts.admin).
    request.session[twofactor.PASSED] = True
    next_url = state.get("next") or ""
    if not next_url or not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = landing_url(user)
    return redirect(next_url)


def _wrong_code(request: HttpRequest, user: User, state: dict[str, Any]) -> HttpResponse | None:
    """Count a wrong code towards the same pause as wrong passwords; a response when the login
    is over (paused, or too many wrong codes for this attempt), else None."""
    if signin.code_failed(request, user):
        request.session.pop(twofactor.PENDING, None)
        paused: HttpResponse = get_lockout_response(request, None, {"username": user.username})
        return paused
    if twofactor.count_failure(request, state):
        messages.error(request, _("Too many wrong codes. Log in again."))
        return redirect("login")
    return None


def _paused(request: HttpRequest, user: User) -> HttpResponse | None:
    """Sign-in paused for this account from this address ends the attempt, before any code is
    looked at."""
    if signin.is_locked_out(request, user.username):
        request.session.pop(twofactor.PENDING, None)
        paused: HttpResponse = get_lockout_response(request, None, {"username": user.username})
        return paused
    return None


@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    user, state = twofactor.pending_user(request)
    if user is None or not user.totp_confirmed_at:
        return redirect("login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        paused = _paused(request, user)
        if paused is not None:
            return paused
        wait = signin.backoff_seconds(user.username)
        if wait:
            form.add_error(None, backoff_error(wait))
            return render(request, "accounts/2fa_verify.html", {"form": form}, status=429)
        if verify_second_factor(user, form.cleaned_data["code"]):
            return _finish_login(request, user, state)
        over = _wrong_code(request, user, state)
        if over is not None:
            return over
        form.add_error("code", _("That code is not right. Try the newest code."))
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/2fa_verify.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    user, state = twofactor.pending_user(request)
    if user is None:
        return redirect("login")
    if user.totp_confirmed_at:
        return redirect("accounts:2fa_verify")
    secret = state.get("secret") or twofactor.new_secret()
    state["secret"] = secret
    request.session[twofactor.PENDING] = state
    form = SetupCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        paused = _paused(request, user)
        if paused is not None:
            return paused
        step = twofactor.totp_step(secret, form.cleaned_data["code"])
        if step is not None:
            codes = enrol_second_factor(user, secret, step)
            response = _finish_login(request, user, state)
            return render(request, "accounts/2fa_codes.html",
                          {"codes": codes, "next": response["Location"]})
        # Not counted towards the pause: a code that does not match a secret just shown
        # guesses nothing (the clock of the phone is usually the problem).
        if twofactor.count_failure(request, state):
            messages.error(request, _("Too many wrong codes. Log in again."))
            return redirect("login")
        form.add_error("code", _("That code is not right. Check the time on your phone."))
    uri = twofactor.provisioning_uri(user, secret)
    context = {"form": form, "secret": secret, "uri": uri,
               "qr": twofactor.qr_svg(uri, _("QR code of the setup key")),
               "grouped": twofactor.grouped(secret)}
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/2fa_setup.html", context, status=status)


def _problem(found: Invitation | None) -> str | None:
    """Why an invitation cannot be used ("unknown", "used", "revoked", "expired"), or None."""
    if found is None:
        return "unknown"
    if found.used_at is not None:
        return "used"
    if found.revoked_at is not None or found.user.left_at is not None:
        return "revoked"
    if found.expires_at <= timezone.now():
        return "expired"
    return None


def _set_password(request: HttpRequest, found: Invitation, *, by_code: bool) -> HttpResponse:
    """The set-password form of a usable invitation, reached by its link or its letter's code."""
    form = FirstPasswordForm(found.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        language = form.cleaned_data["language"]
        try:
            user = accept_invitation(found, form.cleaned_data["new_password1"],
                                     language=language)
        except ValueError:
            return render(request, "accounts/invitation_invalid.html", {"problem": "used"},
                          status=410)
        request.session.pop(JOIN_SESSION, None)
        with translation.override(language):
            messages.success(request, _("Your password is set."))
        response = _sign_in(request, user, found)
        # The page that follows is in the chosen language already.
        _remember_language(response, language)
        return response
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/invitation.html",
                  {"form": form, "invitation": found, "person": found.user, "by_code": by_code},
                  status=status)


def _sign_in(request: HttpRequest, user: User, used: Invitation) -> HttpResponse:
    """The password just set is the first factor: nobody types it twice. Staff whose school
    requires a second factor go on to enrol it (or give a code, after a reset) before they are
    signed in, as after the login form; everyone else is signed in now. A parent's first
    sign-in lands on the welcome page. ``user`` is the account as the invitation left it (its
    new password, which the session's hash is taken from)."""
    user.backend = PASSWORD_BACKEND
    if user.needs_two_factor:
        # Should the second step time out, the login form starts with the username.
        request.session[LOGIN_HINT] = user.username
        twofactor.start_pending(request, user, "")
        return redirect("accounts:2fa_verify" if user.totp_confirmed_at else "accounts:2fa_setup")
    auth_login(request, user, backend=PASSWORD_BACKEND)
    request.session.pop(LOGIN_HINT, None)
    if used.purpose == Invitation.Purpose.INVITE and Guardianship.objects.filter(
            guardian=user).exists():
        # Their children, what is still to decide, notifications, the class: messaging's page,
        # named by its URL (accounts imports no app above it).
        return redirect("messaging:welcome")
    return redirect(landing_url(user))


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The one-time link: set a password. A bad link says why, without naming the account."""
    found = find_invitation(token)
    problem = _problem(found)
    if found is None or problem is not None:
        return render(request, "accounts/invitation_invalid.html", {"problem": problem},
                      status=404 if problem == "unknown" else 410)
    return _set_password(request, found, by_code=False)


def _code_error(problem: str) -> str:
    if problem == "expired":
        return _("This code has expired. Ask the school office for a new letter.")
    if problem == "used":
        return _("This code has already been used. Log in with your username and password.")
    if problem == "revoked":
        return _("This code no longer works: the school has made a newer letter or withdrawn "
                 "it. Use the newest letter, or ask the school office.")
    return _("That code is not right. Check it against the letter and try again.")


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest) -> HttpResponse:
    """Type the short code of a printed letter instead of opening its link. Throttled per
    client address; a right code leads to the same set-password form as the link."""
    form = JoinCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ratelimit.check_address("join_code", signin.client_ip(request))
        except ratelimit.RateLimited as exc:
            form.add_error("code", exc.messages[0])
            response = render(request, "accounts/join.html", {"form": form}, status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response
        found = find_by_short_code(form.cleaned_data["code"])
        problem = _problem(found)
        if found is not None and problem is None:
            request.session[JOIN_SESSION] = found.pk
            return redirect("accounts:join_password")
        form.add_error("code", _code_error(problem or "unknown"))
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/join.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def join_password(request: HttpRequest) -> HttpResponse:
    """The set-password form of the invitation whose code this browser typed."""
    invitation_id = request.session.get(JOIN_SESSION)
    found = (Invitation.objects.select_related("user", "user__school")
             .filter(pk=invitation_id).first() if isinstance(invitation_id, int) else None)
    problem = _problem(found)
    if found is None or problem is not None:
        request.session.pop(JOIN_SESSION, None)
        if invitation_id is not None:
            messages.error(request, _code_error(problem or "unknown"))
        return redirect("accounts:join")
    return _set_password(request, found, by_code=True)


def _remember_language(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The footer's language selector: this browser's language (Django's own view, a cookie),
    and for a signed-in person their account's too, so every device and every mail follows."""
    response = i18n.set_language(request)
    language = request.POST.get("language", "")
    if isinstance(request.user, User) and request.user.is_authenticated and profile.is_language(
            language):
        profile.set_language(request.user, language)
    return response
