"""The school admin area: only the school's own admins; every change archived."""

from collections.abc import Callable
from contextlib import AbstractContextManager
from unittest.mock import ANY

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import EmailMessage
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoCaptureOnCommitCallbacks

from accounts.models import Invitation, Pupil, Role, School, SchoolClass, User
from archive.models import Payload, Record
from messaging.models import Conversation, Membership
from tests.accounts.test_roster import as_csv, roster_rows
from tests.factories import SchoolFactory, UserFactory

pytestmark = pytest.mark.django_db

PAGES = ["accounts:school_home", "accounts:school_people", "accounts:school_invitations",
         "accounts:school_classes", "messaging:school_groups", "accounts:school_roster",
         "accounts:school_leavers", "accounts:school_policies"]


@pytest.fixture
def other_admin(db: None) -> User:
    return UserFactory(username="otheradmin", role=Role.ADMIN,
                       school=SchoolFactory(name="Elsewhere", slug="elsewhere"))


def admin_kinds(school: School) -> list[str]:
    return list(Record.objects.filter(scope=f"school:{school.pk}", kind__startswith="admin.")
                .order_by("position").values_list("kind", flat=True))


@pytest.mark.parametrize("persona", ["teacher", "parent", "dpo"])
def test_everyone_but_the_schools_admins_gets_404(request: pytest.FixtureRequest, client: Client,
                                                  persona: str, conversation_4b: Conversation) -> None:
    client.force_login(request.getfixturevalue(persona))
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 404, name
        assert client.post(reverse(name), {}).status_code == 404, name
    target = request.getfixturevalue("parent")
    assert client.get(reverse("accounts:school_person", args=[target.pk])).status_code == 404


