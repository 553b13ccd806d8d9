"""The API's refusals: every one is JSON, ``{"detail": <a sentence>, "code": <a word>}``, in
the language the request asks for (Accept-Language), with the status that says why:

- 401 ``unauthenticated``: no token, an unknown or revoked one, or a session cookie sent along;
- 403 ``scope``: the token was not given the scope the operation needs; ``forbidden``: the
  staff member the token acts as may not do this (as on the pages);
- 404 ``not_found``: nothing of that id in the token's school that its staff member may see;
- 409 ``conflict``, 422 ``invalid`` (and the action's own codes), 429 ``rate_limited``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from accounts.ratelimit import RateLimited


class ApiError(Exception):
    """A refusal with its status, code and sentence (and, for a refused file, its lines)."""

    def __init__(self, status: int, code: str, detail: str, errors: list[str] | None = None,
                 retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail
        self.errors = errors or []
        self.retry_after = retry_after


def not_found() -> ApiError:
    return ApiError(404, "not_found", _("There is nothing with this id that this token may see."))


def _answer(api: NinjaAPI, request: HttpRequest, error: ApiError) -> HttpResponse:
    body: dict[str, Any] = {"detail": error.detail, "code": error.code}
    if error.errors:
        body["errors"] = error.errors
    response = api.create_response(request, body, status=error.status)
    if error.retry_after is not None:
        response["Retry-After"] = str(error.retry_after)
    if error.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="schoolchat"'
    return response


def _field(error: dict[str, Any]) -> str:
    """"text: String should have at least 1 character": the field as the caller named it
    (a body's location starts with "body" and the operation's own name for the body)."""
    loc = list(error.get("loc", ()))
    where = ".".join(str(part) for part in (loc[2:] if loc[:1] == ["body"] else loc[1:]))
    return f"{where}: {error.get('msg', '')}" if where else str(error.get("msg", ""))


def install(api: NinjaAPI) -> None:
    """Answer every refusal the API and the actions raise as JSON."""

    # django-ninja types a handler's exception as the class or an instance; it passes instances.
    def api_error(request: HttpRequest, exc: object) -> HttpResponse:
        assert isinstance(exc, ApiError)
        return _answer(api, request, exc)

    def unauthenticated(request: HttpRequest, exc: object) -> HttpResponse:
        return _answer(api, request, ApiError(401, "unauthenticated", _(
            "Send a valid API token: Authorization: Bearer <token>.")))

    def http_error(request: HttpRequest, exc: object) -> HttpResponse:
        assert isinstance(exc, HttpError)
        return _answer(api, request, ApiError(exc.status_code, "bad_request", _(
            "The request could not be read: send JSON as the operation describes.")))

    def unreadable(request: HttpRequest, exc: object) -> HttpResponse:
        return _answer(api, request, ApiError(400, "bad_request", _(
            "The request could not be read: send a well-formed body as the operation "
            "describes.")))

    def invalid(request: HttpRequest, exc: object) -> HttpResponse:
        assert isinstance(exc, NinjaValidationError)
        fields = [_field(e) for e in exc.errors]
        return _answer(api, request, ApiError(422, "invalid", _(
            "Some values are missing or not valid."), errors=fields))

    def missing(request: HttpRequest, exc: object) -> HttpResponse:
        return _answer(api, request, not_found())

    def denied(request: HttpRequest, exc: object) -> HttpResponse:
        detail = str(exc) or _("The staff member this token acts as may not do this.")
        return _answer(api, request, ApiError(403, "forbidden", detail))

    def refused(request: HttpRequest, exc: object) -> HttpResponse:
        assert isinstance(exc, DjangoValidationError)
        if isinstance(exc, RateLimited):
            return _answer(api, request, ApiError(429, "rate_limited", exc.messages[0],
                                                  retry_after=exc.retry_after))
        return _answer(api, request, ApiError(422, str(getattr(exc, "code", "") or "invalid"),
                                              " ".join(exc.messages)))

    api.add_exception_handler(ApiError, api_error)
    api.add_exception_handler(AuthenticationError, unauthenticated)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(MultiPartParserError, unreadable)
    api.add_exception_handler(SuspiciousOperation, unreadable)
    api.add_exception_handler(NinjaValidationError, invalid)
    api.add_exception_handler(Http404, missing)
    api.add_exception_handler(PermissionDenied, denied)
    api.add_exception_handler(DjangoValidationError, refused)
