"""A browser whose session was ended on the server forgets what it kept of Schoolchat.

Logging out clears the browser's copies from the page itself (``static/js/notifications/
logout.js``). A session can also end without the browser taking part: the account was
deactivated or left, its password, role or second factor changed elsewhere
(``accounts.sessions``), or the session ran out. The next request still carries the old
session cookie and is sent to the login page; that redirect also says
``Clear-Site-Data: "cache", "storage"``, so the conversation pages kept for offline reading,
the service worker and its caches go before anyone else picks the device up.

A visitor who never signed in (no cookie, or a session without a user in it) is sent to the
login page without it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils.deprecation import MiddlewareMixin

CLEAR_SITE_DATA = '"cache", "storage"'


def _to_login(response: HttpResponse) -> bool:
    if response.status_code not in (301, 302, 303, 307, 308):
        return False
    location = urlsplit(response.get("Location", "")).path
    return location == resolve_url(settings.LOGIN_URL)


def _session_ended(request: HttpRequest) -> bool:
    """The request named a session that is no longer a signed-in one."""
    cookie = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    session = getattr(request, "session", None)
    user = getattr(request, "user", None)
    if not cookie or session is None or user is None or user.is_authenticated:
        return False
    if SESSION_KEY in session:
        return True  # the session still names a person who may no longer sign in
    # The store no longer has it (deleted, or expired) or it was flushed during the request
    # (its password hash no longer matches): either way the key changed.
    return bool(session.session_key != cookie)


class EndedSessionMiddleware(MiddlewareMixin):
    """After AuthenticationMiddleware: it reads the user the request was answered for."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if _to_login(response) and _session_ended(request):
            response["Clear-Site-Data"] = CLEAR_SITE_DATA
        return response
