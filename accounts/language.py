"""The signed-in person's own language on every page they open."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import translation
from django.utils.deprecation import MiddlewareMixin

from accounts.actions.profile import is_language


class UserLanguageMiddleware(MiddlewareMixin):
    """After LocaleMiddleware and AuthenticationMiddleware: LocaleMiddleware chose a language
    from the cookie or the browser; a signed-in person who chose one gets theirs instead, on
    whatever device they use."""

    def process_request(self, request: HttpRequest) -> None:
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user is not None else ""
        if user is not None and user.is_authenticated and language and is_language(language):
            translation.activate(language)
            request.LANGUAGE_CODE = language
