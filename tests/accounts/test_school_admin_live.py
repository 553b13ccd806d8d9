"""The school admin's forms against a live server on a committing database, in a school made
with ``create_school`` (not the demo): each request commits as in production, so a missing
transaction, an archive record outside one or an ``on_commit`` that never runs shows here.
"""

import io
import re
from unittest.mock import ANY

import pytest
from django.core import mail
from django.core.management import call_command
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from accounts.models import Invitation, Role, School, SchoolClass, User
from accounts.roster import import_roster
from archive import chain, scopes
from archive.models import Record
from tests.accounts.test_roster import as_csv, roster_rows
from tests.http import Answer, LiveClient, new_school_link

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "a-long-school-secret-7"


@pytest.fixture
def new_school(live_server: LiveServer, settings: Settings) -> tuple[School, User, LiveClient]:
    """A fresh school whose first admin accepted the printed link, and a client logged in as
    that admin."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    visitor = LiveClient(live_server.url)
    link = new_school_link(live_server.url)
    answer = visitor.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD},
                          follow=False)
    assert answer.status == 302, answer.text
    admin = User.objects.get(username="head")
    assert admin.is_active
    return School.objects.get(slug="regenboog"), admin, LiveClient(live_server.url, admin)


def kinds(school: School, prefix: str = "admin.") -> list[str]:
    return list(Record.objects.filter(scope=scopes.school(school.pk), kind__startswith=prefix)
                .order_by("position").values_list("kind", flat=True))


def test_the_admin_emails_the_invitations_once_with_one_record(
        new_school: tuple[School, User, LiveClient]) -> None:
    school, admin, client = new_school
    import_roster(school, as_csv(roster_rows(count=4)), actor=admin)
    page = client.get("/school/invitations/")
    assert page.status == 200 and "2 accounts with an e-mail address" in page.text

    answer = client.post("/school/invitations/", {})
    assert answer.status == 200, answer.text[:2000]
    assert answer.url.endswith("/school/invitations/")
    assert "2 invitations sent by e-mail." in answer.text
    assert sorted(m.to for m in mail.outbox) == [["g0000@example.invalid"],
                                                ["g0001@example.invalid"]]
    assert kinds(school).count("admin.invitations_emailed") == 1
    emailed = Record.objects.get(scope=f"school:{school.pk}", kind="admin.invitations_emailed")
    assert emailed.payload.content == {"count": 2, "salt": ANY} and emailed.actor_id == admin.pk
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


def test_the_admin_creates_a_person_and_sees_their_link(new_school: tuple[School, User, LiveClient]) -> None:
    school, _admin, client = new_school
    answer = client.post("/school/people/", {
        "username": "juf", "display_name": "Juf Anna", "role": "teacher",
        "email": "anna@example.invalid", "phone": ""})
    assert answer.status == 200 and "/invite/" in answer.text
    person = User.objects.get(username="juf")
    assert person.role == Role.TEACHER and not person.is_active
    assert kinds(school)[-2:] == ["admin.account_created", "admin.invitation_issued"]


def test_the_admin_creates_a_class_with_its_group(new_school: tuple[School, User, LiveClient]) -> None:
    school, _admin, client = new_school
    answer = client.post("/school/classes/", {"name": "1A"}, form_page="/school/classes/")
    assert answer.status == 200, answer.text[:2000]
    created = SchoolClass.objects.get(school=school, name="1A")
    assert answer.url.endswith(f"/school/classes/{created.pk}/")
    assert "admin.class_created" in kinds(school)


def test_the_admin_cannot_make_or_touch_a_dpo(new_school: tuple[School, User, LiveClient],
                                              live_server: LiveServer) -> None:
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


# --- every other form of the admin area, each leaving exactly one record of its kind ----------
def mark(school: School) -> int:
    """The school's newest archive position: what a form adds comes after it."""
    last = Record.objects.filter(scope=f"school:{school.pk}").order_by("-position").first()
    return last.position if last else 0


