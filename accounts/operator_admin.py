"""The Django admin, for the installation's operators only.

Operators are superusers: they have no school and can reach every school's data here, so the
admin asks more than the app does. Nobody else gets in, whatever their ``is_staff`` says (a
school's staff work in the app's own pages), and an operator gets in only through the app's
login with the second factor, which superusers always give: the admin's own login form, which
checks a password alone, is never shown.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from accounts import twofactor


class OperatorAdminSite(admin.AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_superuser
                    and request.session.get(twofactor.PASSED))

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None
              ) -> HttpResponse:
        """Send to the app's login (password, then the second factor) and back here."""
        user = request.user
        if user.is_authenticated:
            if not user.is_superuser:
                raise PermissionDenied
            # An operator whose session began without a second factor signs in again.
            auth_logout(request)
        next_url = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index",
                                                                   current_app=self.name)
        return redirect_to_login(next_url, reverse("login"))
