"""Which pages may open a websocket: the Origin check in front of the chat consumer."""

from __future__ import annotations

from typing import Any
from urllib.parse import ParseResult

from channels.security.websocket import AllowedHostsOriginValidator, OriginValidator
from django.conf import settings


class HttpsOriginValidator(OriginValidator):
    """Channels' check against ALLOWED_HOSTS; in production the Origin must also be https://.

    The browser sends the session cookie with a websocket handshake whatever the page's scheme,
    so without this a page served over plain HTTP on one of our host names (injected by anyone
    on the network before HSTS applies) could open a socket as the user.
    """

    def valid_origin(self, parsed_origin: ParseResult | None) -> bool:
        if settings.PRODUCTION and (parsed_origin is None or parsed_origin.scheme != "https"):
            return False
        return bool(super().valid_origin(parsed_origin))


def origin_validator(application: Any) -> HttpsOriginValidator:
    # Channels works out the allowed host patterns (ALLOWED_HOSTS, or localhost in DEBUG).
    allowed = AllowedHostsOriginValidator(application).allowed_origins
    return HttpsOriginValidator(application, allowed)
