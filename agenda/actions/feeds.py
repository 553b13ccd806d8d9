"""A person's secret calendar address: made, renewed (the old one ends at once), found."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import can
from accounts.models import User
from agenda.models import FeedAddress
from archive import chain, scopes

TOKEN_BYTES = 24


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def renew_feed(user: User) -> str:
    """A new secret for ``user``'s feed, replacing any earlier one; returned once, never kept."""
    if not can(user, "agenda.view"):
        raise PermissionDenied(_("You have no calendar here."))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with transaction.atomic():
        renewed = FeedAddress.objects.filter(user=user).exists()
        FeedAddress.objects.update_or_create(
            user=user, defaults={"digest": _digest(token), "created_at": timezone.now(),
                                 "last_used_at": None})
        chain.record("agenda.feed_renewed" if renewed else "agenda.feed_made",
                     scope=scopes.school(user.school_id), actor=user, subjects=[user],
                     payload={"user": user.pk})
    return token


def owner_of(token: str) -> User | None:
    """The person whose feed ``token`` opens (active, with a calendar), or None."""
    if not token or len(token) > 100:
        return None
    address = (FeedAddress.objects.select_related("user", "user__school")
               .filter(digest=_digest(token)).first())
    if address is None or not can(address.user, "agenda.view"):
        return None
    # When the feed was last read: shown on the person's page, so a leaked address shows.
    now = timezone.now()
    if address.last_used_at is None or now - address.last_used_at > timedelta(minutes=5):
        FeedAddress.objects.filter(pk=address.pk).update(last_used_at=now)
    return address.user