def test_an_anonymous_visitor_is_sent_to_login(client: Client, db: None) -> None:
    response = client.get(reverse("accounts:school_home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_admin_sees_every_page(client: Client, admin: User, conversation_4b: Conversation) -> None:
    client.force_login(admin)
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 200, name


def test_an_admin_of_another_school_cannot_reach_this_schools_people(
        client: Client, other_admin: User, parent: User, class_4b: SchoolClass,
        conversation_4b: Conversation) -> None:
    client.force_login(other_admin)
    assert client.get(reverse("accounts:school_person", args=[parent.pk])).status_code == 404
    response = client.post(reverse("accounts:school_person_leave", args=[parent.pk]),
                           {"now": "on"})
    assert response.status_code == 404
    parent.refresh_from_db()
    assert parent.is_active
    for name, pk in [("accounts:school_class", class_4b.pk),
                     ("messaging:school_group", conversation_4b.pk)]:
        assert client.get(reverse(name, args=[pk])).status_code == 404
    # Their own area lists only their own school's people.
    page = client.get(reverse("accounts:school_people")).content.decode()
    assert "Anna Jansen" not in page


def test_creating_an_account_shows_a_one_time_link_once(client: Client, admin: User, school: School) -> None:
    client.force_login(admin)
    response = client.post(reverse("accounts:school_people"), {
        "username": "newteacher", "display_name": "Mr New", "role": "teacher",
        "email": "new@example.invalid", "phone": ""})
    assert response.status_code == 200
    link = response.context["link"]
    assert "/invite/" in link
    person = User.objects.get(username="newteacher")
    assert not person.is_active and person.school == school
    assert Invitation.objects.filter(user=person).count() == 1
    assert admin_kinds(school)[-2:] == ["admin.account_created", "admin.invitation_issued"]
    # Following the link works.
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert client.get(reverse("accounts:invitation", args=[token])).status_code == 200


def test_leave_now_deactivates_at_once(client: Client, admin: User, parent: User,
                                       conversation_4b: Conversation, school: School) -> None:
    client.force_login(admin)
    response = client.post(reverse("accounts:school_person_leave", args=[parent.pk]),
                           {"now": "on"})
    assert response.status_code == 302
    parent.refresh_from_db()
    assert not parent.is_active and parent.left_at
    assert "admin.leaver_set" in admin_kinds(school)
    assert Record.objects.filter(kind="account.deactivated").exists()


def test_a_group_is_created_and_members_added_and_removed(client: Client, admin: User, teacher: User,
                                                          parent: User, school: School) -> None:
    client.force_login(admin)
    response = client.post(reverse("messaging:school_groups"), {"title": "Chess club"})
    group = Conversation.objects.get(title="Chess club")
    assert response["Location"] == reverse("messaging:school_group", args=[group.pk])
    client.post(reverse("messaging:school_group", args=[group.pk]),
                {"user": teacher.pk, "manager": "on"})
    client.post(reverse("messaging:school_group", args=[group.pk]), {"user": parent.pk})
    assert set(Membership.objects.filter(conversation=group, ended_at__isnull=True)
               .values_list("user__username", flat=True)) == {"teacher", "parent"}
    client.post(reverse("messaging:school_group", args=[group.pk]), {"remove": parent.pk})
    assert not Membership.objects.filter(conversation=group, user=parent,
                                         ended_at__isnull=True).exists()
    kinds = admin_kinds(school)
    assert kinds.count("admin.member_added") == 2 and "admin.member_removed" in kinds
    record = Record.objects.filter(kind="admin.member_added").order_by("pk").first()
    assert record is not None
    assert record.actor_id == admin.pk and record.subject_user_ids == [teacher.pk]
    # The teacher manages the club: they may add members themselves; the parent may not.
    client.force_login(teacher)
    assert client.get(reverse("messaging:school_group", args=[group.pk])).status_code == 200
    client.force_login(parent)
    assert client.get(reverse("messaging:school_group", args=[group.pk])).status_code == 404
    assert client.post(reverse("messaging:school_group", args=[group.pk]),
                       {"user": parent.pk}).status_code == 404


def test_class_groups_cannot_be_edited_by_hand(client: Client, admin: User, parent: User,
                                               conversation_4b: Conversation) -> None:
    client.force_login(admin)
    page = client.get(reverse("messaging:school_group", args=[conversation_4b.pk]))
    assert page.status_code == 200 and not page.context["can_manage"]
    response = client.post(reverse("messaging:school_group", args=[conversation_4b.pk]),
                           {"remove": parent.pk})
    assert response.status_code == 404
    assert Membership.objects.filter(conversation=conversation_4b, user=parent,
                                     ended_at__isnull=True).exists()


def test_roster_upload_previews_every_change_then_applies_on_confirm(
        client: Client, admin: User, school: School,
        django_capture_on_commit_callbacks: Callable[..., AbstractContextManager[object]]) -> None:
    client.force_login(admin)
    upload = SimpleUploadedFile("roster.csv", as_csv(roster_rows(count=6)).encode())
    preview = client.post(reverse("accounts:school_roster"), {"file": upload})
    assert preview.status_code == 200
    body = preview.content.decode()
    assert "New pupil P0000 Дмитрий Петров" in body and "6 created" in body
    assert "Columns separated by commas." in body
    assert not Pupil.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):  # the worker applies it
        confirmed = client.post(reverse("accounts:school_roster"),
                                {"confirm": preview.context["sha256"]})
    applied = client.get(confirmed["Location"])
    assert applied.status_code == 200 and applied.context["job"].state == "done"
    assert Pupil.objects.filter(school=school).count() == 6
    assert "admin.roster_imported" in admin_kinds(school)
    # Confirming twice does not apply twice (the preview is gone).
    again = client.post(reverse("accounts:school_roster"), {"confirm": preview.context["sha256"]})
    assert again.status_code == 302


def test_a_bad_roster_upload_names_the_lines_and_changes_nothing(client: Client, admin: User) -> None:
    client.force_login(admin)
    rows = roster_rows(count=4)
    rows[1][3] = "yesterday"
    upload = SimpleUploadedFile("roster.csv", as_csv(rows).encode())
    response = client.post(reverse("accounts:school_roster"), {"file": upload})
    assert response.status_code == 400
    assert ("Line 3: the date of birth “yesterday” is not a date"
            in response.content.decode())
    assert not Pupil.objects.exists()


def test_policies_are_saved_and_archived(client: Client, admin: User, school: School) -> None:
    client.force_login(admin)
    response = client.post(reverse("accounts:school_policies"), {
        "pupil_accounts": "on", "digital_consent_age": "13", "require_staff_2fa": "on",
        "confirm_group_size": "40"})
    assert response.status_code == 302
    school.refresh_from_db()
    assert school.pupil_accounts and school.digital_consent_age == 13
    assert school.confirm_group_size == 40
    assert not school.parent_direct_messages and not school.staff_pupil_direct_messages
    record = Record.objects.get(kind="admin.policies_changed")
    assert "13" in str(Payload.objects.get(record=record).content)
    # Turning two-factor sign-in on ended every staff session, the admin's own included.
    assert client.get(reverse("accounts:school_policies")).status_code == 302
    client.force_login(admin)
    bad = client.post(reverse("accounts:school_policies"), {"digital_consent_age": "99"})
    assert bad.status_code == 200 and "between 13 and 18" in bad.content.decode()


def test_the_admin_chooses_the_lock_screen_text_and_offline_copies(
        client: Client, admin: User, school: School) -> None:
    client.force_login(admin)
    page = client.get(reverse("accounts:school_policies")).content.decode()
    assert "What a notification shows on a locked phone" in page
    assert "The start of the message" in page and "Sender and conversation only" in page
    assert "Anyone who picks up a parent&#x27;s phone can read its lock screen." in page
    assert "Keep the last opened conversations on each device" in page
    assert "where families share phones or computers" in page

    response = client.post(reverse("accounts:school_policies"), {
        "digital_consent_age": "16", "confirm_group_size": "15",
        "lock_screen_text": "excerpt"})  # offline copies: the box left unticked
    assert response.status_code == 302
    school.refresh_from_db()
    assert school.lock_screen_text == "excerpt" and not school.offline_copies
    [record] = Record.objects.filter(kind="admin.policies_changed")
    assert Payload.objects.get(record=record).content == {
        "lock_screen_text": "excerpt", "offline_copies": False, "salt": ANY}
    # Shown as saved, and back again.
    assert 'value="excerpt" selected' in client.get(
        reverse("accounts:school_policies")).content.decode()
    client.post(reverse("accounts:school_policies"), {
        "digital_consent_age": "16", "confirm_group_size": "15",
        "lock_screen_text": "none", "offline_copies": "on"})
    school.refresh_from_db()
    assert school.lock_screen_text == "none" and school.offline_copies


def test_an_unknown_lock_screen_choice_is_refused(client: Client, admin: User,
                                                  school: School) -> None:
    client.force_login(admin)
    response = client.post(reverse("accounts:school_policies"), {
        "digital_consent_age": "16", "require_staff_2fa": "on", "confirm_group_size": "15",
        "lock_screen_text": "everything", "offline_copies": "on"})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    school.refresh_from_db()
    assert school.lock_screen_text == "none"
    assert not Record.objects.filter(kind="admin.policies_changed").exists()


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMIN])
def test_no_one_but_the_admin_changes_the_phone_policies(client: Client, school: School,
                                                         role: Role) -> None:
    client.force_login(UserFactory(username=f"someone-{role}", role=role, school=school))
    for data in ({"lock_screen_text": "excerpt"}, {"offline_copies": ""}, {}):
        assert client.post(reverse("accounts:school_policies"), data).status_code == 404
    assert client.get(reverse("accounts:school_policies")).status_code == 404
    school.refresh_from_db()
    assert school.lock_screen_text == "none" and school.offline_copies
    assert not Record.objects.filter(kind="admin.policies_changed").exists()


