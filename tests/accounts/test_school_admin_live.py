"""The school admin's forms against a live server on a committing database, in a school made
with ``create_school`` (not the demo): each request commits as in production, so a missing
transaction, an archive record outside one or an ``on_commit`` that never runs shows here.
"""

import io
import re

import pytest
from django.core import mail
from django.core.management import call_command

from accounts.models import Invitation, Role, School, SchoolClass, User
from accounts.roster import import_roster
from archive import chain
from archive.models import Record
from tests.accounts.test_roster import as_csv, roster_rows
from tests.http import LiveClient

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "a-long-school-secret-7"


@pytest.fixture
def new_school(live_server, settings):
    """A fresh school whose first admin accepted the printed link, and a client logged in as
    that admin."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    out = io.StringIO()
    call_command("create_school", "De Regenboog", "--slug", "regenboog", "--admin", "head",
                 "--email", "head@example.invalid", "--url", live_server.url, stdout=out)
    link = re.search(r"(/invite/[\w-]+/)", out.getvalue())
    assert link, out.getvalue()
    visitor = LiveClient(live_server.url)
    answer = visitor.post(link.group(1), {"new_password1": PASSWORD, "new_password2": PASSWORD},
                          follow=False)
    assert answer.status == 302, answer.text
    admin = User.objects.get(username="head")
    assert admin.is_active
    return School.objects.get(slug="regenboog"), admin, LiveClient(live_server.url, admin)


def kinds(school, prefix="admin."):
    return list(Record.objects.filter(scope=f"school:{school.pk}", kind__startswith=prefix)
                .order_by("position").values_list("kind", flat=True))


def test_the_admin_emails_the_invitations_once_with_one_record(new_school):
    school, admin, client = new_school
    import_roster(school, as_csv(roster_rows(count=4)), actor=admin)
    page = client.get("/school/invitations/")
    assert page.status == 200 and "2 accounts with an e-mail address" in page.text

    answer = client.post("/school/invitations/", {})
    assert answer.status == 200, answer.text[:2000]
    assert answer.url.endswith("/school/invitations/")
    assert "2 invitation(s) sent by e-mail." in answer.text
    assert sorted(m.to for m in mail.outbox) == [["g0000@example.invalid"],
                                                ["g0001@example.invalid"]]
    assert kinds(school).count("admin.invitations_emailed") == 1
    emailed = Record.objects.get(scope=f"school:{school.pk}", kind="admin.invitations_emailed")
    assert emailed.payload.content == {"count": 2} and emailed.actor_id == admin.pk
    assert Invitation.objects.filter(user__school=school, user__role=Role.PARENT,
                                     used_at__isnull=True).count() == 2
    # The mailed link works.
    link = next(w for w in mail.outbox[0].body.split() if "/invite/" in w)
    assert LiveClient(link.split("/invite/")[0]).get(
        "/invite/" + link.split("/invite/")[1]).status == 200
    # A second press sends nothing new.
    again = client.post("/school/invitations/", {})
    assert again.status == 200 and len(mail.outbox) == 2
    assert chain.verify().intact


def test_the_admin_creates_a_person_and_sees_their_link(new_school):
    school, _admin, client = new_school
    answer = client.post("/school/people/", {
        "username": "juf", "display_name": "Juf Anna", "role": "teacher",
        "email": "anna@example.invalid", "phone": ""})
    assert answer.status == 200 and "/invite/" in answer.text
    person = User.objects.get(username="juf")
    assert person.role == Role.TEACHER and not person.is_active
    assert kinds(school)[-2:] == ["admin.account_created", "admin.invitation_issued"]


def test_the_admin_creates_a_class_with_its_group(new_school):
    school, _admin, client = new_school
    answer = client.post("/school/classes/", {"name": "1A"}, form_page="/school/classes/")
    assert answer.status == 200, answer.text[:2000]
    created = SchoolClass.objects.get(school=school, name="1A")
    assert answer.url.endswith(f"/school/classes/{created.pk}/")
    assert "admin.class_created" in kinds(school)


def test_the_admin_cannot_make_or_touch_a_dpo(new_school, live_server):
    school, _admin, client = new_school
    refused = client.post("/school/people/", {
        "username": "fake-dpo", "display_name": "Fake DPO", "role": "dpo",
        "email": "fake@example.invalid", "phone": ""})
    assert refused.status == 200 and "/invite/" not in refused.text
    assert not User.objects.filter(username="fake-dpo").exists()

    out = io.StringIO()
    call_command("operator_account", "create", "--school", "regenboog", "--role", "dpo",
                 "--username", "dpo", "--email", "dpo@example.invalid", "--url", live_server.url,
                 stdout=out)
    link = re.search(r"(/invite/[\w-]+/)", out.getvalue())
    assert link and LiveClient(live_server.url).get(link.group(1)).status == 200
    dpo = User.objects.get(username="dpo")
    page = client.get("/school/people/")
    assert "managed by the operator" in page.text and f"/school/people/{dpo.pk}/" not in page.text
    for path in (f"/school/people/{dpo.pk}/link", f"/school/people/{dpo.pk}/reset-2fa",
                 f"/school/people/{dpo.pk}/leave"):
        assert client.post(path, {"now": "on"}, form_page="/school/people/").status == 404, path
    assert Invitation.objects.filter(user=dpo).count() == 1

    juf = client.post("/school/people/", {"username": "juf", "display_name": "Juf",
                                          "role": "teacher", "email": "", "phone": ""})
    assert juf.status == 200
    teacher = User.objects.get(username="juf")
    changed = client.post(f"/school/people/{teacher.pk}/", {
        "display_name": "Juf", "role": "dpo", "email": "", "phone": ""})
    assert changed.status == 200
    teacher.refresh_from_db()
    assert teacher.role == Role.TEACHER
    assert "admin.person_changed" not in kinds(school)
