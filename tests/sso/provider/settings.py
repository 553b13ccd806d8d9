"""A real OpenID provider for the single sign-on tests: django-oauth-toolkit with OIDC on.

Run in its own process (``python -m tests.sso.provider.serve``) on a loopback port, with its
own SQLite file; never part of Schoolchat. Its settings come from the environment the test
gives it:

- ``PROVIDER_DB``: the SQLite file; ``PROVIDER_ISSUER``: ``http://127.0.0.1:<port>/o``;
- ``PROVIDER_RSA_KEY``: the PEM of an RSA key the test generated (signs the ID tokens);
- ``PROVIDER_PEOPLE``: a JSON file of the people who can sign in here and their claims.
"""

from __future__ import annotations

import os
from pathlib import Path

SECRET_KEY = "provider-only-used-in-tests-" + "x" * 40
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "tests.sso.provider.urls"
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "oauth2_provider",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3",
                         "NAME": os.environ.get("PROVIDER_DB", "/tmp/provider.sqlite3")}}
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [Path(__file__).parent / "templates"],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": ["django.template.context_processors.request",
                                       "django.contrib.auth.context_processors.auth"]},
}]
AUTHENTICATION_BACKENDS = ["tests.sso.provider.people.PeopleBackend"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "/login/"
# Browsers keep cookies per host, not per port: the provider's own names keep its session from
# replacing Schoolchat's on 127.0.0.1.
SESSION_COOKIE_NAME = "provider_session"
CSRF_COOKIE_NAME = "provider_csrftoken"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": os.environ.get("PROVIDER_RSA_KEY", ""),
    "OIDC_ISS_ENDPOINT": os.environ.get("PROVIDER_ISSUER", ""),
    "PKCE_REQUIRED": True,
    "SCOPES": {"openid": "OpenID Connect", "email": "E-mail address", "profile": "Profile"},
    "OAUTH2_VALIDATOR_CLASS": "tests.sso.provider.people.Validator",
}
