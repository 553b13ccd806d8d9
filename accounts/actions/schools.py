"""A new school, with what a school needs to exist, and its first admin."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from accounts.actions.invitations import issue_invitation
from accounts.actions.people import create_account
from accounts.models import Invitation, Role, School, User
from accounts.signals import school_created
from archive import chain, scopes


class SchoolSetupRefused(ValueError):
    """The first admin's username is taken by someone who cannot be this school's admin."""


@dataclass
class SchoolSetUp:
    school: School
    created: bool
    admin: User
    # The raw one-time link token (None: no new link was issued).
    token: str | None


def create_school(name: str, *, slug: str, actor: User | None = None,
                  language: str = "") -> tuple[School, bool]:
    """The school with this slug, created if it is new (``admin.school_created``), with what
    other apps make for every school (consent's purposes, through
    :data:`accounts.signals.school_created`). Idempotent: returns (school, created); an
    existing school keeps its language (the admin changes it on the policies page)."""
    if language and language not in dict(settings.LANGUAGES):
        raise ValueError(f"not a language of this installation: {language!r}")
    with transaction.atomic():
        school = School.objects.filter(slug=slug).first()
        if school is not None:
            return school, False
        school = School.objects.create(slug=slug, name=name, language=language)
        chain.record("admin.school_created", scope=scopes.school(school.pk), actor=actor,
                       subjects=[], payload={"school": school.pk, "slug": slug,
                                             "language": language})
        school_created.send(sender=School, school=school)
    return school, True


def set_up_school(name: str, *, slug: str, admin_username: str, admin_name: str = "",
                  admin_email: str = "", new_link: bool = False,
                  language: str = "") -> SchoolSetUp:
    """The operator's first step on a new installation: the school and its first admin, with a
    one-time link for the admin (a new admin always gets one; an existing one only when asked,
    then a password-reset link if they had set a password). Raises SchoolSetupRefused."""
    with transaction.atomic():
        school, created = create_school(name, slug=slug, language=language)
        admin = User.objects.filter(username=admin_username).first()
        if admin is not None and admin.school_id != school.pk:
            raise SchoolSetupRefused(f"the username {admin_username!r} belongs to another school")
        if admin is None:
            admin = create_account(school, actor=None, username=admin_username,
                                   display_name=admin_name or admin_username, role=Role.ADMIN,
                                   email=admin_email)
            new_link = True
        elif not admin.is_school_admin:
            raise SchoolSetupRefused(f"{admin_username!r} exists and is not an admin")
        token = None
        if new_link:
            purpose = Invitation.Purpose.RESET if admin.is_active else Invitation.Purpose.INVITE
            token = issue_invitation(admin, purpose=purpose)[1]
    return SchoolSetUp(school=school, created=created, admin=admin, token=token)
