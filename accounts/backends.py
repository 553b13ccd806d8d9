"""Signing in with a username or an e-mail address.

Parents get generated usernames (``regenboog-g001``) they never chose and do not remember;
the e-mail address the school has on file is what they know. So the login takes either:

- the username, exactly as Django's own backend takes it;
- else, if that is no username, an e-mail address, compared without case, that exactly one
  account has. An address shared by two accounts (two parents on one family mailbox) logs
  neither in by e-mail: the error is the same generic one as for a wrong password, so the
  page never says that an address is known, let alone shared. They log in by username.

:func:`account_for_login` is the one answer to "whose account is this login for?": the
backend asks it, and so does django-axes (``AXES_USERNAME_CALLABLE``, see
:func:`accounts.signin.axes_username`), so wrong passwords typed with the e-mail address count
against the account's username and the lockout cannot be dodged by typing the other name.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from accounts.models import User


def account_for_login(typed: str) -> User | None:
    """The account a typed username or e-mail address names, or None (unknown, or an address
    more than one account has)."""
    typed = (typed or "").strip()
    if not typed:
        return None
    by_name = User.objects.filter(username=typed).first()
    if by_name is not None or "@" not in typed:
        return by_name
    # Two rows at most: enough to tell "one" from "shared".
    found = list(User.objects.filter(email__iexact=typed)[:2])
    return found[0] if len(found) == 1 else None


class EmailBackend(ModelBackend):
    """The e-mail half of the login: Django's model backend (passwords, active flag,
    permissions) finding the account by its address when the typed text is no username.

    Listed after Django's own backend, which keeps the username half: so sessions that backend
    began stay valid, and a username is checked once, never twice."""

    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> User | None:
        if username is None or password is None or "@" not in username:
            return None
        if User.objects.filter(username=username.strip()).exists():
            return None  # a username: Django's backend has answered for it
        user = account_for_login(username)
        if user is None:
            # As Django's backend does: spend a hash's time, so an unknown or shared address
            # answers no faster than a wrong password.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
