"""The authorization code flow with PKCE against a school's provider, through Authlib.

Authlib reads the provider's ``/.well-known/openid-configuration``, sends the S256 code
challenge with a fresh ``state`` and ``nonce`` (kept in this browser's server-side session),
and on the way back checks the ``state``, exchanges the code with the verifier, verifies the
ID token's signature against the provider's JWKS and its ``iss``, ``aud``, ``exp`` and
``nonce``. Here the school's own settings are handed to it (one client per school, made for
the request), and the discovery document must name exactly the issuer the school set up.

What this module answers is the provider's claims about the person; whether they open an
account is :mod:`sso.signin`'s question.
"""

from __future__ import annotations

from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.django_client import OAuth
from django.http import HttpRequest, HttpResponse
from joserfc.errors import JoseError

from sso import secret_box
from sso.models import SsoProvider
from sso.refusals import Refused

SCOPE = "openid email profile"
# Seconds to wait for the provider's discovery, keys and token endpoints.
TIMEOUT = 10


def _client(provider: SsoProvider) -> Any:
    secret = secret_box.unseal(provider.client_secret_sealed)
    if secret is None:
        raise Refused("secret")
    return OAuth().register(
        name=f"school{provider.school_id}", client_id=provider.client_id, client_secret=secret,
        server_metadata_url=f"{provider.issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": SCOPE, "code_challenge_method": "S256",
                       "default_timeout": TIMEOUT})


def _discovered(provider: SsoProvider) -> Any:
    """The school's client with the provider's metadata loaded, which must name the issuer
    the school set up (OpenID Connect Discovery 1.0, section 4.3)."""
    client = _client(provider)
    try:
        metadata = client.load_server_metadata()
    except (requests.RequestException, ValueError) as exc:
        raise Refused("unreachable", detail=str(exc)) from exc
    if str(metadata.get("issuer", "")).rstrip("/") != provider.issuer:
        raise Refused("wrong_issuer", detail=str(metadata.get("issuer", "")))
    return client


def authorization_redirect(request: HttpRequest, provider: SsoProvider,
                           redirect_uri: str) -> HttpResponse:
    """Send the browser to the provider; the state, nonce and PKCE verifier stay in the
    session."""
    client = _discovered(provider)
    try:
        response: HttpResponse = client.authorize_redirect(request, redirect_uri)
    except (AuthlibBaseError, RuntimeError) as exc:
        raise Refused("unreachable", detail=str(exc)) from exc
    return response


def verified_claims(request: HttpRequest, provider: SsoProvider) -> dict[str, Any]:
    """The ID token's claims, once everything about the answer checked out."""
    if request.GET.get("error"):
        raise Refused("denied", detail=request.GET.get("error", ""))
    if not request.GET.get("code") or not request.GET.get("state"):
        raise Refused("state")
    client = _discovered(provider)
    try:
        token = client.authorize_access_token(request)
    except MismatchingStateError as exc:
        raise Refused("state") from exc
    except OAuthError as exc:
        # The token endpoint's refusal: a code used twice, a missing or wrong PKCE verifier,
        # a wrong client secret.
        raise Refused("token", detail=f"{exc.error}: {exc.description}") from exc
    except requests.RequestException as exc:
        raise Refused("unreachable", detail=str(exc)) from exc
    except (AuthlibBaseError, JoseError, ValueError, KeyError, RuntimeError) as exc:
        raise Refused("id_token", detail=repr(exc)) from exc
    claims = token.get("userinfo") if isinstance(token, dict) else None
    if not claims:
        raise Refused("id_token", detail="no ID token")
    return dict(claims)