def test_an_admin_of_another_school_cannot_change_these_phone_policies(
        client: Client, other_admin: User, school: School) -> None:
    client.force_login(other_admin)
    client.post(reverse("accounts:school_policies"), {
        "digital_consent_age": "16", "confirm_group_size": "15", "lock_screen_text": "excerpt"})
    school.refresh_from_db()
    assert school.lock_screen_text == "none" and school.offline_copies


def test_policy_defaults(db: None) -> None:
    school = School.objects.create(name="Fresh", slug="fresh")
    assert (school.pupil_accounts, school.digital_consent_age, school.parent_direct_messages,
            school.staff_pupil_direct_messages, school.require_staff_2fa,
            school.confirm_group_size) == (False, 16, False, False, True, 15)


def test_assigning_staff_to_a_class_puts_them_in_its_group(client: Client, admin: User, school: School,
                                                           teacher: User) -> None:
    client.force_login(admin)
    client.post(reverse("accounts:school_classes"), {"name": "7Z"})
    created = SchoolClass.objects.get(school=school, name="7Z")
    client.post(reverse("accounts:school_class", args=[created.pk]), {"user": teacher.pk})
    conversation = Conversation.objects.get(school_class=created)
    assert Membership.objects.filter(conversation=conversation, user=teacher,
                                     ended_at__isnull=True).exists()
    assert {"admin.class_created", "admin.staff_assigned"} <= set(admin_kinds(school))


def test_the_audit_log_lists_admin_actions(client: Client, admin: User, school: School) -> None:
    client.force_login(admin)
    client.post(reverse("messaging:school_groups"), {"title": "Choir"})
    page = client.get(reverse("accounts:school_home")).content.decode()
    assert "Created the group Choir." in page and "admin.group_created" not in page
    assert reverse("records:school_audit") in page


