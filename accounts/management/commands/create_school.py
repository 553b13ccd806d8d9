"""Set up a school and its first admin on a new installation.

The admin account is created inactive with no password; the command prints a one-time
invitation link (valid 7 days) with which the admin chooses a password and enrols two-factor
authentication. Running it again for an existing school changes nothing and issues no link
unless ``--new-link`` asks for one (the earlier link is revoked; an admin who has already set a
password gets a password-reset link, the only way back in if the school's only admin forgets it).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.actions.schools import SchoolSetupRefused, set_up_school


class Command(BaseCommand):
    help = "Create a school and its first admin, and print the admin's invitation link."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the school's name, e.g. 'De Regenboog'")
        parser.add_argument("--slug", required=True, help="short name used in URLs and commands")
        parser.add_argument("--admin", required=True, help="the admin's username")
        parser.add_argument("--admin-name", default="", help="the admin's display name")
        parser.add_argument("--email", default="", help="the admin's e-mail address")
        parser.add_argument("--url", default="", help="the site's address, e.g. https://chat.school.example")
        parser.add_argument("--new-link", action="store_true", help="issue a fresh invitation link")
        parser.add_argument(
            "--language", default="", choices=["", *dict(settings.LANGUAGES)],
            help="the school's language, for mails to people who chose none and for the "
                 "paperwork (default: the installation's LANGUAGE_CODE)")

    def handle(self, name: str, *, slug: str, admin: str, admin_name: str, email: str, url: str,
               new_link: bool, language: str = "", **options: Any) -> None:
        try:
            done = set_up_school(name, slug=slug, admin_username=admin, admin_name=admin_name,
                                 admin_email=email, new_link=new_link, language=language)
        except SchoolSetupRefused as exc:
            raise CommandError(str(exc)) from exc
        school = done.school
        self.stdout.write(f"school {school.name} ({school.slug}): "
                          f"{'created' if done.created else 'exists'}")
        if done.token is None:
            self.stdout.write(f"admin {done.admin.username}: exists; no new link (use --new-link)")
            return
        self.stdout.write(self.style.SUCCESS(
            f"admin {done.admin.username}: open this link within 7 days to choose a password:\n"
            f"  {url.rstrip('/')}/invite/{done.token}/"
        ))
