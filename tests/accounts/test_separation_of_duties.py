"""Separation of duties: the school admin manages accounts but never becomes the DPO or the
safeguarding lead, and reads no conversation it is not in.

Personas: ``admin`` (the school admin), ``dpo`` (an active DPO with two-factor enrolled),
``lead`` (the safeguarding lead), ``teacher`` and ``parent`` of 4B, who talk in the 4B group
the admin is not in. The operator is the command line (``manage.py operator_account``).
"""

import io
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks

from accounts.actions.invitations import awaiting_invitation, issue_invitation
from accounts.actions.people import create_account
from accounts.models import Invitation, Role, School, User
from accounts.roster import RosterRejected, import_roster
from archive.models import Record
from tests.accounts.test_roster import as_csv, roster_rows
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

OPERATOR_ROLES = ["dpo", "safeguarding"]


@pytest.fixture
def dpo(school: School) -> User:
    user = UserFactory(username="dpo", display_name="Data Protection", role=Role.DPO,
                       school=school, ref="D1")
    user.totp_secret, user.totp_confirmed_at = "JBSWY3DPEHPK3PXP", timezone.now()
    user.save()
    return user


@pytest.fixture
def lead(school: School) -> User:
    return UserFactory(username="lead", display_name="Safe Guard", role=Role.SAFEGUARDING,
                       school=school)


def kinds(school: School) -> list[str]:
    return list(Record.objects.filter(scope=f"school:{school.pk}").order_by("position")
                .values_list("kind", flat=True))


# --- creating ------------------------------------------------------------------------------
@pytest.mark.parametrize("role", OPERATOR_ROLES)
def test_the_admin_cannot_create_a_dpo_or_safeguarding_lead(client: Client, admin: User, school: School,
                                                            role: str) -> None:
    client.force_login(admin)
    page = client.get(reverse("accounts:school_people"))
    offered = [value for value, _label in page.context["form"].fields["role"].choices]
    assert "teacher" in offered and role not in offered
    assert f'<option value="{role}"' not in page.content.decode().split("Create an account", 1)[1]
    response = client.post(reverse("accounts:school_people"), {
        "username": "sneaky", "display_name": "Sneaky", "role": role,
        "email": "sneaky@example.invalid", "phone": ""})
    assert response.status_code == 200 and response.context["link"] is None
    assert "role" in response.context["form"].errors
    assert "/invite/" not in response.content.decode()
    assert not User.objects.filter(username="sneaky").exists()


@pytest.mark.parametrize("role", OPERATOR_ROLES)
def test_the_actions_refuse_a_person_as_actor_for_those_roles(admin: User, school: School, dpo: User,
                                                              role: str) -> None:
    with pytest.raises(PermissionDenied):
        create_account(school, actor=admin, username="x", display_name="X", role=role)
    with pytest.raises(PermissionDenied):
        issue_invitation(dpo, actor=admin, purpose=Invitation.Purpose.RESET)
    assert not User.objects.filter(username="x").exists()
    assert not Invitation.objects.filter(user=dpo).exists()


# --- changing ------------------------------------------------------------------------------
@pytest.mark.parametrize("persona", ["dpo", "lead"])
def test_the_admin_can_do_nothing_to_the_dpo_or_the_lead(client: Client, request: pytest.FixtureRequest,
                                                         admin: User, persona: str) -> None:
    target = request.getfixturevalue(persona)
    before = (target.password, target.totp_secret, target.role, target.email)
    client.force_login(admin)
    people = client.get(reverse("accounts:school_people")).content.decode()
    assert target.public_name in people and "managed by the operator" in people
    assert reverse("accounts:school_person", args=[target.pk]) not in people
    assert client.get(reverse("accounts:school_person", args=[target.pk])).status_code == 404
    for name, data in [
        ("school_person", {"display_name": "Mine now", "role": "teacher",
                           "email": "admin@example.invalid", "phone": ""}),
        ("school_person_link", {}),
        ("school_person_reset_2fa", {}),
        ("school_person_leave", {"now": "on"}),
    ]:
        response = client.post(reverse(f"accounts:{name}", args=[target.pk]), data)
        assert response.status_code == 404, name
    target.refresh_from_db()
    assert (target.password, target.totp_secret, target.role, target.email) == before
    assert target.is_active and target.leaves_on is None and target.left_at is None
    assert not Invitation.objects.filter(user=target).exists()


def test_no_role_change_to_the_dpo_role(client: Client, admin: User, teacher: User) -> None:
    client.force_login(admin)
    url = reverse("accounts:school_person", args=[teacher.pk])
    offered = [v for v, _l in client.get(url).context["form"].fields["role"].choices]
    assert "dpo" not in offered and "safeguarding" not in offered
    for role in OPERATOR_ROLES:
        response = client.post(url, {"display_name": teacher.display_name, "role": role,
                                     "email": teacher.email, "phone": ""})
        assert response.status_code == 200 and "role" in response.context["form"].errors
    teacher.refresh_from_db()
    assert teacher.role == Role.TEACHER


