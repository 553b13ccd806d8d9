"""Set up (or change, or remove) a school's sign-in with its OpenID Connect provider.

    manage.py school_sso SLUG --issuer URL --client-id ID --client-secret SECRET \\
        --match email [--trust-provider-2fa] [--name Microsoft]

``--client-secret -`` reads the secret from standard input, so it stays out of the shell's
history and the process list. On a school that has a provider already, options left out keep
their value (the secret included). ``--off`` keeps the settings but stops offering it;
``--remove`` deletes them. Each change is archived as the school admin's would be, by the
operator.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import School
from sso import actions
from sso.models import Match, SsoProvider


class Command(BaseCommand):
    help = "Set up a school's staff sign-in with its OpenID Connect provider."
    # Where "--client-secret -" reads from (a test hands its own).
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the school's short name")
        parser.add_argument("--issuer", help="the provider's issuer URL (https)")
        parser.add_argument("--client-id")
        parser.add_argument("--client-secret", help="the client secret, or - to read it from stdin")
        parser.add_argument("--match", choices=Match.values,
                            help="the claim that finds the account: email or username")
        parser.add_argument("--name", help='shown on the login page as "Sign in with NAME"')
        parser.add_argument("--trust-provider-2fa", action="store_true", default=None,
                            help="no Schoolchat code when the provider says a second factor "
                                 "was used")
        parser.add_argument("--no-trust-provider-2fa", dest="trust_provider_2fa",
                            action="store_false", help="always ask the Schoolchat code")
        parser.add_argument("--off", action="store_true", help="keep the settings, offer nothing")
        parser.add_argument("--remove", action="store_true", help="delete the settings")

    def handle(self, slug: str, **options: Any) -> None:
        school = School.objects.filter(slug=slug).first()
        if school is None:
            raise CommandError(f"no school with the short name {slug!r}")
        if options["remove"]:
            removed = actions.remove(None, school)
            self.stdout.write(f"{school.slug}: single sign-on "
                              f"{'removed' if removed else 'was not set up'}")
            return
        current = SsoProvider.objects.filter(school=school).first()
        secret = options["client_secret"] or ""
        if secret == "-":
            secret = (options.get("stdin") or sys.stdin).readline().strip()

        def given(option: str, field: str, default: Any = None) -> Any:
            value = options[option]
            if value is not None:
                return value
            return getattr(current, field) if current is not None else default

        issuer, client_id = given("issuer", "issuer"), given("client_id", "client_id")
        if not issuer or not client_id:
            raise CommandError("give --issuer and --client-id (and --client-secret)")
        wanted = actions.Settings(
            name=given("name", "name") or _default_name(issuer), issuer=issuer,
            client_id=client_id, client_secret=secret,
            match=given("match", "match", Match.EMAIL),
            trust_provider_2fa=bool(given("trust_provider_2fa", "trust_provider_2fa", False)),
            enabled=not options["off"])
        try:
            provider = actions.configure(None, school, wanted)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        state = "offered" if provider.enabled else "set up, not offered"
        self.stdout.write(self.style.SUCCESS(
            f"{school.slug}: sign in with {provider.name} ({provider.issuer}), matched by "
            f"{provider.match}, provider's second factor "
            f"{'trusted' if provider.trust_provider_2fa else 'not trusted'}: {state}"))


def _default_name(issuer: str) -> str:
    host = issuer.split("//", 1)[-1].split("/", 1)[0]
    return host or issuer
