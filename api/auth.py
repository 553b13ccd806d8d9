"""Who is calling: the token in ``Authorization: Bearer <token>``, and nothing else.

The API takes no session cookie: a request that carries one is refused (401), so a page
in a signed-in browser cannot use the person's session to call it (no ambient authority), and
the API needs no CSRF token. Each operation names the scope it needs
(``TokenAuth(Scope.X)``); a token without it is refused (403) before anything is read. Each
call spends one of the token's budget (``SCHOOLCHAT_API_BURST``, then
``SCHOOLCHAT_API_PER_MINUTE``; 429 past it) and notes the token's last use.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from accounts import ratelimit
from api.actions import token_hash, touch
from api.errors import ApiError
from api.models import ApiToken, Scope


class TokenRequest(HttpRequest):
    """The request an operation gets: ``auth`` is the caller's token (a typing statement)."""

    auth: ApiToken


def _refused(detail: str) -> ApiError:
    return ApiError(401, "unauthenticated", detail)


class TokenAuth(HttpBearer):
    def __init__(self, scope: Scope) -> None:
        super().__init__()
        self.scope = scope

    def __call__(self, request: HttpRequest) -> ApiToken | None:
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            raise _refused(_("The API takes no session cookie: send the token in the "
                             "Authorization header only, without cookies."))
        header = request.headers.get("Authorization", "")
        if not header:
            return None
        scheme, _space, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _refused(_("Send the token as: Authorization: Bearer <token>."))
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        found = (ApiToken.objects.select_related("school", "acts_as", "acts_as__school")
                 .filter(token_hash=token_hash(token)).first())
        if found is None:
            raise _refused(_("This API token is not known."))
        if found.revoked_at is not None:
            raise _refused(_("This API token was revoked."))
        if not found.acts_as.is_active or found.acts_as.school_id != found.school_id:
            raise _refused(_("The staff member this token acts as no longer has an active "
                             "account: make a new token."))
        if not found.allows(self.scope):
            raise ApiError(403, "scope", _("This token may not do this: it needs the scope "
                                           "%(scope)s.") % {"scope": self.scope.value})
        try:
            ratelimit.check_bucket(f"api:{found.pk}", ratelimit.Limit(
                settings.SCHOOLCHAT_API_BURST, settings.SCHOOLCHAT_API_PER_MINUTE))
        except ratelimit.RateLimited as exc:
            raise ApiError(429, "rate_limited", exc.messages[0],
                           retry_after=exc.retry_after) from exc
        touch(found)
        return found
