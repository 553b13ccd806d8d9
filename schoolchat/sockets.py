"""The websocket handshake in one ASGI layer: the origin check and the sign-in.

Channels' stack for this (``origin_validator(AuthMiddlewareStack(...))``: four middlewares,
a session wrapper that copies the scope and wraps ``send``, lazy objects for the session and
the user) keeps a coroutine frame and those objects alive for every open socket, about 4 KB
each of what an idle socket costs (docs/performance.md, "Memory per idle socket"). This layer
does the same work once, at the handshake, and passes on only what the consumers read:

- a socket from another origin is refused (``schoolchat.origins.allowed``; a 403 handshake);
- ``scope["user"]``: the person signed in with the session cookie, read by Django's own
  ``django.contrib.auth.get_user`` (the session's account, its backend, the password hash
  the session was made with: a changed password signs the socket out), or an anonymous user;
- ``scope["session"]``: the session store of that cookie, not loaded (the consumers keep its
  key, to close the socket when that session ends).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from channels.db import database_sync_to_async
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.http.cookie import parse_cookie

from schoolchat.origins import allowed


def _session_key(scope: dict[str, Any]) -> str | None:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"cookie":
            try:
                return parse_cookie(bytes(value).decode("latin1")).get(
                    settings.SESSION_COOKIE_NAME) or None
            except UnicodeDecodeError:
                return None
    return None


@database_sync_to_async
def _user(session_key: str | None) -> AbstractBaseUser | AnonymousUser:
    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    return auth.get_user(request)


class SignedInSocket:
    """ASGI middleware for websockets: same origin only, then who is signed in."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            raise ValueError("SignedInSocket guards websockets only")
        if not allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        key = _session_key(scope)
        store = import_module(settings.SESSION_ENGINE).SessionStore(key)
        return await self.application(dict(scope, user=await _user(key), session=store),
                                      receive, send)
