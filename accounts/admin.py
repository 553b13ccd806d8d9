"""The operator's view of people and schools in the Django admin: read-only.

Every change to these rows is an action (``accounts.actions``) that archives it and keeps class
conversations and sessions in step; a plain admin form would do neither. Operators change them
through the school admin's pages or the management commands (``create_school``,
``operator_account``, ``import_roster``, ``process_leavers``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from accounts.models import (
    Enrolment,
    Guardianship,
    Invitation,
    Pupil,
    School,
    SchoolClass,
    User,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Lists and shows rows; adds, changes and deletes nothing."""

    # Fields never shown (secrets and hashes); every other field is shown read-only.
    exclude_fields: tuple[str, ...] = ()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return [field.name for field in self.model._meta.fields
                if field.name not in self.exclude_fields]


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    list_display = ("username", "display_name", "role", "school", "is_active")
    list_filter = ("role", "school", "is_active")
    search_fields = ("username", "display_name", "email")
    # The password hash and the second factor's secret are never shown.
    exclude = ("password", "totp_secret", "totp_last_step", "groups", "user_permissions")
    exclude_fields = ("password", "totp_secret", "totp_last_step")


@admin.register(School)
class SchoolAdmin(ReadOnlyAdmin):
    list_display = ("name", "slug")


@admin.register(SchoolClass)
class SchoolClassAdmin(ReadOnlyAdmin):
    list_display = ("name", "school")
    list_filter = ("school",)


@admin.register(Pupil)
class PupilAdmin(ReadOnlyAdmin):
    list_display = ("ref", "first_name", "last_name", "school", "left_on")
    list_filter = ("school",)


@admin.register(Guardianship)
class GuardianshipAdmin(ReadOnlyAdmin):
    list_display = ("guardian", "pupil", "relationship", "parental_responsibility", "no_contact")


@admin.register(Enrolment)
class EnrolmentAdmin(ReadOnlyAdmin):
    list_display = ("pupil", "school_class", "starts_on", "ends_on")


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    # The token itself is never stored; only its hash, which is not shown.
    list_display = ("user", "purpose", "created_at", "expires_at", "used_at", "revoked_at")
    exclude = ("token_hash",)
    exclude_fields = ("token_hash",)
