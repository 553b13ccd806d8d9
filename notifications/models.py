"""Web Push devices and conversation mutes.

A ``Device`` is one browser's push subscription (RFC 8030 endpoint and the RFC 8291 keys the
browser made); it belongs to one person and, when it was registered while signed in, to that
session, so logging out of that browser removes it. A ``Mute`` silences one conversation's
notifications for one person, until a time or until it is lifted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from messaging.models import Conversation
from notifications import endpoints


class Device(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="push_devices")
    # The push service's URL for this subscription: a capability, shown to nobody.
    endpoint = models.URLField(max_length=2000)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    # The browser and platform, from the user agent, so the person can tell devices apart.
    label = models.CharField(_("device"), max_length=100, blank=True)
    # The session that registered it: its logout removes the device.
    session_key = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_success_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        constraints = [
            models.UniqueConstraint(fields=["endpoint"], name="notifications_device_one_endpoint"),
        ]
        indexes = [
            # Uses index: sending (a conversation's members' devices), the notifications page.
            models.Index(fields=["user"], name="notifications_device_user"),
        ]

    def __str__(self) -> str:
        return self.label or str(_("device"))

    @property
    def push_service_allowed(self) -> bool:
        """Whether its push service is on ``SCHOOLCHAT_PUSH_SERVICES`` now: one the list no
        longer names gets no push (the device is kept, and its page says so)."""
        return endpoints.allowed(self.endpoint)


class Mute(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="mutes")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="mutes")
    # None: muted until the person lifts it.
    until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("muted conversation")
        verbose_name_plural = _("muted conversations")
        constraints = [
            models.UniqueConstraint(fields=["user", "conversation"],
                                    name="notifications_mute_one_per_conversation"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.conversation_id}"

    def is_active(self, at: object = None) -> bool:
        moment = at or timezone.now()
        return self.until is None or self.until > moment  # type: ignore[operator]


class Pushed(models.Model):
    """A message that reached at least one of a person's devices (the push service accepted
    it): their e-mail digest leaves it out (``messaging.digest``). Kept only while it could
    still be in a digest: the rows below the person's read and digested point in that
    conversation go when the next message there is pushed (``actions.forget_read_pushes``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    # The message's seq in its conversation; not a key to the message, so retention's purge
    # of old messages never has to know about this table.
    seq = models.PositiveBigIntegerField()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Uses index: the digest's "which of these were pushed" (user, conversation, seq IN).
            models.UniqueConstraint(fields=["user", "conversation", "seq"],
                                    name="notifications_pushed_once"),
        ]
        indexes = [
            # Uses index: forget_read_pushes, per conversation.
            models.Index(fields=["conversation", "user"], name="notifications_pushed_conv"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.conversation_id}:{self.seq}"
