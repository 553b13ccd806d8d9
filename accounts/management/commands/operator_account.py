"""The operator's accounts: the DPO and the safeguarding lead of a school.

Separation of duties: these people oversee everyone's records, the school admin's included, so a
school admin can neither create them nor reset their password or second factor (which would
let the admin sign in as them). The operator of the installation does, here:

    manage.py operator_account create --school regenboog --role dpo --username dpo \\
        --name "Data protection" --email dpo@school.example --url https://chat.school.example
    manage.py operator_account reset --school regenboog --username dpo --two-factor --url ...

Both print a one-time link (valid 7 days) to hand to the person, never to the school admin. The
changes go through the same actions as the admin pages, so the archive records them alike
(``admin.account_created``, ``admin.invitation_issued``, ``admin.2fa_reset``), with no actor.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.actions.invitations import reissue_link
from accounts.actions.people import create_account
from accounts.actions.twofactor import reset_second_factor
from accounts.models import OPERATOR_ROLES, Role, School, User
from accounts.rules import operator_managed

ROLES = {str(role): Role(role) for role in OPERATOR_ROLES}


class Command(BaseCommand):
    help = "Create or reset a DPO or safeguarding lead account and print its one-time link."

    def add_arguments(self, parser: CommandParser) -> None:
        verbs = parser.add_subparsers(dest="verb", required=True)
        create = verbs.add_parser("create", help="a new DPO or safeguarding lead account")
        create.add_argument("--role", required=True, choices=sorted(ROLES))
        create.add_argument("--name", default="", help="their display name")
        create.add_argument("--email", default="", help="their e-mail address")
        reset = verbs.add_parser("reset", help="a fresh password link for an existing one")
        reset.add_argument("--two-factor", action="store_true",
                           help="also clear their second factor; they enrol again at login")
        for sub in (create, reset):
            sub.add_argument("--school", required=True, help="the school's short name")
            sub.add_argument("--username", required=True)
            sub.add_argument("--url", default="",
                             help="the site's address, e.g. https://chat.school.example")

    def handle(self, *, verb: str, school: str, username: str, url: str,
               **options: Any) -> None:
        found = School.objects.filter(slug=school).first()
        if found is None:
            raise CommandError(f"no school with the short name {school!r}")
        with transaction.atomic():
            if verb == "create":
                person = self._create(found, username, ROLES[options["role"]],
                                      options["name"], options["email"])
            else:
                person = self._existing(found, username)
                if options["two_factor"]:
                    reset_second_factor(person, actor=None)
            _invitation, token = reissue_link(person, actor=None)
        self.stdout.write(self.style.SUCCESS(
            f"{person.get_role_display()} {person.username} ({found.slug}): give them this link, "
            f"valid 7 days, to choose a password:\n  {url.rstrip('/')}/invite/{token}/"
        ))

    def _create(self, school: School, username: str, role: Role, name: str,
                email: str) -> User:
        if User.objects.filter(username=username).exists():
            raise CommandError(f"the username {username!r} is taken; use reset for an "
                               "existing account")
        return create_account(school, actor=None, username=username,
                              display_name=name or username, role=role, email=email)

    def _existing(self, school: School, username: str) -> User:
        person = User.objects.filter(username=username, school=school).first()
        if person is None:
            raise CommandError(f"no account {username!r} in {school.slug}")
        if not operator_managed(person):
            raise CommandError(f"{username!r} is not a DPO or safeguarding lead; the school "
                               "admin manages their account")
        if person.left_at is not None:
            raise CommandError(f"{username!r} has left; their account stays closed")
        return person
