"""Who can sign in at the test provider, and what it says about them.

The people are read from the JSON file named by ``PROVIDER_PEOPLE`` on every sign-in, so a
test writes the people it needs before its browser reaches the provider:
``{"username": {"email": …, "preferred_username": …, "amr": ["pwd", "mfa"]}}``. Every one of
them signs in with ``serve.PASSWORD``; their provider account is made on their first sign-in.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.http import HttpRequest
from oauth2_provider.oauth2_validators import OAuth2Validator

from tests.sso.provider.serve import PASSWORD


def people() -> dict[str, dict[str, Any]]:
    path = os.environ.get("PROVIDER_PEOPLE", "")
    if not path or not Path(path).exists():
        return {}
    loaded: dict[str, dict[str, Any]] = json.loads(Path(path).read_text())
    return loaded


class PeopleBackend(ModelBackend):
    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> Any:
        # The provider's own django.contrib.auth User (Any to mypy, which checks these tests
        # against Schoolchat's settings and their user model).
        if password != PASSWORD or not username or username not in people():
            return None
        user, _ = User.objects.get_or_create(username=username)
        return user


class Validator(OAuth2Validator):  # type: ignore[misc]
    # amr is not a scoped claim of its own: it goes with openid, as providers send it.
    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "amr": "openid", "acr": "openid"}

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        return dict(people().get(request.user.username, {}))
