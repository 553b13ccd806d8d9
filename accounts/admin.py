from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import (
    Enrolment,
    Guardianship,
    Invitation,
    Pupil,
    School,
    SchoolClass,
    User,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "role", "school", "is_active")
    list_filter = ("role", "school", "is_active")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Schoolchat", {"fields": ("school", "role", "display_name", "phone", "ref",
                                    "leaves_on", "left_at")}),
    )


admin.site.register(School)
admin.site.register(SchoolClass)
admin.site.register(Pupil)
admin.site.register(Guardianship)
admin.site.register(Enrolment)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    # The token itself is never stored; only its hash, which is not shown.
    list_display = ("user", "purpose", "created_at", "expires_at", "used_at", "revoked_at")
    exclude = ("token_hash",)
    readonly_fields = ("user", "purpose", "created_by", "created_at", "expires_at", "used_at",
                       "revoked_at")
