"""Who may change which notification settings. Asked through ``accounts.access.can``.

- ``notifications.mute`` (a conversation): whoever may read it. Muting a conversation one cannot
  read is refused like reading it (404), so a mute never tells that a conversation exists.
- ``notifications.remove_device`` (a device): its owner only; someone else's device is a 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.access import can, rule
from notifications.models import Device, Mute


@rule("notifications.mute")
def _mute(user: Any, conversation: Any) -> bool:
    return can(user, "conversation.read", conversation)


@rule("notifications.remove_device")
def _remove_device(user: Any, device: Any) -> bool:
    return isinstance(device, Device) and device.user_id == user.pk


def devices_of(user: Any) -> QuerySet[Device]:
    """The devices listed on a person's notifications page: the twin of ``remove_device``."""
    return Device.objects.filter(user=user).order_by("-created_at", "-pk")


def own_device_or_none(user: Any, device_id: int) -> Device | None:
    device = Device.objects.filter(pk=device_id).first()
    return device if device is not None and can(user, "notifications.remove_device", device) else None


def active_mutes_of(user: Any) -> QuerySet[Mute]:
    now = timezone.now()
    return (Mute.objects.filter(user=user).filter(Q(until__isnull=True) | Q(until__gt=now))
            .select_related("conversation__school_class")
            .order_by("conversation__title", "pk"))
