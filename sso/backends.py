"""The authentication backend a session begun by the school's provider names.

It authenticates nothing itself (``authenticate`` always answers None, so no form can sign
anyone in through it): :mod:`sso.views` signs the matched account in after the provider's
answer checked out. Listed in ``AUTHENTICATION_BACKENDS`` so that those sessions stay valid,
and so that the session and django-axes' access log say how the person signed in.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from accounts.models import User


class SchoolAccountBackend(ModelBackend):
    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> User | None:
        return None


PATH = f"{SchoolAccountBackend.__module__}.{SchoolAccountBackend.__qualname__}"
