"""The operator's API tokens (docs/api.md): make, list and revoke a school's tokens.

    manage.py api_token create --school regenboog --name "Pupil administration" \\
        --scopes roster:write,conversations:read [--acts-as USERNAME]
    manage.py api_token create --school regenboog --name Website --scopes all
    manage.py api_token list --school regenboog
    manage.py api_token revoke --school regenboog sc_AbCd1234

``create`` prints the token on its last line, once: only its hash is kept. Without
``--acts-as`` the token acts as the school's first admin (by account age). The changes go through
the same actions as the admin's token page and are archived alike (``api.token_created``,
``api.token_revoked``), with no actor: the operator is nobody of the school.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Role, School, User
from api.actions import create_token, revoke_token
from api.models import ApiToken, Scope


class Command(BaseCommand):
    help = "Make, list or revoke a school's API tokens; 'create' prints the token last."

    def add_arguments(self, parser: CommandParser) -> None:
        verbs = parser.add_subparsers(dest="verb", required=True)
        create = verbs.add_parser("create", help="a new token, printed once")
        create.add_argument("--name", required=True, help="which system uses it")
        create.add_argument("--scopes", required=True,
                            help=f"comma separated: {', '.join(Scope.values)}")
        create.add_argument("--acts-as", default="",
                            help="the username of the staff member it acts as (default: the "
                                 "school's first admin)")
        listing = verbs.add_parser("list", help="the school's tokens")
        revoke = verbs.add_parser("revoke", help="revoke a token by its prefix (sc_…)")
        revoke.add_argument("prefix")
        for sub in (create, listing, revoke):
            sub.add_argument("--school", required=True, help="the school's short name")

    def handle(self, *, verb: str, school: str, **options: Any) -> None:
        found = School.objects.filter(slug=school).first()
        if found is None:
            raise CommandError(f"no school with the short name {school!r}")
        if verb == "create":
            self._create(found, options["name"], options["scopes"], options["acts_as"])
        elif verb == "list":
            for token in ApiToken.objects.filter(school=found).order_by("created_at"):
                state = "revoked" if token.revoked_at else "active"
                used = token.last_used_at.isoformat() if token.last_used_at else "never used"
                self.stdout.write(f"{token.prefix}  {state}  {token.name}  "
                                  f"[{','.join(token.scopes)}]  {used}")
        else:
            self._revoke(found, options["prefix"])

    def _actor(self, school: School, username: str) -> User:
        people = User.objects.filter(school=school)
        person = (people.filter(username=username).first() if username
                  else people.filter(role=Role.ADMIN, is_active=True).order_by("pk").first())
        if person is None:
            raise CommandError(f"no account {username!r} in this school" if username
                               else "the school has no active admin: name one with --acts-as")
        return person

    def _create(self, school: School, name: str, scopes: str, username: str) -> None:
        acts_as = self._actor(school, username)
        try:
            made = create_token(school, name=name, scopes_wanted=scopes.split(","),
                                acts_as=acts_as, actor=None)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"Token {made.token.prefix}… for {school.slug}, acting as "
                          f"{acts_as.username}, may: {', '.join(made.token.scopes)}.")
        self.stdout.write("It is shown only now; only its hash is kept.")
        self.stdout.write(made.secret)

    def _revoke(self, school: School, prefix: str) -> None:
        tokens = list(ApiToken.objects.filter(school=school, prefix=prefix.rstrip("…")))
        if len(tokens) != 1:
            raise CommandError(f"{len(tokens)} tokens of this school start with {prefix!r}: "
                               "give the prefix the list shows")
        revoked = revoke_token(tokens[0], actor=None)
        self.stdout.write(f"Revoked {revoked.prefix}… ({revoked.name}).")
