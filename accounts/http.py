"""The request a view behind ``login_required`` gets: its user is a signed-in ``User``.

Django types ``HttpRequest.user`` as ``User | AnonymousUser``; views that only ever run for a
signed-in user take this type instead, so their code reads ``request.user.school`` without a
cast. It is a typing statement only (Django builds the same request object).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User
