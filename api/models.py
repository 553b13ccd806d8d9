"""The school's API tokens (docs/api.md): what a school's own system presents to the API.

Only a SHA-256 of the token is stored, with its first characters for people to tell tokens
apart; the token itself is shown once, when it is made. A token belongs to a school and acts
as one of its staff members (``acts_as``), chosen when it is made: every call is asked of the
access rules as that person and archived with that person as the actor.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    CONVERSATIONS_READ = "conversations:read", _("Read the conversations' names, kinds and sizes")
    ANNOUNCEMENTS_WRITE = "announcements:write", _("Post announcements")
    ACKNOWLEDGEMENTS_READ = "acknowledgements:read", _("Read who acknowledged a message")
    ROSTER_WRITE = "roster:write", _("Import the roster")
    ABSENCES_READ = "absences:read", _("Read the absences")
    BOOKINGS_READ = "bookings:read", _("Read the parents' evenings and their bookings")
    ALL = "all", _("Everything the API can do, now and later")


class ApiToken(models.Model):
    school = models.ForeignKey("accounts.School", on_delete=models.CASCADE,
                               related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    # The token's first characters ("sc_AbCd1234"), shown on the page and in the archive.
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list)
    acts_as = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+",
                                verbose_name=_("acts as"))
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # Written at most once a minute (api.actions.touch), so a busy system is not a write a call.
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+")

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [
            # Uses index: the token page's list (api.access.school_tokens).
            models.Index(fields=["school", "created_at"], name="api_token_school_created"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def allows(self, scope: str) -> bool:
        """Whether the token was given ``scope`` (or ``all``)."""
        return Scope.ALL in self.scopes or scope in self.scopes