def added(school: School, since: int) -> list[str]:
    return list(Record.objects.filter(scope=f"school:{school.pk}", position__gt=since)
                .order_by("position").values_list("kind", flat=True))


def active_person(school: School, admin: User, username: str, role: str) -> User:
    """A person made through the admin's own actions who set their password from the link."""
    from accounts.actions.invitations import accept_invitation, invite_new_account

    person, _token = invite_new_account(school, actor=admin, username=username,
                                        display_name=username.title(), role=role)
    return accept_invitation(person.invitations.get(), PASSWORD)


def test_a_role_change_is_one_record_and_ends_the_persons_sessions(
        new_school: tuple[School, User, LiveClient], live_server: LiveServer) -> None:
    school, admin, client = new_school
    parent = active_person(school, admin, "ouder", Role.PARENT)
    theirs = LiveClient(live_server.url, parent)
    assert theirs.get("/school/", follow=False).status == 404  # signed in, not an admin
    since = mark(school)
    answer = client.post(f"/school/people/{parent.pk}/", {
        "display_name": "Ouder", "role": "teacher", "email": "", "phone": ""})
    assert answer.status == 200 and "Saved." in answer.text
    new = added(school, since)
    assert new.count("admin.person_changed") == 1 and "account.sessions_ended" in new
    parent.refresh_from_db()
    assert parent.role == Role.TEACHER
    # Their session is gone: the next page sends them to sign in (with a second factor now).
    assert "/login/" in theirs.get("/school/").url


def test_a_new_link_for_a_person_is_one_record(new_school: tuple[School, User, LiveClient]) -> None:
    school, admin, client = new_school
    teacher = active_person(school, admin, "juf", Role.TEACHER)
    since = mark(school)
    answer = client.post(f"/school/people/{teacher.pk}/link", {},
                         form_page=f"/school/people/{teacher.pk}/")
    assert answer.status == 200 and "/invite/" in answer.text
    assert added(school, since).count("admin.invitation_issued") == 1
    assert teacher.invitations.filter(purpose=Invitation.Purpose.RESET).count() == 1


def test_leave_now_is_one_record_and_closes_the_account(new_school: tuple[School, User, LiveClient]) -> None:
    school, admin, client = new_school
    teacher = active_person(school, admin, "juf", Role.TEACHER)
    since = mark(school)
    answer = client.post(f"/school/people/{teacher.pk}/leave", {"now": "on"},
                         form_page=f"/school/people/{teacher.pk}/")
    assert answer.status == 200 and "Leave date saved." in answer.text
    # The leave date once (not again as a second record of the same fact), then its effects.
    assert added(school, since) == ["admin.leaver_set", "account.deactivated",
                                    "account.sessions_ended"]
    teacher.refresh_from_db()
    assert not teacher.is_active


def test_a_second_factor_reset_is_one_record(new_school: tuple[School, User, LiveClient]) -> None:
    from accounts.actions.twofactor import enrol_second_factor
    from accounts.twofactor import new_secret

    school, admin, client = new_school
    teacher = active_person(school, admin, "juf", Role.TEACHER)
    enrol_second_factor(teacher, new_secret())
    since = mark(school)
    answer = client.post(f"/school/people/{teacher.pk}/reset-2fa", {},
                         form_page=f"/school/people/{teacher.pk}/")
    assert answer.status == 200 and "Two-factor sign-in was reset" in answer.text
    assert added(school, since).count("admin.2fa_reset") == 1
    teacher.refresh_from_db()
    assert teacher.totp_confirmed_at is None


