"""Sessions end after a spell of inactivity and, however active, after an absolute cap.

The expiry lives in the session store itself (the session's ``expire_date``), so everything
that reads a session through the store, the websocket side included, sees the same end.
Pushing it forward costs a session write, so an active user's expiry moves at most once a
minute rather than on every request.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse
from django.utils.deprecation import MiddlewareMixin

# [user id, when that login began, the expiry last written], all in the session.
STAMP = "accounts_session_stamp"
# How far the expiry may lag behind "idle timeout from now" before it is written again.
REFRESH_SECONDS = 60


def _now() -> float:
    return time.time()


class SessionExpiryMiddleware(MiddlewareMixin):
    """After SessionMiddleware: runs before the session is saved."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is None or session.is_empty():
            return response
        user_id = session.get(SESSION_KEY)
        if user_id is None:
            return response
        now = _now()
        stamp = session.get(STAMP)
        if not isinstance(stamp, list) or len(stamp) != 3 or stamp[0] != user_id:
            stamp = [user_id, now, None]  # a new login
        deadline = min(now + settings.SCHOOLCHAT_SESSION_IDLE_SECONDS,
                       stamp[1] + settings.SESSION_COOKIE_AGE)
        if stamp[2] is None or deadline - stamp[2] >= REFRESH_SECONDS:
            if session.session_key is None or not session.exists(session.session_key):
                # Ended during this request (sessions ended by an admin's change, say):
                # writing would bring it back.
                return response
            session[STAMP] = [user_id, stamp[1], deadline]
            session.set_expiry(datetime.fromtimestamp(deadline, tz=UTC))
        return response
