"""Audit logs read as sentences with names, in the reader's language, never as codes or ids."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.actions.classes import create_class
from accounts.actions.enrolment import enrol, set_guardianship
from accounts.actions.people import create_account, create_pupil
from accounts.actions.schools import create_school
from accounts.models import Role, School, User
from archive.models import AuditEntry, Record
from records import actions, lines
from tests.factories import PASSWORD, UserFactory

ROOT = Path(__file__).resolve().parent.parent.parent
APPS = ("absence", "accounts", "archive", "consent", "messaging", "notifications", "records")
# Kinds built at run time (f-strings): what they can become.
BUILT_KINDS = {"consent.granted", "consent.refused", "consent.withdrawn", "message.pinned",
               "message.unpinned"}
CODE = re.compile(r"\b(admin|account|hold|export|message|member|consent|notifications|retention|"
                  r"archive|audit|pupil)\.[a-z_0-9]+\b")


def _archived_kinds() -> set[str]:
    """Every kind the code passes to ``archive.chain.record`` or ``audit``, read from its syntax."""
    kinds: set[str] = set()

    def constants(node: ast.expr) -> list[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.IfExp):
            return constants(node.body) + constants(node.orelse)
        return []

    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name == "record":
                    kinds.update(constants(node.args[0]))
                elif name in {"audit", "_audit"} and len(node.args) >= 2:
                    kinds.update(constants(node.args[1]))
    return kinds


def test_every_kind_the_code_archives_has_a_sentence() -> None:
    kinds = _archived_kinds() | BUILT_KINDS
    assert len(kinds) > 50, "the scan found too little: has the code moved?"
    missing = {k for k in kinds if "." in k and k not in lines.SENTENCES and not k.startswith("test.")}
    assert missing == set()


@pytest.fixture
def new_school(db: None) -> tuple[School, User]:
    school, _ = create_school("De Regenboog", slug="regenboog")
    admin = create_account(school, actor=None, username="head", display_name="Hanna Hoofd",
                           role=Role.ADMIN)
    return school, admin


def _changes(school: School, admin: User) -> User:
    klass = create_class(school, "Groep 4", actor=admin)
    parent = create_account(school, actor=admin, username="ouder", display_name="Olga Ouder",
                            role=Role.PARENT)
    pupil = create_pupil(school, actor=admin, ref="P1", first_name="Sam", last_name="Jansen")
    enrol(pupil, klass, actor=admin)
    set_guardianship(parent, pupil, actor=admin)
    return parent


def _signed_in(user: User, language: str) -> Client:
    user.set_password(PASSWORD)
    user.is_active = True
    user.save()
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "expected"), [
    ("en", ["Created the class Groep 4.", "Enrolled Sam Jansen in Groep 4.",
            "Made Olga Ouder a guardian of Sam Jansen.",
            "Created the account of Olga Ouder (Parent or guardian)."]),
    ("nl", ["Klas Groep 4 aangemaakt.", "Sam Jansen ingeschreven in Groep 4.",
            "Olga Ouder is nu voogd van Sam Jansen."]),
    ("ru", ["Создан класс Groep 4.", "Sam Jansen: зачисление в Groep 4."]),
])
def test_the_admins_audit_log_names_people_in_the_readers_language(
        new_school: tuple[School, User], language: str, expected: list[str]) -> None:
    school, admin = new_school
    _changes(school, admin)
    page = _signed_in(admin, language).get(reverse("records:school_audit"))
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.content.decode()))
    for sentence in expected:
        assert sentence in text
    assert not CODE.search(text), CODE.search(text)


@pytest.mark.django_db
def test_the_admins_audit_log_pages_by_fifty(new_school: tuple[School, User]) -> None:
    school, admin = new_school
    for number in range(60):
        create_class(school, f"Klas {number}", actor=admin)
    client = _signed_in(admin, "en")
    first = client.get(reverse("records:school_audit")).content.decode()
    assert "Created the class Klas 59." in first and "Created the class Klas 0." not in first
    assert "Page 1 of 2" in first
    second = client.get(reverse("records:school_audit") + "?page=2").content.decode()
    assert "Created the class Klas 0." in second


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.TEACHER, Role.STAFF, Role.PARENT, Role.PUPIL, Role.DPO,
                                  Role.SAFEGUARDING])
def test_only_the_schools_admin_reads_its_audit_log(new_school: tuple[School, User],
                                                    role: str) -> None:
    school, _admin = new_school
    person = UserFactory(school=school, role=role)
    assert _signed_in(person, "en").get(reverse("records:school_audit")).status_code == 404


@pytest.mark.django_db
def test_another_schools_admin_sees_only_their_own_schools_log(
        new_school: tuple[School, User]) -> None:
    school, admin = new_school
    _changes(school, admin)
    other, _ = create_school("Elsewhere", slug="elsewhere")
    other_admin = create_account(other, actor=None, username="other", display_name="Other Head",
                                 role=Role.ADMIN)
    text = _signed_in(other_admin, "en").get(reverse("records:school_audit")).content.decode()
    assert "Sam Jansen" not in text and "Olga Ouder" not in text


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    response = client.get(reverse("records:school_audit"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_the_dpos_audit_log_says_what_they_did_to_whom(new_school: tuple[School, User]) -> None:
    school, admin = new_school
    parent = _changes(school, admin)
    dpo = create_account(school, actor=None, username="dpo", display_name="Dora Privacy",
                         role=Role.DPO)
    client = _signed_in(dpo, "nl")
    hold = actions.place_hold(dpo, parent, "Klacht van een ouder")
    actions.lift_hold(dpo, hold, "Afgehandeld")
    text = client.get(reverse("archive:audit")).content.decode()
    with translation.override("nl"):
        assert lines.sentence("hold.placed", {"user": parent.pk}, lines.Names([])) != ""
    assert "Juridische bewaarplicht ingesteld voor Olga Ouder." in text
    assert "Dora Privacy" in text
    assert not CODE.search(re.sub(r"<[^>]+>", " ", text))
    assert AuditEntry.objects.filter(action="audit.viewed", actor=dpo).exists()


@pytest.mark.django_db
def test_a_purged_payload_still_reads_as_a_sentence(new_school: tuple[School, User]) -> None:
    school, admin = new_school
    create_class(school, "Groep 7", actor=admin)
    record = Record.objects.get(kind="admin.class_created")
    with translation.override("en"):
        [line] = lines.record_lines([record])
        assert line.text == "Created the class Groep 7." and line.who == "Hanna Hoofd"
        # Without its payload (or with the class gone) the line still names no code or id.
        assert lines.sentence("admin.class_created", {}, lines.Names([])) == \
            "Created the class a removed class."
        assert lines.sentence("something.new", {"user": 7}, lines.Names([])) == \
            "Recorded a change."