def test_withdrawing_a_link_is_one_record(new_school: tuple[School, User, LiveClient]) -> None:
    school, _admin, client = new_school
    client.post("/school/people/", {"username": "juf", "display_name": "Juf", "role": "teacher",
                                    "email": "juf@example.invalid", "phone": ""})
    invitation = Invitation.objects.get(user__username="juf")
    since = mark(school)
    answer = client.post(f"/school/invitations/{invitation.pk}/revoke", {},
                         form_page="/school/invitations/")
    assert answer.status == 200 and "The link was withdrawn." in answer.text
    assert added(school, since) == ["admin.invitation_revoked"]
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_a_class_and_its_staff_are_one_record_each(new_school: tuple[School, User, LiveClient]) -> None:
    from messaging.models import Membership

    school, admin, client = new_school
    teacher = active_person(school, admin, "juf", Role.TEACHER)
    since = mark(school)
    made = client.post("/school/classes/", {"name": "1A"})
    created = SchoolClass.objects.get(school=school, name="1A")
    assert made.url.endswith(f"/school/classes/{created.pk}/") and "1A" in made.text
    assert added(school, since).count("admin.class_created") == 1
    twice = client.post("/school/classes/", {"name": "1A"})
    assert "There is already a class with this name." in twice.text
    assert SchoolClass.objects.filter(school=school, name="1A").count() == 1
    since = mark(school)
    answer = client.post(f"/school/classes/{created.pk}/", {"user": teacher.pk})
    assert answer.status == 200 and "Juf" in answer.text
    assert added(school, since) == ["admin.staff_assigned"]
    assert Membership.objects.filter(conversation__school_class=created, user=teacher,
                                     ended_at__isnull=True).exists()


def test_moving_a_pupil_is_one_record_and_their_guardian_follows(
        new_school: tuple[School, User, LiveClient]) -> None:
    from accounts.models import Pupil
    from messaging.models import Membership

    school, admin, client = new_school
    import_roster(school, as_csv(roster_rows(count=4)), actor=admin)
    pupil = Pupil.objects.get(school=school, ref="P0000")
    target = SchoolClass.objects.get(school=school, name="2B")
    since = mark(school)
    answer = client.post(f"/school/pupils/{pupil.pk}/", {"change": "move",
                                                        "school_class": target.pk})
    assert answer.status == 200 and "2B" in answer.text
    assert added(school, since) == ["admin.pupil_moved"]
    assert Membership.objects.filter(conversation__school_class=target,
                                     user__ref="G0000", ended_at__isnull=True).exists()


def test_a_group_and_its_members_are_one_record_each(new_school: tuple[School, User, LiveClient]) -> None:
    from messaging.models import Conversation

    school, admin, client = new_school
    teacher = active_person(school, admin, "juf", Role.TEACHER)
    since = mark(school)
    made = client.post("/school/groups/", {"title": "Chess club"})
    assert made.status == 200 and "Chess club" in made.text
    assert added(school, since) == ["admin.group_created"]
    group = Conversation.objects.get(school=school, title="Chess club")
    group_page = f"/school/groups/{group.pk}/"
    assert made.url.endswith(group_page)
    since = mark(school)
    answer = client.post(group_page, {"user": teacher.pk, "manager": "on"})
    assert answer.status == 200 and "Juf" in answer.text
    assert added(school, since) == ["admin.member_added"]


