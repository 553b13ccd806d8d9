"""A plain HTTP client for a live server: real requests, each committed in its own transaction.

Django's test client runs a request inside the test's transaction, so a missing ``atomic()`` or
an ``on_commit`` callback never shows. Against pytest-django's ``live_server`` (with
``transactional_db``) every request commits as in production. The client logs in by putting a
session in the database (as ``Client.force_login`` does), so it does not depend on the login
pages, and it sends the CSRF token the way a browser's form would.
"""

from __future__ import annotations

import http.cookiejar
import io
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.test import Client

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Answer:
    status: int
    url: str
    text: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class LiveClient:
    def __init__(self, base_url: str, user: Any = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.raw = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                               _NoRedirect())
        if user is not None:
            self.login(user)

    def login(self, user: Any) -> None:
        client = Client()
        client.force_login(user)
        host = urllib.parse.urlsplit(self.base_url).hostname or "127.0.0.1"
        if "." not in host:
            host += ".local"  # how the cookie jar names a dotless host such as localhost
        self.jar.set_cookie(_cookie(settings.SESSION_COOKIE_NAME,
                                    client.cookies[settings.SESSION_COOKIE_NAME].value, host))

    def _open(self, request: urllib.request.Request, follow: bool) -> Answer:
        opener = self.opener if follow else self.raw
        try:
            with opener.open(request, timeout=30) as response:
                return Answer(response.status, response.url, response.read().decode())
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.url or request.full_url, error.read().decode())

    def get(self, path: str, *, follow: bool = True) -> Answer:
        return self._open(urllib.request.Request(self.base_url + path), follow)

    def post(self, path: str, data: dict[str, Any] | None = None, *, form_page: str | None = None,
             follow: bool = True) -> Answer:
        """POST as the form on ``form_page`` (default: ``path``) would, with its CSRF token."""
        page = self.get(form_page or path)
        found = CSRF_INPUT.search(page.text)
        token = found.group(1) if found else ""
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **(data or {})},
                                      doseq=True).encode()
        request = urllib.request.Request(self.base_url + path, data=body, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": self.base_url + (form_page or path),
        })
        return self._open(request, follow)


def _cookie(name: str, value: str, host: str) -> http.cookiejar.Cookie:
    return http.cookiejar.Cookie(
        version=0, name=name, value=value, port=None, port_specified=False, domain=host,
        domain_specified=False, domain_initial_dot=False, path="/", path_specified=True,
        secure=False, expires=None, discard=True, comment=None, comment_url=None, rest={},
    )


def new_school_link(base_url: str) -> str:
    """Make "De Regenboog" with ``create_school`` as an operator would (first admin "head") and
    return the path of the one-time link the command prints for that admin."""
    out = io.StringIO()
    call_command("create_school", "De Regenboog", "--slug", "regenboog", "--admin", "head",
                 "--email", "head@example.invalid", "--url", base_url, stdout=out)
    link = re.search(r"(/invite/[\w-]+/)", out.getvalue())
    assert link, out.getvalue()
    return link.group(1)
