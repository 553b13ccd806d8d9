"""Changes to a person's notification settings: devices and mutes.

Each change happens in one transaction with its archive record, in the person's school chain
(devices) or the conversation's chain (mutes). Checks raise ``PermissionDenied`` (the caller
answers 404) or ``ValidationError``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import can
from archive import chain, scopes
from messaging.models import Conversation, Membership
from notifications import endpoints
from notifications.models import Device, Mute, Pushed

MAX_SEQ = 2**63 - 1  # "every seq": for a person who is no longer a member
PUSHED_KEPT = timedelta(days=30)


def _key(value: Any, size: int | None) -> str:
    """A base64url key as the browser gives it, checked for its decoded size."""
    if not isinstance(value, str) or not value or len(value) > 200:
        raise ValidationError(_("This browser sent an incomplete subscription."))
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValidationError(_("This browser sent an incomplete subscription.")) from exc
    if (size is not None and len(raw) != size) or (size is None and len(raw) < 16):
        raise ValidationError(_("This browser sent an incomplete subscription."))
    return value


def subscribe(user: Any, *, endpoint: Any, p256dh: Any, auth: Any, label: str = "",
              session_key: str = "") -> Device:
    """Register (or re-register) this browser's push subscription for ``user``.

    An endpoint registered before moves to this person and session only when it comes with
    the keys stored for it: then the browser that holds the subscription (and its private key
    and auth secret) is the one now signed in, as on a shared tablet. An endpoint alone is not
    proof of holding it (it travels in logs and the page's heartbeat), so with other keys the
    subscription is refused and its owner's device is left as it was.
    """
    if not user.is_active:
        raise PermissionDenied
    if not isinstance(endpoint, str) or len(endpoint) > 2000 or not endpoints.allowed(endpoint):
        raise ValidationError(_("This browser's push service is not one this school uses."))
    p256dh, auth = _key(p256dh, 65), _key(auth, 16)
    with transaction.atomic():
        registered = Device.objects.select_for_update().filter(endpoint=endpoint).first()
        if (registered is not None and registered.user_id != user.pk
                and not _same_keys(registered, p256dh, auth)):
            raise ValidationError(
                _("This browser's notifications are registered with other keys. Turn "
                  "notifications off in this browser and on again."), code="taken")
        device, created = Device.objects.update_or_create(
            endpoint=endpoint,
            defaults={"user": user, "p256dh": p256dh, "auth": auth, "label": label[:100],
                      "session_key": session_key or ""},
        )
        chain.record("notifications.device_added", scope=scopes.school(user.school_id),
                       actor=user, subjects=[user],
                       payload={"user": user.pk, "device": device.pk, "label": device.label,
                                "created": created,
                                "moved_from": registered.user_id
                                if registered and registered.user_id != user.pk
                                else None})
    return device


def _same_keys(device: Device, p256dh: str, auth: str) -> bool:
    # compare_digest: the auth secret is one, and the answer should not time how much matched.
    return (hmac.compare_digest(device.p256dh.encode(), p256dh.encode())
            & hmac.compare_digest(device.auth.encode(), auth.encode()))


def _remove(devices: Iterable[Device], *, actor: Any, reason: str) -> int:
    removed = 0
    for device in devices:
        chain.record("notifications.device_removed", scope=scopes.school(device.user.school_id),
                       actor=actor, subjects=[device.user],
                       payload={"user": device.user_id, "device": device.pk,
                                "label": device.label, "reason": reason})
        device.delete()
        removed += 1
    return removed


def unsubscribe(user: Any, device: Device) -> None:
    """Remove one of the person's own devices (the page's remove button, or the browser's
    script turning notifications off)."""
    if not can(user, "notifications.remove_device", device):
        raise PermissionDenied
    with transaction.atomic():
        _remove(Device.objects.filter(pk=device.pk).select_related("user"), actor=user,
                reason="removed")


def unsubscribe_endpoint(user: Any, endpoint: Any) -> bool:
    """Remove the person's device with this endpoint, if they have one."""
    device = Device.objects.filter(user=user, endpoint=endpoint).first() if isinstance(
        endpoint, str) else None
    if device is None:
        return False
    unsubscribe(user, device)
    return True


