"""Set up a school and its first admin on a new installation.

The admin account is created inactive with no password; the command prints a one-time
invitation link (valid 7 days) with which the admin chooses a password and enrols two-factor
authentication. Running it again for an existing school changes nothing and issues no link
unless ``--new-link`` asks for one (the earlier link is revoked; an admin who has already set a
password gets a password-reset link, the only way back in if the school's only admin forgets it).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts import actions
from accounts.models import Invitation, Role, School, User


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

    def handle(self, name: str, *, slug: str, admin: str, admin_name: str, email: str, url: str,
               new_link: bool, **options: Any) -> None:
        with transaction.atomic():
            school, created = School.objects.get_or_create(slug=slug, defaults={"name": name})
            user = User.objects.filter(username=admin).first()
            if user is not None and user.school_id != school.pk:
                raise CommandError(f"the username {admin!r} belongs to another school")
            if user is None:
                user = actions.create_account(school, actor=None, username=admin,
                                              display_name=admin_name or admin, role=Role.ADMIN,
                                              email=email)
                new_link = True
            elif user.role != Role.ADMIN:
                raise CommandError(f"{admin!r} exists and is not an admin")
            token = None
            if new_link:
                # An active admin who lost their password gets a reset link instead.
                purpose = Invitation.Purpose.RESET if user.is_active else Invitation.Purpose.INVITE
                token = actions.issue_invitation(user, purpose=purpose)[1]
        self.stdout.write(f"school {school.name} ({school.slug}): {'created' if created else 'exists'}")
        if token is None:
            self.stdout.write(f"admin {user.username}: exists; no new link (use --new-link)")
            return
        self.stdout.write(self.style.SUCCESS(
            f"admin {user.username}: open this link within 7 days to choose a password:\n"
            f"  {url.rstrip('/')}/invite/{token}/"
        ))