def test_the_admin_neither_lists_nor_withdraws_the_dpos_link(
        client: Client, admin: User, school: School, mailoutbox: list[EmailMessage],
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    out = io.StringIO()
    call_command("operator_account", "create", "--school", school.slug, "--role", "dpo",
                 "--username", "newdpo", "--email", "newdpo@example.invalid", stdout=out)
    invitation = Invitation.objects.get(user__username="newdpo")
    client.force_login(admin)
    page = client.get(reverse("accounts:school_invitations")).content.decode()
    assert "newdpo" not in page
    response = client.post(reverse("accounts:school_invitation_revoke", args=[invitation.pk]))
    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    # Once the link expires, "e-mail the invitations" does not make the admin the DPO's inviter.
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    assert not awaiting_invitation(school).filter(username="newdpo").exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:school_invitations"))
    assert not [m for m in mailoutbox if "newdpo@example.invalid" in m.to]


def test_the_roster_cannot_touch_the_dpo(admin: User, school: School, dpo: User) -> None:
    rows = roster_rows(count=2)
    rows[0][5] = "D1"  # the DPO's own reference as a guardian_ref
    with pytest.raises(RosterRejected) as rejected:
        import_roster(school, as_csv(rows), actor=admin)
    assert "D1" in str(rejected.value)
    dpo.refresh_from_db()
    assert not dpo.guardianships.exists() and dpo.email == "dpo@example.invalid"
    # Whatever it creates is a parent.
    import_roster(school, as_csv(roster_rows(count=6)), actor=admin)
    assert set(User.objects.filter(school=school).exclude(ref="").exclude(pk=dpo.pk)
               .values_list("role", flat=True)) == {Role.PARENT}


# --- the operator --------------------------------------------------------------------------
def operator(*args: str) -> str:
    out = io.StringIO()
    call_command("operator_account", *args, stdout=out)
    match = re.search(r"https://chat\.example(/invite/[\w-]+/)", out.getvalue())
    assert match, out.getvalue()
    return match.group(1)


@pytest.mark.parametrize("role", OPERATOR_ROLES)
def test_the_operator_creates_the_account_and_the_link_works(client: Client, school: School,
                                                             role: str) -> None:
    link = operator("create", "--school", school.slug, "--role", role, "--username", "officer",
                    "--name", "The Officer", "--email", "o@example.invalid",
                    "--url", "https://chat.example/")
    person = User.objects.get(username="officer")
    assert (person.school, person.role, person.is_active) == (school, role, False)
    assert kinds(school)[-2:] == ["admin.account_created", "admin.invitation_issued"]
    created = Record.objects.filter(scope=f"school:{school.pk}").order_by("-position")[:2]
    assert all(r.actor_id is None for r in created)
    response = client.post(link, {"new_password1": "an unusual pass phrase 42",
                                  "new_password2": "an unusual pass phrase 42"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.is_active and person.check_password("an unusual pass phrase 42")


def test_the_operator_resets_the_dpos_password_and_second_factor(client: Client, school: School,
                                                                 dpo: User) -> None:
    link = operator("reset", "--school", school.slug, "--username", "dpo", "--two-factor",
                    "--url", "https://chat.example")
    dpo.refresh_from_db()
    assert dpo.totp_secret == "" and dpo.totp_confirmed_at is None
    assert Invitation.objects.get(user=dpo).purpose == Invitation.Purpose.RESET
    assert kinds(school)[-2:] == ["admin.2fa_reset", "admin.invitation_issued"]
    assert client.get(link).status_code == 200
    assert dpo.check_password(PASSWORD)  # unchanged until they use the link


def test_the_operator_manages_only_those_roles(school: School, teacher: User, dpo: User) -> None:
    with pytest.raises(CommandError, match="school admin manages"):
        call_command("operator_account", "reset", "--school", school.slug,
                     "--username", "teacher", stdout=io.StringIO())
    with pytest.raises(CommandError, match="taken"):
        call_command("operator_account", "create", "--school", school.slug, "--role", "dpo",
                     "--username", "dpo", stdout=io.StringIO())
    with pytest.raises(CommandError, match="no school"):
        call_command("operator_account", "reset", "--school", "nowhere", "--username", "dpo",
                     stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("operator_account", "create", "--school", school.slug, "--role", "admin",
                     "--username", "boss", stdout=io.StringIO())
    assert not Invitation.objects.exists()


# --- what the admin pages say ---------------------------------------------------------------
@pytest.mark.parametrize(("language", "words"), [
    ("en", "Conversations are read only by their members."),
    ("nl", "Gesprekken worden alleen gelezen door hun leden."),
    ("ru", "Переписку читают только её участники."),
])
def test_the_admin_pages_say_who_reads_what(client: Client, admin: User, language: str, words: str) -> None:
    from django.conf import settings

    client.force_login(admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for name in ("school_home", "school_people"):
        assert words in client.get(reverse(f"accounts:{name}")).content.decode(), name
