"""Start the test provider: its tables, the Schoolchat client, then a server on the port.

    python -m tests.sso.provider.serve PORT

The client is ``schoolchat`` / :data:`CLIENT_SECRET`, confidential, code flow, RS256, no
consent screen. Its redirect addresses are the callback of the school with the slug
:data:`SLUG` on any loopback port (RFC 8252: the port of a loopback redirect is not compared)
and on Django's test client's host.
"""

from __future__ import annotations

import os
import sys

CLIENT_ID = "schoolchat"
CLIENT_SECRET = "provider-client-secret"
# Every person of the provider (people.py) signs in with it.
PASSWORD = "provider-password"
SLUG = "test-primary"
REDIRECT_URIS = [f"http://127.0.0.1/sso/{SLUG}/callback/",
                 f"http://testserver/sso/{SLUG}/callback/"]


def main(port: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.sso.provider.settings"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    from oauth2_provider.models import Application

    Application.objects.update_or_create(client_id=CLIENT_ID, defaults={
        "name": "Schoolchat", "client_type": Application.CLIENT_CONFIDENTIAL,
        "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
        "client_secret": CLIENT_SECRET, "redirect_uris": " ".join(REDIRECT_URIS),
        "algorithm": Application.RS256_ALGORITHM, "skip_authorization": True})
    call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, use_threading=True)


if __name__ == "__main__":
    main(sys.argv[1])
