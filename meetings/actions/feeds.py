"""A teacher's private calendar feed: a secret address, renewable.

Only the SHA-256 of the secret is stored (as for invitations), so the address is shown once,
when it is made or renewed; renewing ends the old address at once.
"""

from __future__ import annotations

import hashlib
import secrets

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import can
from accounts.models import User
from archive import chain, scopes
from meetings.models import CalendarFeed


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def renew_feed(user: User) -> str:
    """Make (or replace) ``user``'s feed; the new secret, to be shown once."""
    if not can(user, "meetings.calendar_feed", user):
        raise PermissionDenied(_("You have no calendar of meetings."))
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        CalendarFeed.objects.update_or_create(
            user=user, defaults={"token_hash": token_hash(token), "created_at": timezone.now()})
        chain.record("meetings.feed_renewed", scope=scopes.meetings(user.school_id), actor=user,
                     subjects=[user], payload={"user": user.pk})
    return token


def feed_owner(token: str) -> User | None:
    """The active teacher whose feed this secret opens, or None."""
    feed = (CalendarFeed.objects.filter(token_hash=token_hash(token))
            .select_related("user").first())
    if feed is None or not can(feed.user, "meetings.calendar_feed", feed.user):
        return None
    return feed.user