def remove_devices(user_id: int, *, session_key: str | None = None, reason: str) -> int:
    """System removal: a logout (that session's devices) or an account whose sessions all
    ended because it was deactivated (all its devices)."""
    with transaction.atomic():
        devices = Device.objects.filter(user_id=user_id).select_related("user")
        if session_key is not None:
            devices = devices.filter(session_key=session_key)
        return _remove(list(devices.select_for_update()), actor=None, reason=reason)


def forget_gone_device(device_id: int, status: int) -> bool:
    """The push service answered that the subscription no longer exists (404/410)."""
    with transaction.atomic():
        devices = list(Device.objects.filter(pk=device_id).select_related("user"))
        return _remove(devices, actor=None, reason=f"push service {status}") > 0


def mark_delivered(device: Device, *, conversation_id: int | None = None,
                   seq: int | None = None) -> None:
    """The push service accepted a push for ``device``: note when, and that the person was
    told about message ``seq`` of the conversation (their digest leaves it out). Bookkeeping of
    the push queue, like a retry: no archive record."""
    mark_delivered_many([device], conversation_id=conversation_id, seq=seq)


def mark_delivered_many(devices: Sequence[Device], *, conversation_id: int | None,
                        seq: int | None) -> None:
    """:func:`mark_delivered` for the devices one message reached, in two statements (another
    of a person's devices may have been told first: one row per person is enough)."""
    if not devices:
        return
    now = timezone.now()
    with transaction.atomic():
        Device.objects.filter(pk__in=[d.pk for d in devices]).update(last_success_at=now)
        if conversation_id is not None and seq is not None:
            Pushed.objects.bulk_create(
                [Pushed(user_id=user_id, conversation_id=conversation_id, seq=seq, at=now)
                 for user_id in sorted({d.user_id for d in devices})], ignore_conflicts=True)


def forget_read_pushes(conversation_id: int) -> int:
    """Forget the pushes of a conversation that no digest will mention: at or below the
    member's read and digested point, for someone no longer a member, or older than
    ``PUSHED_KEPT`` (a digest mentioning a month-old push again is the lesser evil than a
    table that grows for someone who never reads)."""
    reached = (Membership.objects.filter(conversation_id=conversation_id,
                                         user_id=OuterRef("user_id"), ended_at__isnull=True)
               .annotate(point=Greatest("last_read_seq", "digested_seq")).values("point")[:1])
    deleted, _rows = (Pushed.objects.filter(conversation_id=conversation_id)
                      .annotate(point=Coalesce(Subquery(reached), Value(MAX_SEQ)))
                      .filter(Q(seq__lte=F("point")) | Q(at__lt=timezone.now() - PUSHED_KEPT))
                      .delete())
    return deleted


def mute(user: Any, conversation: Conversation, *, until: datetime | None = None) -> Mute:
    if not can(user, "notifications.mute", conversation):
        raise PermissionDenied
    if until is not None and until <= timezone.now():
        raise ValidationError(_("Choose a time in the future."))
    with transaction.atomic():
        muted, _created = Mute.objects.update_or_create(
            user=user, conversation=conversation,
            defaults={"until": until, "created_at": timezone.now()})
        chain.record("notifications.muted", scope=scopes.conversation(conversation.pk),
                       actor=user, subjects=[user],
                       payload={"user": user.pk, "conversation": conversation.pk,
                                "until": until.isoformat() if until else None})
    return muted


def unmute(user: Any, conversation: Conversation) -> bool:
    """Lift the person's mute of a conversation; False when there was none. Someone who can no
    longer read the conversation may still lift their own mute."""
    with transaction.atomic():
        deleted, _rows = Mute.objects.filter(user=user, conversation=conversation).delete()
        if not deleted:
            return False
        chain.record("notifications.unmuted", scope=scopes.conversation(conversation.pk),
                       actor=user, subjects=[user],
                       payload={"user": user.pk, "conversation": conversation.pk})
    return True


def forget_person(user_id: int) -> dict[str, int]:
    """Delete every device (push subscription), mute and push note of an erased person."""
    devices = Device.objects.filter(user_id=user_id).delete()[0]
    Mute.objects.filter(user_id=user_id).delete()
    Pushed.objects.filter(user_id=user_id).delete()
    return {"devices": devices}