def test_the_pupil_page_changes_flags_classes_and_leave_dates(client: Client, admin: User, school: School,
                                                              class_4b: SchoolClass, class_5a: SchoolClass,
                                                              parent: User,
                                                              conversation_4b: Conversation) -> None:
    from messaging.actions.classes import class_conversation

    emma = Pupil.objects.get(guardianships__guardian=parent)
    link = emma.guardianships.get()
    page_url = reverse("accounts:school_pupil", args=[emma.pk])
    client.force_login(admin)
    assert client.get(page_url).status_code == 200
    # No contact: the parent leaves the class group.
    client.post(page_url, {"change": "guardianship", "guardianship": link.pk,
                           "parental_responsibility": "on", "no_contact": "on"})
    link.refresh_from_db()
    assert link.no_contact
    assert not Membership.objects.filter(conversation=conversation_4b, user=parent,
                                         ended_at__isnull=True).exists()
    client.post(page_url, {"change": "guardianship", "guardianship": link.pk,
                           "parental_responsibility": "on"})
    assert Membership.objects.filter(conversation=conversation_4b, user=parent,
                                     ended_at__isnull=True).exists()
    # Move to 5A: the parent follows.
    client.post(page_url, {"change": "move", "school_class": class_5a.pk})
    conversation_5a = class_conversation(class_5a)
    assert Membership.objects.filter(conversation=conversation_5a, user=parent,
                                     ended_at__isnull=True).exists()
    # Leave now: out of every class group.
    client.post(page_url, {"change": "leave", "now": "on"})
    emma.refresh_from_db()
    assert emma.left_on is not None
    assert not Membership.objects.filter(conversation=conversation_5a, user=parent,
                                         ended_at__isnull=True).exists()
    kinds = admin_kinds(school)
    assert {"admin.guardianship_changed", "admin.pupil_moved", "admin.pupil_leave_set"} <= set(kinds)


def test_the_pupil_page_is_404_for_other_roles_and_schools(client: Client, parent: User, teacher: User,
                                                           class_4b: SchoolClass) -> None:
    emma = Pupil.objects.get(guardianships__guardian=parent)
    other = UserFactory(username="oa", role=Role.ADMIN,
                        school=SchoolFactory(name="Far", slug="far"))
    for user in (parent, teacher, other):
        client.force_login(user)
        url = reverse("accounts:school_pupil", args=[emma.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"change": "leave", "now": "on"}).status_code == 404
    emma.refresh_from_db()
    assert emma.left_on is None


def test_roster_guardians_are_invited_by_email_one_message_each(
        client: Client, admin: User, school: School, mailoutbox: list[EmailMessage],
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    from accounts.roster import import_roster

    import_roster(school, as_csv(roster_rows(count=4)), actor=admin)
    client.force_login(admin)
    page = client.get(reverse("accounts:school_invitations"))
    assert page.context["awaiting"] == 2  # G0000, G0001 have addresses; H0000 has none
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:school_invitations"))
    assert sorted(m.to[0] for m in mailoutbox) == ["g0000@example.invalid",
                                                   "g0001@example.invalid"]
    assert all(len(m.to) == 1 for m in mailoutbox)
    link = next(w for w in mailoutbox[0].body.split() if "/invite/" in w)
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert client.get(reverse("accounts:invitation", args=[token])).status_code == 200
    # A second press sends nothing new: everyone has a pending link.
    client.post(reverse("accounts:school_invitations"))
    assert len(mailoutbox) == 2
    assert "admin.invitations_emailed" in admin_kinds(school)


def test_a_pupil_account_is_made_only_when_the_school_allows_it(client: Client, admin: User, school: School,
                                                                parent: User, class_4b: SchoolClass) -> None:
    emma = Pupil.objects.get(guardianships__guardian=parent)
    page_url = reverse("accounts:school_pupil", args=[emma.pk])
    client.force_login(admin)
    assert client.post(page_url, {"change": "account"}).status_code == 404
    school.pupil_accounts = True
    school.save()
    response = client.post(page_url, {"change": "account"})
    assert response.status_code == 200 and "/invite/" in response.context["link"]
    emma.refresh_from_db()
    assert emma.user is not None and emma.user.role == "pupil" and not emma.user.is_active
    # Below the consent age and without participation consent: not in the class group.
    from messaging.actions.classes import class_conversation

    conversation = class_conversation(class_4b)
    assert not Membership.objects.filter(conversation=conversation, user=emma.user).exists()


@pytest.mark.parametrize(("language", "words"), [
    ("nl", ["Leerlingenlijst importeren", "Vertrekkers", "Schoolbeheerder"]),
    ("ru", ["Импорт списка учеников", "Выбывающие", "Администратор школы"]),
])
def test_the_admin_area_speaks_the_admins_language(client: Client, admin: User, language: str,
                                                   words: list[str]) -> None:
    from django.conf import settings
    from django.utils import translation

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(admin)
    try:
        html = client.get(reverse("accounts:school_people")).content.decode()
    finally:
        translation.activate(settings.LANGUAGE_CODE)
    for word in words:
        assert word in html