def _upload(client: LiveClient, path: str, name: str, content: bytes) -> Answer:
    """POST a file as the page's form would (multipart, with its CSRF token)."""
    import urllib.request

    from tests.http import CSRF_INPUT

    match = CSRF_INPUT.search(client.get(path).text)
    assert match is not None
    token = match.group(1)
    boundary = "----schoolchat-test"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrfmiddlewaretoken\"\r\n\r\n"
            f"{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n").encode() + content + \
        f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(client.base_url + path, data=body, method="POST", headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Referer": client.base_url + path})
    return client._open(request, True)


def test_a_roster_preview_records_nothing_and_applying_it_is_one_record(
        new_school: tuple[School, User, LiveClient]) -> None:
    from accounts.models import Pupil

    school, _admin, client = new_school
    since = mark(school)
    preview = _upload(client, "/school/roster/", "roster.csv",
                      as_csv(roster_rows(count=6)).encode())
    assert preview.status == 200 and "New pupil P0000" in preview.text
    assert added(school, since) == [] and not Pupil.objects.filter(school=school).exists()
    match = re.search(r'name="confirm" value="([0-9a-f]{64})"', preview.text)
    assert match is not None
    digest = match.group(1)
    applied = client.post("/school/roster/", {"confirm": digest})
    assert applied.status == 200 and "Pupils: 6 created" in applied.text
    new = added(school, since)
    assert new.count("admin.roster_imported") == 1
    # The import leaves the trail the pages would: one record per pupil, guardian and link.
    assert new.count("admin.pupil_created") == 6 and new.count("admin.account_created") == 5
    assert new.count("admin.guardianship_added") == 8


def test_processing_leavers_is_one_record_for_this_school(
        new_school: tuple[School, User, LiveClient]) -> None:
    from datetime import timedelta

    from django.utils import timezone

    school, admin, client = new_school
    teacher = active_person(school, admin, "juf", Role.TEACHER)
    User.objects.filter(pk=teacher.pk).update(leaves_on=timezone.localdate() - timedelta(days=1))
    since = mark(school)
    answer = client.post("/school/leavers/", {})
    assert answer.status == 200 and "1 account deactivated. 0 pupils left." in answer.text
    new = added(school, since)
    assert new.count("admin.leavers_processed") == 1 and new.count("account.deactivated") == 1


def test_saving_the_policies_is_one_record(new_school: tuple[School, User, LiveClient]) -> None:
    school, _admin, client = new_school
    since = mark(school)
    answer = client.post("/school/policies/", {
        "pupil_accounts": "on", "digital_consent_age": "14", "require_staff_2fa": "on",
        "confirm_group_size": "20"})
    assert answer.status == 200 and "Policies saved." in answer.text
    assert added(school, since) == ["admin.policies_changed"]
    school.refresh_from_db()
    assert school.pupil_accounts and school.digital_consent_age == 14


def test_the_admin_sets_what_phones_show_and_keep(new_school: tuple[School, User, LiveClient],
                                                  live_server: LiveServer) -> None:
    school, admin, client = new_school
    page = client.get("/school/policies/")
    assert "What a notification shows on a locked phone" in page.text
    assert 'data-worker-url="/sw.js?offline=1"' in page.text
    since = mark(school)
    answer = client.post("/school/policies/", {
        "digital_consent_age": "16", "require_staff_2fa": "on", "confirm_group_size": "15",
        "lock_screen_text": "excerpt"})  # "keep the last opened conversations" unticked
    assert answer.status == 200 and "Policies saved." in answer.text
    assert added(school, since) == ["admin.policies_changed"]
    record = Record.objects.get(scope=scopes.school(school.pk), kind="admin.policies_changed")
    assert record.payload.content == {"lock_screen_text": "excerpt", "offline_copies": False,
                                      "salt": ANY}
    assert record.actor_id == admin.pk
    school.refresh_from_db()
    assert school.lock_screen_text == "excerpt" and not school.offline_copies
    # Every signed-in page now installs the worker that keeps no pages.
    assert 'data-worker-url="/sw.js?offline=0"' in answer.text

    teacher = active_person(school, admin, "juf", Role.TEACHER)
    refused = LiveClient(live_server.url, teacher).post(
        "/school/policies/", {"lock_screen_text": "none", "offline_copies": "on"},
        form_page="/")
    assert refused.status == 404
    school.refresh_from_db()
    assert school.lock_screen_text == "excerpt" and not school.offline_copies
    assert chain.verify().intact


def test_a_school_made_by_create_school_has_its_consent_purposes(
        new_school: tuple[School, User, LiveClient]) -> None:
    from consent.models import ConsentPurpose

    school, _admin, _client = new_school
    assert ConsentPurpose.objects.filter(school=school).count() > 0
    assert kinds(school)[0] == "admin.school_created"
