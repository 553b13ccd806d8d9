"""When a person's sessions end, and telling the rest of the system so.

A session ends on logout (that one session), and every session of a person ends when their
password, active flag, role or second factor changes: whoever changed it, through whichever
path (the invitation link, the school admin pages, Django's admin, a management command),
because the change is seen on the ``User`` row itself. The sessions are deleted from the
session store in the same transaction, and :data:`sessions_ended` is sent after the commit, so
that apps above this one (messaging closes the person's open sockets on every process) react
without ``accounts`` knowing about them.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.dispatch import Signal
from django.utils import timezone

from accounts.models import User

# Sent after the commit. Arguments: ``user_id``; ``session_key``, the one session that ended
# (None: every session of the person); ``reason``: "logout", "deactivated", "password",
# "role" or "two_factor".
sessions_ended = Signal()

# The fields whose change ends every session, and the reason each gives.
WATCHED = {"is_active": "deactivated", "password": "password", "role": "role",
           "totp_secret": "two_factor"}


def delete_sessions(user_ids: set[int]) -> int:
    """Delete every session of these users from the store (the user id is inside the session
    data, not an indexed column, so this reads every live session once)."""
    if not user_ids:
        return 0
    wanted = {str(pk) for pk in user_ids}
    doomed = [
        s.session_key for s in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(s.get_decoded().get("_auth_user_id")) in wanted
    ]
    Session.objects.filter(session_key__in=doomed).delete()
    return len(doomed)


def announce(user_id: int, *, session_key: str | None = None, reason: str) -> None:
    """Send :data:`sessions_ended` once the current transaction commits (at once outside one)."""
    transaction.on_commit(partial(sessions_ended.send, sender=User, user_id=user_id,
                                  session_key=session_key, reason=reason))


def _on_logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    # Sent by django.contrib.auth.logout() before it flushes the session, so the key is known.
    # The session leaves the store first: a page whose socket is closed by the announcement
    # reloads at once, and that reload must meet the login page, not the session's last moments.
    session = getattr(request, "session", None)
    key = getattr(session, "session_key", None)
    if user is not None and session is not None and key:
        session.delete(key)
        announce(user.pk, session_key=key, reason="logout")


def _remember_watched(sender: Any, instance: User, raw: bool = False,
                      update_fields: Any = None, **kwargs: Any) -> None:
    if raw or instance.pk is None:
        return
    if update_fields is not None and not set(WATCHED) & set(update_fields):
        return  # e.g. last_login on every login: nothing to compare
    instance._watched_before = (  # type: ignore[attr-defined]
        User.objects.filter(pk=instance.pk).values(*WATCHED).first())


def _end_sessions_on_change(sender: Any, instance: User, created: bool = False,
                            raw: bool = False, **kwargs: Any) -> None:
    before = instance.__dict__.pop("_watched_before", None)
    if created or raw or before is None:
        return
    changed = [field for field in WATCHED if before[field] != getattr(instance, field)]
    if not changed:
        return
    delete_sessions({instance.pk})
    announce(instance.pk, reason=WATCHED[changed[0]])


def connect() -> None:
    user_logged_out.connect(_on_logged_out, dispatch_uid="accounts.sessions.logout")
    pre_save.connect(_remember_watched, sender=User, dispatch_uid="accounts.sessions.before")
    post_save.connect(_end_sessions_on_change, sender=User,
                      dispatch_uid="accounts.sessions.after")
