"""Every role against every membership-related action, over HTTP and the websocket.

Personas (all in "Test Primary" unless said otherwise):
- admin: the school admin; manages groups, reads no chats, sees contact details.
- teacher: teaches 4B; manager of the 4B class group and of the chess club.
- teacher_5a: teaches 5A; must have no access to 4B's conversations.
- parent: a parent of a 4B pupil; member of the 4B group and the chess club.
- parent_5a: a parent of a 5A pupil; no access to 4B's conversations.
- staff: office staff (role staff); a plain member (not a manager) of the chess club only.
- pupil: a 4B pupil with an account; pupil accounts are off, so in nothing.
- dpo: reads the archive, not live chats; may see contact details.
- safeguarding: the safeguarding lead; not a member of either conversation.
- leaver: was a 4B parent, now a leaver; every answer is no, every page sends to login.
- other_admin: the admin of another school; nothing of this school is theirs.
- operator (Django admin only): a superuser with no school; reaches the Django admin only
  after the app's login with the second factor. Every other persona is refused there.

The contact details asked about are those of "parent2", another 4B parent.
"""

from __future__ import annotations

import uuid
from datetime import time, timedelta
from typing import TYPE_CHECKING, Any

import pyotp
import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import twofactor
from accounts.access import ACTIONS as ACTION_NAMES
from accounts.access import Action, can, known_actions
from accounts.actions.enrolment import assign_staff
from accounts.actions.leavers import process_leaver
from accounts.models import Pupil, Role, RosterImport, School, SchoolClass, User
from messaging.actions import membership
from messaging.actions import send as send_actions
from messaging.actions.classes import class_conversation, sync_class_conversation
from messaging.consumers import ChatConsumer
from messaging.models import AcknowledgementReminder, Block, Conversation, Membership, Message
from notifications.models import Device
from polls.actions import asking
from polls.actions import voting as poll_voting
from polls.models import Ballot
from tests.factories import PASSWORD, PupilFactory, SchoolFactory, UserFactory, enrol

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse


ACTIONS = ["read", "post", "add member", "remove member", "member list", "contact details"]
RULES: dict[str, Action] = {"read": "conversation.read", "post": "conversation.post",
         "add member": "membership.add", "remove member": "membership.remove",
         "member list": "membership.list"}
PERSONAS = ["admin", "teacher", "teacher_5a", "staff", "parent", "parent_5a", "pupil", "dpo",
            "safeguarding", "leaver", "other_admin"]
T, F = True, False

EXPECTED = {
    # read, post, add member, remove member, member list, contact details (of parent2)
    "class": {
        "admin":        (F, F, F, F, T, T),
        "teacher":      (T, T, F, F, T, F),
        "teacher_5a":   (F, F, F, F, F, F),
        "staff":        (F, F, F, F, F, F),
        "parent":       (T, T, F, F, T, F),
        "parent_5a":    (F, F, F, F, F, F),
        "pupil":        (F, F, F, F, F, F),
        "dpo":          (F, F, F, F, F, T),
        "safeguarding": (F, F, F, F, F, F),
        "leaver":       (F, F, F, F, F, F),
        "other_admin":  (F, F, F, F, F, F),
    },
    "group": {
        "admin":        (F, F, T, T, T, T),
        "teacher":      (T, T, T, T, T, F),
        "teacher_5a":   (F, F, F, F, F, F),
        "staff":        (T, T, F, F, T, F),
        "parent":       (T, T, F, F, T, F),
        "parent_5a":    (F, F, F, F, F, F),
        "pupil":        (F, F, F, F, F, F),
        "dpo":          (F, F, F, F, F, T),
        "safeguarding": (F, F, F, F, F, F),
        "leaver":       (F, F, F, F, F, F),
        "other_admin":  (F, F, F, F, F, F),
    },
}


@pytest.fixture
def world(school: School, class_4b: SchoolClass, class_5a: SchoolClass, teacher: User, parent: User,
          parent_5a: User, admin: User, dpo: User) -> dict[str, Any]:
    """Build the personas through the real actions and return them with both conversations."""
    people = {"admin": admin, "teacher": teacher, "parent": parent, "parent_5a": parent_5a,
              "dpo": dpo}
    people["teacher_5a"] = UserFactory(username="teacher5a", role=Role.TEACHER, school=school)
    assign_staff(people["teacher_5a"], class_5a, actor=admin)
    assign_staff(teacher, class_4b, actor=admin)
    parent2 = UserFactory(username="parent2", display_name="Mark Jansen", role=Role.PARENT,
                          school=school, email="mark@example.invalid", phone="+31 6 9999 0000")
    enrol(PupilFactory(school=school), class_4b, parent2)
    pupil_account = UserFactory(username="pupil", role=Role.PUPIL, school=school)
    enrol(PupilFactory(school=school, user=pupil_account), class_4b)
    people["pupil"] = pupil_account
    people["safeguarding"] = UserFactory(username="safe", role=Role.SAFEGUARDING, school=school)
    people["staff"] = UserFactory(username="office", role=Role.STAFF, school=school)
    leaver = UserFactory(username="leaver", role=Role.PARENT, school=school)
    enrol(PupilFactory(school=school), class_4b, leaver)
    people["other_admin"] = UserFactory(username="otheradmin", role=Role.ADMIN,
                                        school=SchoolFactory(name="Other", slug="other"))
    class_group = class_conversation(class_4b)
    sync_class_conversation(class_4b, actor=admin)
    club = Conversation.objects.create(school=school, kind=Conversation.Kind.GROUP,
                                       title="Chess club")
    membership.add_member(club, teacher, actor=admin, manager=True)
    for member in (parent, parent2, leaver, people["staff"]):
        membership.add_member(club, member, actor=admin)
    process_leaver(leaver, actor=admin)
    people["leaver"] = leaver
    for user in people.values():
        user.refresh_from_db()
    newcomer = UserFactory(username="newcomer", role=Role.PARENT, school=school)
    return {"people": people, "class": class_group, "group": club, "parent2": parent2,
            "newcomer": newcomer}


def test_every_role_is_in_the_matrix(world: dict[str, Any]) -> None:
    assert {user.role for user in world["people"].values()} == set(Role.values)


def test_the_class_group_was_derived_as_expected(world: dict[str, Any]) -> None:
    members = set(Membership.objects.filter(conversation=world["class"], ended_at__isnull=True)
                  .values_list("user__username", flat=True))
    assert members == {"teacher", "parent", "parent2"}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["class", "group"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_can_answers_the_matrix(world: dict[str, Any], kind: str, persona: str) -> None:
    user, conversation = world["people"][persona], world[kind]
    got = (*(can(user, RULES[a], conversation) for a in ACTIONS[:5]),
           can(user, "user.see_contact", world["parent2"]))
    assert got == EXPECTED[kind][persona]
    # Unknown actions, on purpose: denied, whatever the type checker would allow.
    assert not can(user, "conversation.frobnicate", conversation)  # type: ignore[arg-type]
    assert not can(user, "membership.frobnicate", conversation)  # type: ignore[arg-type]


def _denied(response: TestResponse, persona: str) -> bool:
    """Outsiders get 404; a leaver is no longer logged in and is sent to the login page."""
    if persona == "leaver":
        return response.status_code == 302 and response["Location"].startswith(reverse("login"))
    return response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["class", "group"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_http_answers_the_matrix(world: dict[str, Any], kind: str, persona: str) -> None:
    user, conversation = world["people"][persona], world[kind]
    read, post, add, remove, listing, contact = EXPECTED[kind][persona]
    client = Client()
    # For the leaver this is the session they had before leaving.
    client.force_login(user)
    page = client.get(reverse("messaging:conversation", args=[conversation.pk]))
    assert page.status_code == 200 if read else _denied(page, persona)

    before = Message.objects.filter(conversation=conversation).count()
    response = client.post(reverse("messaging:conversation", args=[conversation.pk]),
                           {"body": f"hello from {persona}", "client_id": str(uuid.uuid4())})
    after = Message.objects.filter(conversation=conversation).count()
    assert after == before + int(post)
    if not post:
        assert _denied(response, persona) or (read and response.status_code in (400, 403))

    members = reverse("messaging:members", args=[conversation.pk])
    page = client.get(members)
    if listing:
        body = page.content.decode()
        assert page.status_code == 200
        assert "Mark Jansen" in body and "Parent or guardian" in body
        assert ("mark@example.invalid" in body) is contact
        assert ("+31 6 9999 0000" in body) is contact
    else:
        assert _denied(page, persona)

    manage = reverse("messaging:school_group", args=[conversation.pk])
    newcomer, parent2 = world["newcomer"], world["parent2"]
    # An action the page does not know changes nothing, for managers too.
    response = client.post(manage, {"action": "frobnicate", "member": newcomer.pk,
                                    "promote": parent2.pk})
    assert response.status_code in (200, 400) if add else _denied(response, persona)
    assert not Membership.objects.filter(conversation=conversation, user=newcomer).exists()
    client.post(manage, {"user": newcomer.pk})
    added = Membership.objects.filter(conversation=conversation, user=newcomer,
                                      ended_at__isnull=True).exists()
    assert added is add
    response = client.post(manage, {"remove": parent2.pk})
    still = Membership.objects.filter(conversation=conversation, user=parent2,
                                      ended_at__isnull=True).exists()
    assert still is not remove
    if not remove:
        assert _denied(response, persona)


async def _socket(user: User) -> tuple[WebsocketCommunicator, bool, int | str | None]:
    communicator = WebsocketCommunicator(ChatConsumer.as_asgi(), "/ws/")
    communicator.scope["user"] = user
    connected, code = await communicator.connect()
    return communicator, connected, code


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["class", "group"])
@pytest.mark.parametrize("persona", PERSONAS)
async def test_the_websocket_answers_the_matrix(world: dict[str, Any], kind: str, persona: str) -> None:
    user, conversation = world["people"][persona], world[kind]
    read, post, *_ = EXPECTED[kind][persona]
    communicator, connected, code = await _socket(user)
    if persona == "leaver":
        assert not connected and code == 4401
        return
    assert connected
    assert (await communicator.receive_json_from())["type"] == "hello"
    await communicator.send_json_to({"type": "subscribe", "conversation": conversation.pk,
                                     "after_seq": 0})
    events = []
    while True:
        event = await communicator.receive_json_from(timeout=5)
        events.append(event)
        if event["type"] in ("subscribed", "error"):
            break
    if read:
        assert events[-1]["type"] == "subscribed"
    else:
        assert events[-1] == {"type": "error", "code": "not_found",
                              "message": "No such conversation.",
                              "conversation": conversation.pk}
    client_id = str(uuid.uuid4())
    await communicator.send_json_to({"type": "send", "conversation": conversation.pk,
                                     "client_id": client_id, "body": f"from {persona}"})
    while True:
        event = await communicator.receive_json_from(timeout=5)
        if event["type"] in ("ack", "error") and event.get("client_id") == client_id:
            break
    assert (event["type"] == "ack") is post
    if not post:
        assert event["code"] == ("forbidden" if read else "not_found")
    # An unknown frame type is refused and the socket stays usable.
    await communicator.send_json_to({"type": "add_member", "conversation": conversation.pk,
                                     "user": world["newcomer"].pk})
    refusal = await communicator.receive_json_from(timeout=5)
    while refusal["type"] == "message":
        refusal = await communicator.receive_json_from(timeout=5)
    assert refusal["type"] == "error" and refusal["code"] == "unknown_type"
    assert not await database_sync_to_async(
        Membership.objects.filter(user=world["newcomer"]).exists)()
    await communicator.disconnect()


@pytest.mark.django_db
def test_a_member_sees_only_their_own_contact_details_in_the_member_list(world: dict[str, Any]) -> None:
    client = Client()
    client.force_login(world["people"]["parent"])
    body = client.get(reverse("messaging:members", args=[world["class"].pk])).content.decode()
    assert "anna@example.invalid" in body and "+31 6 5555 0101" in body
    assert "mark@example.invalid" not in body and "+31 6 9999 0000" not in body
    assert "Ms de Vries" in body and "Teacher" in body


# --- the Django admin: operators only, through the two-factor login --------------------------
ADMIN_PERSONAS = [*PERSONAS, "anonymous", "superuser_without_2fa", "superuser_with_2fa"]


def _operator() -> User:
    return UserFactory(username="operator", role=Role.ADMIN, school=None, is_superuser=True,
              is_staff=True)


def _two_factor_login(client: Client, username: str) -> None:
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD,
                                              "next": "/django-admin/"})
    assert response["Location"] == reverse("accounts:2fa_setup")
    secret = client.get(response["Location"]).context["secret"]
    client.post(reverse("accounts:2fa_setup"), {"code": pyotp.TOTP(secret).now()})
    assert client.session.get(twofactor.PASSED)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ADMIN_PERSONAS)
def test_the_django_admin_answers_the_matrix(world: dict[str, Any], persona: str) -> None:
    """Only an active superuser whose login passed the second factor reaches the Django admin,
    whatever is_staff says (every school persona here has it, as demo admins used to)."""
    for user in world["people"].values():
        type(user).objects.filter(pk=user.pk).update(is_staff=True)
    client = Client()
    if persona in world["people"]:
        client.force_login(world["people"][persona])
    elif persona == "superuser_without_2fa":
        client.force_login(_operator())
    elif persona == "superuser_with_2fa":
        _operator()
        _two_factor_login(client, "operator")
    page = client.get("/django-admin/", follow=True)
    if persona == "superuser_with_2fa":
        assert page.status_code == 200 and page.request["PATH_INFO"] == "/django-admin/"
        assert "Site administration" in page.content.decode()
        return
    assert "Site administration" not in page.content.decode()
    if persona in ("anonymous", "superuser_without_2fa", "leaver"):
        # Sent to the app's own login (password, then the second factor), and no longer in.
        assert page.request["PATH_INFO"] == reverse("login")
        if persona != "leaver":  # the leaver's old session names an inactive account
            assert "_auth_user_id" not in client.session
    else:
        assert page.status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("persona", [*PERSONAS, "superuser"])
def test_the_django_admin_login_form_logs_nobody_in(world: dict[str, Any], persona: str) -> None:
    """The admin's own login checks a password alone; a right password there gives nothing:
    no session, no school pages, no conversations."""
    world["people"]["admin"].school.require_staff_2fa = True
    world["people"]["admin"].school.save()
    user = _operator() if persona == "superuser" else world["people"][persona]
    type(user).objects.filter(pk=user.pk).update(is_staff=True)
    client = Client()
    response = client.post("/django-admin/login/?next=/django-admin/",
                           {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session
    for path in (reverse("accounts:school_home"), reverse("accounts:school_people"),
                 reverse("messaging:conversation", args=[world["class"].pk]), "/django-admin/"):
        assert client.get(path, follow=True).request["PATH_INFO"] == reverse("login")


@pytest.mark.django_db
def test_a_superuser_always_gives_a_second_factor(db: None) -> None:
    operator = _operator()
    assert operator.needs_two_factor


# --- every registered action, for every role -------------------------------------------------
# One row per action nobody may leave out: a rule registered without a row here fails
# test_every_registered_action_has_a_row. Each action is asked about one object of the kind
# it decides, named in OBJECTS; the columns are PERSONAS, in order.

OBJECTS: dict[Action, str] = {
    "school.manage": "school", "school.dashboard": "school", "school.print_letters": "school",
    "person.manage": "parent2", "user.see_contact": "parent2",
    "membership.list": "group", "membership.add": "group", "membership.remove": "group",
    "conversation.read": "group", "conversation.post": "group",
    "conversation.manage_members": "group", "conversation.start_direct": "parent2",
    "message.edit": "announcement", "message.retract": "announcement",
    "message.receipts": "announcement", "message.acknowledgements": "announcement",
    "message.acknowledge": "announcement", "message.pin": "announcement",
    "message.post_urgent": "group", "message.request_ack": "announcements",
    "message.remind": "announcement",
    "message.schedule": "group", "office_hours.set": "nothing",
    "person.block": "parent2", "message.mark_sensitive": "announcement",
    "consent.decide": "emma", "consent.record_paper": "emma", "consent.view_pupil": "emma",
    "consent.request": "class_4b", "consent.view_coverage": "class_4b",
    "consent.edit_forms": "school",
    "archive.search": "school", "archive.export": "school", "archive.hold": "school",
    "archive.audit_log": "school", "archive.integrity": "school",
    "archive.retention_report": "school", "archive.retention_policy": "school",
    "archive.erase": "parent2", "archive.paperwork": "school", "archive.release": "parent2",
    "archive.review_export": "emma",
    "notifications.mute": "group", "notifications.remove_device": "parent_device",
    "roster_import.view": "roster_import",
}

EVERY_ACTION = {
    # admin, teacher, teacher_5a, staff, parent, parent_5a, pupil, dpo, safeguarding, leaver,
    # other_admin
    "archive.audit_log": (F, F, F, F, F, F, F, T, F, F, F),
    "archive.erase": (F, F, F, F, F, F, F, T, F, F, F),
    "archive.paperwork": (F, F, F, F, F, F, F, T, F, F, F),
    "archive.release": (F, F, F, F, F, F, F, T, F, F, F),
    "archive.review_export": (F, F, F, F, F, F, F, T, F, F, F),
    "archive.export": (F, F, F, F, F, F, F, T, F, F, F),
    "archive.hold": (F, F, F, F, F, F, F, T, F, F, F),
    "archive.integrity": (F, F, F, F, F, F, F, T, F, F, F),
    "archive.retention_policy": (T, F, F, F, F, F, F, F, F, F, F),
    "archive.retention_report": (F, F, F, F, F, F, F, T, F, F, F),
    "archive.search": (F, F, F, F, F, F, F, T, F, F, F),
    "consent.decide": (F, F, F, F, T, F, F, F, F, F, F),
    "consent.edit_forms": (T, F, F, F, F, F, F, F, F, F, F),
    "consent.record_paper": (T, T, F, F, F, F, F, F, F, F, F),
    "consent.request": (T, T, F, F, F, F, F, F, F, F, F),
    "consent.view_coverage": (T, T, F, F, F, F, F, F, F, F, F),
    "consent.view_pupil": (T, T, F, F, T, F, F, F, F, F, F),
    "conversation.manage_members": (F, T, F, F, F, F, F, F, F, F, F),
    "conversation.post": (F, T, F, T, T, F, F, F, F, F, F),
    "conversation.read": (F, T, F, T, T, F, F, F, F, F, F),
    "conversation.start_direct": (T, T, T, T, F, F, F, T, T, F, F),
    "membership.add": (T, T, F, F, F, F, F, F, F, F, F),
    "membership.list": (T, T, F, T, T, F, F, F, F, F, F),
    "membership.remove": (T, T, F, F, F, F, F, F, F, F, F),
    "message.acknowledge": (F, F, F, F, T, F, F, F, F, F, F),
    "message.acknowledgements": (F, T, F, F, F, F, F, F, F, F, F),
    "message.edit": (F, T, F, F, F, F, F, F, F, F, F),
    "message.pin": (F, T, F, F, F, F, F, F, F, F, F),
    "message.post_urgent": (F, T, F, T, F, F, F, F, F, F, F),
    "message.receipts": (F, T, F, F, F, F, F, F, F, F, F),
    "message.request_ack": (F, T, F, F, F, F, F, F, F, F, F),
    "message.remind": (F, T, F, F, F, F, F, F, F, F, F),
    "message.schedule": (F, T, F, T, F, F, F, F, F, F, F),
    "notifications.mute": (F, T, F, T, T, F, F, F, F, F, F),
    "notifications.remove_device": (F, F, F, F, T, F, F, F, F, F, F),
    # Everyone who works for the school keeps office hours, the DPO and the lead included.
    "office_hours.set": (T, T, T, T, F, F, F, T, T, F, T),
    "message.retract": (F, T, F, F, F, F, F, F, F, F, F),
    "person.manage": (T, F, F, F, F, F, F, F, F, F, F),
    # Anyone of the school blocks a parent's one-to-one messages (never staff's: see below).
    "person.block": (T, T, T, T, T, T, T, T, T, F, F),
    # The sender of the announcement marks it sensitive; nobody else (a manager could).
    "message.mark_sensitive": (F, T, F, F, F, F, F, F, F, F, F),
    "school.manage": (T, F, F, F, F, F, F, F, F, F, F),
    "school.dashboard": (T, F, F, F, F, F, F, F, F, F, F),
    "school.print_letters": (T, F, F, F, F, F, F, F, F, F, F),
    "roster_import.view": (T, F, F, F, F, F, F, F, F, F, F),
    "user.see_contact": (T, F, F, F, F, F, F, T, F, F, F),
}


def test_every_registered_action_has_a_row() -> None:
    assert set(EVERY_ACTION) == set(known_actions()) == ACTION_NAMES
    assert set(OBJECTS) == set(EVERY_ACTION)
    assert all(len(row) == len(PERSONAS) for row in EVERY_ACTION.values())


@pytest.fixture
def objects(world: dict[str, Any], school: School, class_4b: SchoolClass, announcements: Conversation,
            teacher: User) -> dict[str, Any]:
    posted, _ = send_actions.post_message(teacher, announcements, "Trip on Friday",
                                               ack_requested=True)
    return {"school": school, "parent2": world["parent2"], "group": world["group"],
            "announcement": posted, "announcements": announcements, "class_4b": class_4b,
            "nothing": None,
            # The parent's child (a factory's random pupil may be called Emma too).
            "emma": Pupil.objects.get(first_name="Emma",
                                      guardianships__guardian=world["people"]["parent"]),
            "roster_import": RosterImport.objects.create(school=school, state="running"),
            "parent_device": Device.objects.create(
                user=world["people"]["parent"], endpoint="https://push.example/parent",
                p256dh="key", auth="secret")}


@pytest.mark.django_db
@pytest.mark.parametrize("action", sorted(OBJECTS))
def test_every_action_answers_its_row(world: dict[str, Any], objects: dict[str, Any], action: Action) -> None:
    got = tuple(can(world["people"][persona], action, objects[OBJECTS[action]])
                for persona in PERSONAS)
    assert got == EVERY_ACTION[action]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_http_answers_the_dashboard_and_letters_rows(world: dict[str, Any], persona: str) -> None:
    """The overview and the printed letters: the school's admin only; everyone else as for a
    page that is not there, and a refused print issues no link."""
    user = world["people"][persona]
    # A 5A parent the roster made: no e-mail address, no password, never invited.
    newcomer = UserFactory(username="paper-parent", role=Role.PARENT, email="",
                           school=world["parent2"].school, is_active=False)
    newcomer.set_unusable_password()
    newcomer.save()
    enrol(PupilFactory(school=newcomer.school, first_name="Pim"),
          SchoolClass.objects.get(school=newcomer.school, name="5A"), newcomer)
    client = Client()
    client.force_login(user)
    overview = client.get(reverse("accounts:school_home"))
    letters = client.post(reverse("accounts:school_letters"))
    issued = newcomer.invitations.exists()
    if EVERY_ACTION["school.dashboard"][PERSONAS.index(persona)]:
        assert overview.status_code == 200 and "Consent per class" in overview.content.decode()
        assert letters.status_code == 200 and issued
        assert f'data-username="{newcomer.username}"' in letters.content.decode()
        return
    assert not issued
    if persona == "other_admin":
        # /school/ is the admin's own school: theirs, with nothing of this one on it.
        assert overview.status_code == 200 and "Test Primary" not in overview.content.decode()
        assert letters.status_code == 200 and "paper-parent" not in letters.content.decode()
        return
    assert _denied(overview, persona) and _denied(letters, persona)
    assert client.get(reverse("accounts:school_letters")).status_code in (404, 405, 302)


@pytest.mark.django_db
def test_staff_only_message_rules_also_need_the_right_conversation(
        world: dict[str, Any], announcements: Conversation) -> None:
    """Being staff is not enough: acknowledgements are asked for in class groups and
    announcement channels the sender posts in, and messages are scheduled only where the
    sender may post."""
    people = world["people"]
    assert can(people["teacher"], "message.request_ack", announcements)
    assert can(people["teacher"], "message.request_ack", world["class"])
    assert not can(people["teacher_5a"], "message.request_ack", world["class"])  # not theirs
    assert not can(people["parent"], "message.request_ack", world["class"])  # posts, not staff
    assert not can(people["teacher"], "message.request_ack", world["group"])  # a club
    assert not can(people["dpo"], "message.request_ack", announcements)  # staff, not a member
    assert not can(people["parent"], "message.request_ack", announcements)  # reads only
    assert can(people["teacher"], "message.schedule", world["class"])
    assert not can(people["teacher_5a"], "message.schedule", world["class"])
    assert not can(people["parent"], "message.schedule", world["class"])  # posts, not staff


# --- acknowledgements: asking, reminding, adding a whole class, for every role ----------------
# Only the teacher of 4B asks in the 4B class group and reminds its families; only the group's
# managers (the teacher, the school admin) add a whole class to the chess club.
ASKS = {"teacher"}
ADDS_A_CLASS = {"teacher", "admin"}


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_asking_for_acknowledgement_over_http_answers_the_matrix(world: dict[str, Any],
                                                                 persona: str) -> None:
    user, conversation = world["people"][persona], world["class"]
    client = Client()
    client.force_login(user)
    url = reverse("messaging:conversation", args=[conversation.pk])
    response = client.post(url, {"body": f"please confirm, {persona}", "ack_requested": "on",
                                 "client_id": str(uuid.uuid4())})
    asked = Message.objects.filter(conversation=conversation, ack_requested=True).exists()
    assert asked is (persona in ASKS)
    if persona in ASKS:
        assert response.status_code == 302
    elif can(user, "conversation.read", conversation):
        assert response.status_code == 400
        assert "Only staff can ask for acknowledgement" in response.content.decode()
    else:
        assert _denied(response, persona)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("persona", PERSONAS)
async def test_asking_for_acknowledgement_over_the_websocket_answers_the_matrix(
        world: dict[str, Any], persona: str) -> None:
    user, conversation = world["people"][persona], world["class"]
    communicator, connected, code = await _socket(user)
    if persona == "leaver":
        assert not connected and code == 4401
        return
    assert (await communicator.receive_json_from())["type"] == "hello"
    client_id = str(uuid.uuid4())
    await communicator.send_json_to({"type": "send", "conversation": conversation.pk,
                                     "client_id": client_id, "body": f"confirm, {persona}",
                                     "ack_requested": True})
    while True:
        event = await communicator.receive_json_from(timeout=5)
        if event["type"] in ("ack", "error") and event.get("client_id") == client_id:
            break
    assert (event["type"] == "ack") is (persona in ASKS)
    if persona == "parent":
        assert event["code"] == "invalid"
    asked = await database_sync_to_async(
        Message.objects.filter(conversation=conversation, ack_requested=True).exists)()
    assert asked is (persona in ASKS)
    await communicator.disconnect()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_reminding_answers_the_matrix(world: dict[str, Any], persona: str) -> None:
    user, conversation = world["people"][persona], world["class"]
    notice, _ = send_actions.post_message(world["people"]["teacher"], conversation,
                                          "Sign the form", ack_requested=True)
    client = Client()
    client.force_login(user)
    listing = client.get(reverse("messaging:acknowledgements", args=[conversation.pk, notice.pk]))
    response = client.post(reverse("messaging:remind", args=[conversation.pk, notice.pk]))
    reminded = AcknowledgementReminder.objects.filter(message=notice).exists()
    assert reminded is (persona in ASKS)
    if persona in ASKS:
        assert listing.status_code == 200 and response.status_code == 302
    elif can(user, "conversation.read", conversation):
        assert listing.status_code == 403 and response.status_code == 403
    else:
        assert _denied(listing, persona) and _denied(response, persona)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_adding_a_whole_class_answers_the_matrix(world: dict[str, Any], class_4b: SchoolClass,
                                                 persona: str) -> None:
    user, club = world["people"][persona], world["group"]
    newcomer = world["newcomer"]
    enrol(PupilFactory(school=class_4b.school), class_4b, newcomer)  # a 4B family not in the club
    client = Client()
    client.force_login(user)
    page = client.get(reverse("messaging:members", args=[club.pk]))
    if page.status_code == 200:
        assert ("Add a whole class" in page.content.decode()) is (persona in ADDS_A_CLASS)
    response = client.post(reverse("messaging:add_class", args=[club.pk]),
                           {"school_class": class_4b.pk})
    added = Membership.objects.filter(conversation=club, user=newcomer,
                                      ended_at__isnull=True).exists()
    assert added is (persona in ADDS_A_CLASS)
    if persona not in ADDS_A_CLASS:
        assert _denied(response, persona)


# --- the communication policy: blocking and marking sensitive, for every role ----------------

def _row(action: Action, persona: str) -> bool:
    return EVERY_ACTION[action][PERSONAS.index(persona)]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_blocking_over_http_answers_the_matrix(world: dict[str, Any], persona: str) -> None:
    user, parent2 = world["people"][persona], world["parent2"]
    client = Client()
    client.force_login(user)
    response = client.post(reverse("messaging:block", args=[parent2.pk]), {"blocked": "1"})
    blocked = Block.objects.filter(blocker=user, blocked=parent2).exists()
    assert blocked is _row("person.block", persona)
    if not blocked:
        assert _denied(response, persona)
    # Staff are never blocked, by anyone.
    teacher = world["people"]["teacher"]
    response = client.post(reverse("messaging:block", args=[teacher.pk]), {"blocked": "1"})
    assert not Block.objects.filter(blocked=teacher).exists()
    assert _denied(response, persona)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_marking_sensitive_over_http_answers_the_matrix(objects: dict[str, Any],
                                                        world: dict[str, Any], persona: str) -> None:
    user, message = world["people"][persona], objects["announcement"]
    client = Client()
    client.force_login(user)
    response = client.post(reverse("messaging:mark_sensitive",
                                   args=[message.conversation_id, message.pk]),
                           {"sensitive": "health"})
    message.refresh_from_db()
    assert (message.sensitive == "health") is _row("message.mark_sensitive", persona)
    if message.sensitive:
        assert response.status_code == 302
    elif can(user, "conversation.read", message.conversation):
        assert response.status_code == 403
    else:
        assert _denied(response, persona)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("persona", PERSONAS)
async def test_marking_sensitive_over_the_websocket_answers_the_matrix(
        objects: dict[str, Any], world: dict[str, Any], persona: str) -> None:
    user, message = world["people"][persona], objects["announcement"]
    communicator, connected, code = await _socket(user)
    if persona == "leaver":
        assert not connected and code == 4401
        return
    assert (await communicator.receive_json_from())["type"] == "hello"
    await communicator.send_json_to({"type": "mark_sensitive",
                                     "conversation": message.conversation_id,
                                     "id": message.pk, "sensitive": "health"})
    answer = await communicator.receive_json_from(timeout=5)
    allowed = _row("message.mark_sensitive", persona)
    assert (answer["type"] == "ack") is allowed
    if not allowed:
        reads = await database_sync_to_async(can)(user, "conversation.read", message.conversation)
        assert answer["code"] == ("forbidden" if reads else "not_found")
    await message.arefresh_from_db()
    assert (message.sensitive == "health") is allowed
    await communicator.disconnect()


# --- safeguarding: reporting, the lead's queue and the DPO's oversight, for every role --------
# Kept in one block of its own. "club_message" is parent2's message in the chess club (read by
# the teacher, the office and the parent); a report about it is what the lead decides on.
from archive.models import Record  # noqa: E402
from safeguarding import actions as safeguarding_actions  # noqa: E402
from safeguarding.consumers import QueueConsumer  # noqa: E402
from safeguarding.models import Report, SafeguardingSettings  # noqa: E402

SAFEGUARDING_OBJECTS: dict[Action, str] = {
    "message.report": "club_message", "person.report": "parent2",
    "safeguarding.review": "school", "safeguarding.view_conversation": "group",
    "safeguarding.remove": "club_message", "safeguarding.restrict": "parent2",
    "safeguarding.case_note": "emma", "safeguarding.oversight": "school",
    "safeguarding.settings": "school",
}
SAFEGUARDING_ROWS = {
    # admin, teacher, teacher_5a, staff, parent, parent_5a, pupil, dpo, safeguarding, leaver,
    # other_admin
    "message.report": (F, T, F, T, T, F, F, F, F, F, F),
    # Anyone of the school reports a person of the school; the leaver is no longer anyone.
    "person.report": (T, T, T, T, T, T, T, T, T, F, F),
    "safeguarding.review": (F, F, F, F, F, F, F, F, T, F, F),
    "safeguarding.view_conversation": (F, F, F, F, F, F, F, F, T, F, F),
    "safeguarding.remove": (F, F, F, F, F, F, F, F, T, F, F),
    "safeguarding.restrict": (F, F, F, F, F, F, F, F, T, F, F),
    "safeguarding.case_note": (F, F, F, F, F, F, F, F, T, F, F),
    "safeguarding.oversight": (F, F, F, F, F, F, F, T, F, F, F),
    "safeguarding.settings": (F, F, F, F, F, F, F, F, T, F, F),
}
OBJECTS.update(SAFEGUARDING_OBJECTS)
EVERY_ACTION.update(SAFEGUARDING_ROWS)
REPORTERS = {"teacher", "staff", "parent"}  # the club's readers other than parent2


@pytest.fixture
def safeguarding_objects(world: dict[str, Any], school: School) -> dict[str, Any]:
    message, _ = send_actions.post_message(world["parent2"], world["group"], "You are ugly")
    return {"school": school, "parent2": world["parent2"], "group": world["group"],
            "club_message": message,
            "emma": Pupil.objects.get(first_name="Emma",
                                      guardianships__guardian=world["people"]["parent"])}


@pytest.mark.django_db
@pytest.mark.parametrize("action", sorted(SAFEGUARDING_OBJECTS))
def test_every_safeguarding_action_answers_its_row(
        world: dict[str, Any], safeguarding_objects: dict[str, Any], action: Action) -> None:
    got = tuple(can(world["people"][persona], action,
                    safeguarding_objects[SAFEGUARDING_OBJECTS[action]]) for persona in PERSONAS)
    assert got == SAFEGUARDING_ROWS[action]



@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_reporting_over_http_answers_the_matrix(world: dict[str, Any],
                                                safeguarding_objects: dict[str, Any],
                                                persona: str) -> None:
    user, message = world["people"][persona], safeguarding_objects["club_message"]
    client = Client()
    client.force_login(user)
    url = reverse("safeguarding:report_message", args=[message.pk])
    page = client.get(url)
    response = client.post(url, {"reason": "bullying", "note": f"from {persona}"})
    reported = Report.objects.filter(message=message, reporter=user).exists()
    assert reported is _row("message.report", persona)
    if reported:
        assert page.status_code == 200 and response.status_code == 302
    else:
        assert _denied(page, persona) and _denied(response, persona)
    person = reverse("safeguarding:report_person", args=[world["parent2"].pk])
    response = client.post(person, {"reason": "worry"})
    reported = Report.objects.filter(message=None, reporter=user).exists()
    assert reported is _row("person.report", persona)
    if not reported:
        assert _denied(response, persona)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_the_leads_queue_over_http_answers_the_matrix(world: dict[str, Any],
                                                      safeguarding_objects: dict[str, Any],
                                                      persona: str) -> None:
    """Review, view as lead, remove and restrict: the lead only; everyone else as for a page
    that is not there, and nothing changes. Oversight: the DPO only."""
    user, message = world["people"][persona], safeguarding_objects["club_message"]
    report = safeguarding_actions.report_message(world["people"]["parent"], message,
                                                 reason="bullying")
    about_person = safeguarding_actions.report_person(world["people"]["teacher"],
                                                      world["parent2"], reason="bullying")
    client = Client()
    client.force_login(user)
    lead = _row("safeguarding.review", persona)
    responses = [
        client.get(reverse("safeguarding:queue")),
        client.get(reverse("safeguarding:queue_items")),
        client.get(reverse("safeguarding:item", args=["report", report.pk])),
        client.post(reverse("safeguarding:look", args=["report", report.pk]),
                    {"reason": f"{persona} looks"}),
        client.post(reverse("safeguarding:decide", args=["report", about_person.pk, "restrict"]),
                    {"restrict-duration": "day", "restrict-reason": "Threats"}),
        client.post(reverse("safeguarding:decide", args=["report", report.pk, "remove"]),
                    {"remove-reason": "Bullying"}),
        client.post(reverse("safeguarding:settings"), {"hold_pupil_messages": "on"}),
    ]
    message.refresh_from_db()
    assert (message.removed_at is not None) is lead
    assert world["parent2"].posting_restrictions.exists() is lead
    assert SafeguardingSettings.objects.filter(hold_pupil_messages=True).exists() is lead
    assert Record.objects.filter(kind="safeguarding.looked").exists() is lead
    for response in responses:
        assert response.status_code in (200, 302) if lead else _denied(response, persona)
    oversight = client.get(reverse("safeguarding:oversight"))
    if _row("safeguarding.oversight", persona):
        assert oversight.status_code == 200 and "Message removed" not in oversight.content.decode()
    else:
        assert _denied(oversight, persona)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("persona", PERSONAS)
async def test_the_queue_socket_answers_the_matrix(world: dict[str, Any], persona: str) -> None:
    user = world["people"][persona]
    communicator = WebsocketCommunicator(QueueConsumer.as_asgi(), "/ws/safeguarding/")
    communicator.scope["user"] = user
    connected, code = await communicator.connect()
    if _row("safeguarding.review", persona):
        assert connected
        assert await communicator.receive_json_from() == {"type": "hello"}
        await communicator.send_json_to({"type": "ping"})
        assert await communicator.receive_json_from() == {"type": "pong"}
        await communicator.disconnect()
    else:
        assert not connected and code == (4401 if persona == "leaver" else 4404)


# --- polls (polls/access.py) -----------------------------------------------------------------
# A poll in 4B's class group asked by the teacher; results shown after a vote, nobody voted yet.
POLL_OBJECTS: dict[Action, str] = {"poll.create": "class", "poll.vote": "poll", "poll.results": "poll",
                "poll.close": "poll"}
POLL_ROWS = {
    #                admin teacher t5a staff parent p5a pupil dpo lead leaver other
    "poll.create": (F, T, F, F, F, F, F, F, F, F, F),
    "poll.vote": (F, F, F, F, T, F, F, F, F, F, F),
    "poll.results": (F, T, F, F, F, F, F, F, F, F, F),
    "poll.close": (F, T, F, F, F, F, F, F, F, F, F),
}
OBJECTS.update(POLL_OBJECTS)
EVERY_ACTION.update(POLL_ROWS)


@pytest.fixture
def poll_objects(world: dict[str, Any]) -> dict[str, Any]:
    poll = asking.create_poll(world["people"]["teacher"], world["class"],
                              question="Party day?", options=["Wednesday", "Friday"],
                              closes_at=timezone.now() + timedelta(days=2))
    return {"class": world["class"], "poll": poll}


@pytest.mark.django_db
@pytest.mark.parametrize("action", sorted(POLL_OBJECTS))
def test_every_poll_action_answers_its_row(world: dict[str, Any], poll_objects: dict[str, Any],
                                           action: Action) -> None:
    got = tuple(can(world["people"][persona], action, poll_objects[POLL_OBJECTS[action]])
                for persona in PERSONAS)
    assert got == POLL_ROWS[action]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_polls_over_http_answer_the_matrix(world: dict[str, Any], poll_objects: dict[str, Any],
                                           persona: str) -> None:
    """Asking, answering, the results and closing: who may gets the page or the answer; a reader
    who may not is told why (403, or a sentence on the card); everyone else gets 404."""
    user, poll = world["people"][persona], poll_objects["poll"]
    reads = can(user, "conversation.read", world["class"])
    client = Client()
    client.force_login(user)
    new = client.get(reverse("polls:new", args=[world["class"].pk]))
    assert new.status_code == 200 if _row("poll.create", persona) else _denied(new, persona)
    option = poll.options.first()
    answer = client.post(reverse("polls:vote", args=[poll.pk]), {"option": option.pk},
                         HTTP_X_REQUESTED_WITH="fetch")
    if _row("poll.vote", persona):
        assert answer.status_code == 204
    elif reads:
        assert answer.status_code == 400 and answer.content.decode() == "You cannot answer this poll."
    else:
        assert _denied(answer, persona)
    assert Ballot.objects.filter(voter=user).exists() is _row("poll.vote", persona)
    results_page = client.get(reverse("polls:results", args=[poll.pk]))
    # The parent just answered: after a vote, the results are theirs to see too.
    if _row("poll.results", persona) or _row("poll.vote", persona):
        assert results_page.status_code == 200
    elif reads:
        assert results_page.status_code == 403
    else:
        assert _denied(results_page, persona)
    closed = client.post(reverse("polls:close", args=[poll.pk]), HTTP_X_REQUESTED_WITH="fetch")
    poll.refresh_from_db()
    assert (poll.closed_at is not None) is _row("poll.close", persona)
    if _row("poll.close", persona):
        assert closed.status_code == 204
    elif not reads:
        assert _denied(closed, persona)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("persona", PERSONAS)
async def test_a_polls_card_hint_reaches_only_the_conversations_readers(
        world: dict[str, Any], persona: str) -> None:
    """Everyone who may read the class group is told the card changed (no content); nobody
    else, whatever they subscribe to."""
    user = world["people"][persona]
    poll = await database_sync_to_async(asking.create_poll)(
        world["people"]["teacher"], world["class"], question="Party day?",
        options=["Wednesday", "Friday"], closes_at=timezone.now() + timedelta(days=2))
    option = await database_sync_to_async(lambda: poll.options.all()[0])()
    communicator = WebsocketCommunicator(ChatConsumer.as_asgi(), "/ws/chat/")
    communicator.scope["user"] = user
    connected, _code = await communicator.connect()
    reads = await database_sync_to_async(can)(user, "conversation.read", world["class"])
    if not connected:
        assert persona == "leaver"
        return
    await communicator.send_json_to({"type": "subscribe", "conversation": world["class"].pk,
                                     "after_seq": poll.message.seq if poll.message else 0})
    first = await communicator.receive_json_from(timeout=5)
    while first["type"] == "hello":
        first = await communicator.receive_json_from(timeout=5)
    await database_sync_to_async(poll_voting.vote)(world["people"]["parent"], poll, [option.pk])
    if reads:
        assert first["type"] == "subscribed"
        hint = await communicator.receive_json_from(timeout=5)
        assert hint == {"type": "card", "conversation": world["class"].pk, "id": poll.message_id}
    else:
        assert first["type"] == "error"
        assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


# --- each person's calendar (agenda/access.py) ------------------------------------------------
AGENDA_OBJECTS: dict[Action, str] = {"agenda.view": "nothing", "agenda.holidays": "school"}
AGENDA_ROWS = {
    #                    admin teacher t5a staff parent p5a pupil dpo lead leaver other
    "agenda.view": (T, T, T, T, T, T, T, T, T, F, T),
    "agenda.holidays": (T, F, F, F, F, F, F, F, F, F, F),
}
OBJECTS.update(AGENDA_OBJECTS)
EVERY_ACTION.update(AGENDA_ROWS)


@pytest.mark.django_db
@pytest.mark.parametrize("action", sorted(AGENDA_OBJECTS))
def test_every_agenda_action_answers_its_row(world: dict[str, Any], school: School,
                                             action: Action) -> None:
    objects = {"nothing": None, "school": school}
    got = tuple(can(world["people"][persona], action, objects[AGENDA_OBJECTS[action]])
                for persona in PERSONAS)
    assert got == AGENDA_ROWS[action]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_the_calendar_and_holidays_over_http_answer_the_matrix(world: dict[str, Any],
                                                               persona: str) -> None:
    client = Client()
    client.force_login(world["people"][persona])
    page = client.get(reverse("agenda:calendar"))
    assert page.status_code == 200 if _row("agenda.view", persona) else _denied(page, persona)
    holidays = client.get(reverse("agenda:holidays"))
    if _row("agenda.holidays", persona) or persona == "other_admin":  # their own school's page
        assert holidays.status_code == 200
    else:
        assert _denied(holidays, persona)


# --- OneRoster (accounts: a OneRoster 1.2 zip on the roster page) ---------------------------
# No rule of its own: the roster page's `school.manage` and the import's `roster_import.view`
# rows decide, checked here with a OneRoster zip and a OneRoster job over HTTP.

import io  # noqa: E402

from tests.accounts import oneroster_files  # noqa: E402


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_a_oneroster_zip_over_http_answers_the_matrix(world: dict[str, Any], persona: str) -> None:
    """The preview: an admin, of their own school (another school's admin previews into theirs,
    never into this one); anyone else as for a page that is not there, and nothing is
    imported. The job's page: this school's admin only."""
    user, school = world["people"][persona], world["people"]["admin"].school
    upload = io.BytesIO(oneroster_files.make_zip(
        oneroster_files.bulk_files(oneroster_files.small_school())))
    upload.name = "roster.zip"
    client = Client()
    client.force_login(user)
    preview = client.post(reverse("accounts:school_roster"), {"file": upload})
    if _row("school.manage", persona) or persona == "other_admin":
        assert preview.status_code == 200 and "OneRoster 1.2.1" in preview.content.decode()
    else:
        assert _denied(preview, persona)
    assert not Pupil.objects.filter(sourced_id__startswith="p-").exists()  # a preview only
    job = RosterImport.objects.create(school=school, kind=RosterImport.Kind.ONEROSTER,
                                      state="done", result={"summary": "Pupils: 3 created."})
    page = client.get(reverse("accounts:school_roster_import", args=[job.pk]))
    if _row("roster_import.view", persona):
        assert page.status_code == 200 and "Pupils: 3 created." in page.content.decode()
    else:
        assert _denied(page, persona)


# --- single sign-on: setting up the school's OpenID provider, for every role --------------------
# Only the school's admin opens /school/sso/ and changes or removes the provider; everyone
# else meets a page that is not there, and nothing changes.
from sso.models import SsoProvider  # noqa: E402

SSO_OBJECTS: dict[Action, str] = {"sso.configure": "school"}
SSO_ROWS = {
    # admin, teacher, teacher_5a, staff, parent, parent_5a, pupil, dpo, safeguarding, leaver,
    # other_admin
    "sso.configure": (T, F, F, F, F, F, F, F, F, F, F),
}
OBJECTS.update(SSO_OBJECTS)
EVERY_ACTION.update(SSO_ROWS)


@pytest.mark.django_db
@pytest.mark.parametrize("action", sorted(SSO_OBJECTS))
def test_every_sso_action_answers_its_row(world: dict[str, Any], school: School,
                                          action: Action) -> None:
    got = tuple(can(world["people"][persona], action, school) for persona in PERSONAS)
    assert got == SSO_ROWS[action]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_setting_up_sign_on_over_http_answers_the_matrix(world: dict[str, Any], school: School,
                                                         persona: str) -> None:
    """The page is always about the signed-in admin's own school: the other school's admin
    reaches theirs, never this one's."""
    user = world["people"][persona]
    client = Client()
    client.force_login(user)
    page = client.get(reverse("sso:settings"))
    saved = client.post(reverse("sso:settings"), {
        "name": f"Provider of {persona}", "issuer": "https://login.example/tenant/v2.0",
        "client_id": "schoolchat", "client_secret": "s3cret", "match": "email",
        "enabled": "on"})
    allowed = _row("sso.configure", persona)
    own_school = persona in {"admin", "other_admin"}
    assert SsoProvider.objects.filter(school=school).exists() is allowed
    if own_school:
        assert page.status_code == 200 and saved.status_code == 302
        assert "s3cret" not in client.get(reverse("sso:settings")).content.decode()
        assert SsoProvider.objects.filter(school=user.school, name=f"Provider of {persona}").exists()
    else:
        assert _denied(page, persona) and _denied(saved, persona)
    if not allowed:
        SsoProvider.objects.create(school=school, name="Kept", issuer="https://kept.example",
                                   client_id="kept", client_secret_sealed="x")
    removed = client.post(reverse("sso:remove"))
    assert SsoProvider.objects.filter(school=school).exists() is not allowed
    assert removed.status_code == 302 if own_school else _denied(removed, persona)


# --- absences (absence/access.py, docs/absence.md) ------------------------------------------
# Emma (4B, the parent's child) is reported ill. The teacher is the only member of 4B's staff,
# so its class teacher; "staff" is the school office. A subject teacher (4B's staff, not its
# class teacher) is no persona here: tests/absence/test_access.py has them.

from absence import actions as absence_actions  # noqa: E402
from absence.consumers import ListConsumer as AbsenceListConsumer  # noqa: E402
from absence.models import AbsenceReport, AbsenceSettings  # noqa: E402

ABSENCE_OBJECTS: dict[Action, str] = {
    "absence.report": "emma", "absence.view": "absence", "absence.view_reason": "absence",
    "absence.acknowledge": "absence", "absence.mark_missing": "emma", "absence.list": "school",
    "absence.export": "school", "absence.settings": "school",
}
ABSENCE_ROWS = {
    # admin, teacher, teacher_5a, staff, parent, parent_5a, pupil, dpo, safeguarding, leaver,
    # other_admin
    "absence.report": (F, F, F, F, T, F, F, F, F, F, F),
    # The family, the class's staff, the office and the DPO; never another family.
    "absence.view": (F, T, F, T, T, F, F, T, F, F, F),
    "absence.view_reason": (F, T, F, T, T, F, F, T, F, F, F),
    "absence.acknowledge": (F, T, F, T, F, F, F, F, F, F, F),
    "absence.mark_missing": (F, T, F, T, F, F, F, F, F, F, F),
    # Staff with a class of their own see the day of their classes; the office every class.
    "absence.list": (F, T, T, T, F, F, F, F, F, F, F),
    "absence.export": (F, F, F, T, F, F, F, F, F, F, F),
    "absence.settings": (T, F, F, F, F, F, F, F, F, F, F),
}
OBJECTS.update(ABSENCE_OBJECTS)
EVERY_ACTION.update(ABSENCE_ROWS)
# Who has a child of their own to report absent, so the form opens for them.
ABSENCE_FAMILIES = {"parent", "parent_5a"}


def _emma(world: dict[str, Any]) -> Pupil:
    return Pupil.objects.get(first_name="Emma", guardianships__guardian=world["people"]["parent"])


def _ill(world: dict[str, Any]) -> AbsenceReport:
    today = absence_actions.school_today(_emma(world).school)
    [report] = absence_actions.report_absence(
        world["people"]["parent"], [_emma(world)],
        absence_actions.Absence(starts_on=today, ends_on=today, category="ill",
                                note="Fever since the night"))
    return report


@pytest.fixture
def absence_objects(world: dict[str, Any], school: School) -> dict[str, Any]:
    return {"school": school, "emma": _emma(world), "absence": _ill(world)}


@pytest.mark.django_db
@pytest.mark.parametrize("action", sorted(ABSENCE_OBJECTS))
def test_every_absence_action_answers_its_row(
        world: dict[str, Any], absence_objects: dict[str, Any], action: Action) -> None:
    got = tuple(can(world["people"][persona], action,
                    absence_objects[ABSENCE_OBJECTS[action]]) for persona in PERSONAS)
    assert got == ABSENCE_ROWS[action]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_absences_over_http_answer_the_matrix(world: dict[str, Any], school: School,
                                              persona: str) -> None:
    """Each page and verb: allowed as the row says, else as for a page that is not there,
    and nothing changes. The list shows the reason only to those who may see it."""
    user, emma = world["people"][persona], _emma(world)
    client = Client()
    client.force_login(user)
    today = absence_actions.school_today(school)
    form = {"children": [emma.pk], "starts_on": today + timedelta(days=1),
            "ends_on": today + timedelta(days=1), "category": "family", "note": persona}
    page = client.get(reverse("absence:report"))
    response = client.post(reverse("absence:report"), form)
    reported = AbsenceReport.objects.filter(reported_by=user).exists()
    assert reported is _row("absence.report", persona)
    if persona in ABSENCE_FAMILIES:
        assert page.status_code == 200
    else:
        assert _denied(page, persona)
    if persona in ABSENCE_FAMILIES and not reported:  # another family's child: a sentence
        assert response.status_code == 400
        assert "You can only report your own children absent." in response.content.decode()

    report = _ill(world)
    items = client.get(reverse("absence:items"))
    if _row("absence.list", persona):
        body = items.content.decode()
        assert items.status_code == 200
        sees = _row("absence.view", persona)
        assert ("Emma" in body) is sees
        assert ("Fever since the night" in body) is _row("absence.view_reason", persona)
    else:
        assert _denied(items, persona)
    home = client.get(reverse("absence:home"))
    assert "Emma" not in home.content.decode() or _row("absence.view", persona)
    may_home = _row("absence.list", persona) or persona in ABSENCE_FAMILIES
    assert home.status_code == 200 if may_home else _denied(home, persona)

    response = client.post(reverse("absence:acknowledge", args=[report.pk]))
    report.refresh_from_db()
    assert (report.acknowledged_by_id == user.pk) is _row("absence.acknowledge", persona)
    if not _row("absence.acknowledge", persona):
        assert _denied(response, persona)

    classmate = Pupil.objects.get(guardianships__guardian=world["parent2"])
    response = client.post(reverse("absence:mark_missing", args=[classmate.pk]))
    marked = AbsenceReport.objects.filter(pupil=classmate, marked_by=user).exists()
    assert marked is _row("absence.mark_missing", persona)
    if not marked:
        assert _denied(response, persona)

    csv_file = client.get(reverse("absence:export"), {"first": str(today), "last": str(today)})
    if _row("absence.export", persona):
        assert csv_file.status_code == 200 and "Emma" in csv_file.content.decode()
    else:
        assert _denied(csv_file, persona)

    client.post(reverse("absence:settings"), {"cutoff": "09:15"})
    changed = AbsenceSettings.objects.filter(school=school, cutoff=time(9, 15)).exists()
    assert changed is _row("absence.settings", persona)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("persona", PERSONAS)
async def test_the_absence_socket_answers_the_matrix(world: dict[str, Any], persona: str) -> None:
    """The day's list socket opens for those with the list; the live hint of Emma's report
    reaches those who may see it (4B's teacher, the office) and nobody else."""
    user = world["people"][persona]
    communicator = WebsocketCommunicator(AbsenceListConsumer.as_asgi(), "/ws/absence/")
    communicator.scope["user"] = user
    connected, code = await communicator.connect()
    if not _row("absence.list", persona):
        assert not connected and code == (4401 if persona == "leaver" else 4404)
        return
    assert connected
    assert await communicator.receive_json_from() == {"type": "hello"}
    await database_sync_to_async(_ill)(world)
    if _row("absence.view", persona):
        assert await communicator.receive_json_from(timeout=10) == {"type": "absence_list"}
    else:
        # Not told: the next frame it gets is the answer to its own ping.
        await communicator.send_json_to({"type": "ping"})
        assert await communicator.receive_json_from(timeout=10) == {"type": "pong"}
    await communicator.disconnect()


# --- the API's token page: the school's admin only ----------------------------------------------
# Kept in one block of its own. The API's operations, for tokens of each scope, are in
# tests/api/test_permission_matrix.py.
from api.models import ApiToken  # noqa: E402

API_OBJECTS: dict[Action, str] = {"api_token.manage": "school"}
API_ROWS = {
    # admin, teacher, teacher_5a, staff, parent, parent_5a, pupil, dpo, safeguarding, leaver,
    # other_admin
    "api_token.manage": (T, F, F, F, F, F, F, F, F, F, F),
}
OBJECTS.update(API_OBJECTS)
EVERY_ACTION.update(API_ROWS)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_the_api_token_page_answers_the_matrix(world: dict[str, Any], school: School,
                                               persona: str) -> None:
    """Listing, making and revoking the school's tokens: its admin; everyone else as for a page
    that is not there (another school's admin sees their own school's page, without this
    school's tokens), and nothing is made or revoked."""
    from api.actions import create_token

    user, teacher = world["people"][persona], world["people"]["teacher"]
    existing = create_token(school, name="Website", scopes_wanted=["conversations:read"],
                            acts_as=teacher, actor=None).token
    client = Client()
    client.force_login(user)
    page = client.get(reverse("api_tokens"))
    made = client.post(reverse("api_tokens"), {"name": f"from {persona}", "acts_as": teacher.pk,
                                               "scopes": ["all"]})
    revoked = client.post(reverse("api_token_revoke", args=[existing.pk]))
    existing.refresh_from_db()
    allowed = _row("api_token.manage", persona)
    assert ApiToken.objects.filter(name=f"from {persona}").exists() is allowed
    assert (existing.revoked_at is not None) is allowed
    if allowed:
        assert page.status_code == 200 and "Website" in page.content.decode()
        assert made.status_code == 200 and "sc_" in made.content.decode()
        assert revoked.status_code == 302
    elif persona == "other_admin":
        # Their own school's page, where this school's token and teacher are not.
        assert page.status_code == 200 and "Website" not in page.content.decode()
        assert made.status_code == 400 and revoked.status_code == 404
    else:
        for response in (page, made, revoked):
            assert _denied(response, persona)


# --- meetings (parents' evenings) ----------------------------------------------------------

from datetime import datetime  # noqa: E402

from meetings.actions import bookings as meeting_bookings  # noqa: E402
from meetings.actions.rounds import RoundPlan, publish_round  # noqa: E402
from meetings.consumers import RoundConsumer  # noqa: E402
from meetings.models import Booking, MeetingRound, MeetingSlot  # noqa: E402
from meetings.queries import free_slots  # noqa: E402

MEETINGS_OBJECTS: dict[Action, str] = {
    "meetings.publish": "class_4b", "meetings.view_round": "round",
    "meetings.book": "round", "meetings.cancel": "booking",
    "meetings.view_booking": "booking", "meetings.manage_slot": "slot",
    "meetings.schedule": "round", "meetings.calendar_feed": "teacher",
}
MEETINGS_ROWS = {
    # admin, teacher, teacher_5a, staff, parent, parent_5a, pupil, dpo, safeguarding, leaver,
    # other_admin
    # The class's teacher, or the office (staff, admin) for any class of the school.
    "meetings.publish": (T, T, F, T, F, F, F, F, F, F, F),
    # Those who run the round (its teacher, the office) and the class's families.
    "meetings.view_round": (T, T, F, T, T, F, F, F, F, F, F),
    "meetings.book": (F, F, F, F, T, F, F, F, F, F, F),
    "meetings.cancel": (F, F, F, F, T, F, F, F, F, F, F),
    "meetings.view_booking": (T, T, F, T, T, F, F, F, F, F, F),
    "meetings.manage_slot": (T, T, F, T, F, F, F, F, F, F, F),
    "meetings.schedule": (T, T, F, T, F, F, F, F, F, F, F),
    # A teacher's own calendar feed (asked about the 4B teacher's).
    "meetings.calendar_feed": (F, T, F, F, F, F, F, F, F, F, F),
}
MEETING_PUBLISHERS = {"admin", "teacher", "teacher_5a", "staff"}
MEETING_TEACHERS = {"teacher", "teacher_5a"}
OBJECTS.update(MEETINGS_OBJECTS)
EVERY_ACTION.update(MEETINGS_ROWS)


def _meeting_plan(class_4b: SchoolClass) -> RoundPlan:
    day = timezone.localdate() + timedelta(days=7)
    first = timezone.make_aware(datetime.combine(day, time(15, 0)))
    return RoundPlan(title="Parents' evening", classes=[class_4b], first_day=day, last_day=day,
                     day_starts=time(15, 0), day_ends=time(16, 0), slot_minutes=10,
                     opens_at=timezone.now() - timedelta(hours=1),
                     closes_at=first - timedelta(hours=2))


@pytest.fixture
def meetings_objects(world: dict[str, Any], class_4b: SchoolClass) -> dict[str, Any]:
    teacher, parent = world["people"]["teacher"], world["people"]["parent"]
    round_ = publish_round(teacher, _meeting_plan(class_4b))
    slot = free_slots(round_).filter(teacher=teacher).first()
    assert slot is not None
    emma = Pupil.objects.get(first_name="Emma", guardianships__guardian=parent)
    booking = meeting_bookings.book(parent, round_, slot, emma)
    return {"class_4b": class_4b, "round": round_, "booking": booking,
            "slot": free_slots(round_).filter(teacher=teacher).first(), "teacher": teacher,
            "emma": emma}


@pytest.mark.django_db
@pytest.mark.parametrize("action", sorted(MEETINGS_OBJECTS))
def test_every_meetings_action_answers_its_row(
        world: dict[str, Any], meetings_objects: dict[str, Any], action: Action) -> None:
    got = tuple(can(world["people"][persona], action,
                    meetings_objects[MEETINGS_OBJECTS[action]]) for persona in PERSONAS)
    assert got == MEETINGS_ROWS[action]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_meetings_over_http_answer_the_matrix(world: dict[str, Any],
                                              meetings_objects: dict[str, Any],
                                              persona: str) -> None:
    """Every meetings page and form: 200 or a redirect where the row says yes; everyone else
    as for a page that is not there, and nothing changes."""
    user = world["people"][persona]
    round_: MeetingRound = meetings_objects["round"]
    booking: Booking = meetings_objects["booking"]
    slot: MeetingSlot = meetings_objects["slot"]
    client = Client()
    client.force_login(user)

    def check(response: TestResponse, allowed: bool) -> None:
        if allowed:
            assert response.status_code in (200, 204, 302), response.status_code
        else:
            assert _denied(response, persona), response.status_code

    view = _row("meetings.view_round", persona)
    check(client.get(reverse("meetings:round", args=[round_.pk])), view)
    check(client.get(reverse("meetings:slots", args=[round_.pk])), view)
    check(client.get(reverse("meetings:booking_ics", args=[booking.pk])),
          _row("meetings.view_booking", persona))
    check(client.get(reverse("meetings:schedule", args=[round_.pk])),
          _row("meetings.schedule", persona))
    # The publish form and one's own calendar page: every publisher (of any class: the 5A
    # teacher publishes for 5A) and every teacher, for their own.
    check(client.get(reverse("meetings:publish")), persona in MEETING_PUBLISHERS)
    check(client.get(reverse("meetings:feed_page")), persona in MEETING_TEACHERS)
    # Booking the free slot: only the family; it then holds a second booking (a change).
    response = client.post(reverse("meetings:book", args=[round_.pk]),
                           {"slot": slot.pk, "pupil": meetings_objects["emma"].pk})
    check(response, _row("meetings.book", persona))
    assert Booking.objects.filter(slot=slot, cancelled_at__isnull=True).exists() is _row(
        "meetings.book", persona)
    live = Booking.objects.filter(round=round_, cancelled_at__isnull=True).first()
    assert live is not None
    response = client.post(reverse("meetings:block", args=[live.slot_id]))
    # A booked slot cannot be blocked: those who may manage it get the sentence (a redirect
    # back with it), everyone else a 404.
    check(response, _row("meetings.manage_slot", persona))
    other = free_slots(round_).filter(teacher=live.teacher).first()
    assert other is not None
    response = client.post(reverse("meetings:move", args=[live.pk]), {"to": other.pk})
    check(response, _row("meetings.manage_slot", persona))
    live.refresh_from_db()
    assert (live.slot_id == other.pk) is _row("meetings.manage_slot", persona)
    response = client.post(reverse("meetings:cancel", args=[live.pk]))
    check(response, _row("meetings.cancel", persona))
    live.refresh_from_db()
    assert (live.cancelled_at is not None) is _row("meetings.cancel", persona)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("persona", PERSONAS)
async def test_the_round_socket_answers_the_matrix(world: dict[str, Any],
                                                   meetings_objects: dict[str, Any],
                                                   persona: str) -> None:
    user, round_ = world["people"][persona], meetings_objects["round"]
    communicator = WebsocketCommunicator(RoundConsumer.as_asgi(),
                                         f"/ws/meetings/{round_.pk}/")
    communicator.scope["user"] = user
    communicator.scope["url_route"] = {"args": (), "kwargs": {"round_id": round_.pk}}
    connected, code = await communicator.connect()
    if _row("meetings.view_round", persona):
        assert connected
        assert await communicator.receive_json_from() == {"type": "hello"}
        await communicator.send_json_to({"type": "ping"})
        assert await communicator.receive_json_from() == {"type": "pong"}
        await communicator.disconnect()
    else:
        assert not connected and code == (4401 if persona == "leaver" else 4404)


# --- activities: announcing, replying, signing and following, for every role -----------------
# Kept in one block of its own. "trip" is the 4B teacher's zoo trip with a permission slip,
# announced in the 4B class group; "class" is that class group (where it may be announced).
from django.db import transaction  # noqa: E402

from activities.access import announceable_conversations  # noqa: E402
from activities.actions.create import create_activity  # noqa: E402
from activities.actions.replies import reply as give_reply  # noqa: E402
from activities.consumers import ListConsumer as ActivityListConsumer  # noqa: E402
from activities.models import Activity, ActivityReminder, Rsvp  # noqa: E402
from consent.models import ConsentRecord  # noqa: E402
from tests.activities.conftest import draft as activity_draft  # noqa: E402

ACTIVITY_OBJECTS: dict[Action, str] = {
    "activity.create": "class", "activity.view": "trip", "activity.reply": "trip",
    "activity.sign": "trip", "activity.manage": "trip",
}
ACTIVITY_ROWS = {
    # admin, teacher, teacher_5a, staff, parent, parent_5a, pupil, dpo, safeguarding, leaver,
    # other_admin
    "activity.create": (F, T, F, F, F, F, F, F, F, F, F),
    # The readers of the class group: its teacher and its families.
    "activity.view": (F, T, F, F, T, F, F, F, F, F, F),
    "activity.reply": (F, F, F, F, T, F, F, F, F, F, F),
    "activity.sign": (F, F, F, F, T, F, F, F, F, F, F),
    "activity.manage": (F, T, F, F, F, F, F, F, F, F, F),
}
OBJECTS.update(ACTIVITY_OBJECTS)
EVERY_ACTION.update(ACTIVITY_ROWS)


@pytest.fixture
def activity_objects(world: dict[str, Any]) -> dict[str, Any]:
    trip = create_activity(world["people"]["teacher"], [world["class"]], activity_draft())
    return {"class": world["class"], "trip": trip,
            "card": Message.objects.get(card=f"activity:{trip.pk}"),
            "emma": Pupil.objects.get(first_name="Emma",
                                      guardianships__guardian=world["people"]["parent"])}


@pytest.mark.django_db
@pytest.mark.parametrize("action", sorted(ACTIVITY_OBJECTS))
def test_every_activity_action_answers_its_row(world: dict[str, Any],
                                               activity_objects: dict[str, Any],
                                               action: Action) -> None:
    got = tuple(can(world["people"][persona], action,
                    activity_objects[ACTIVITY_OBJECTS[action]]) for persona in PERSONAS)
    assert got == ACTIVITY_ROWS[action]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_activities_over_http_answer_the_matrix(world: dict[str, Any],
                                                activity_objects: dict[str, Any],
                                                persona: str) -> None:
    user, trip = world["people"][persona], activity_objects["trip"]
    emma, card = activity_objects["emma"], activity_objects["card"]
    client = Client()
    client.force_login(user)
    views, manages = _row("activity.view", persona), _row("activity.manage", persona)
    for name in ("detail", "ics"):
        page = client.get(reverse(f"activities:{name}", args=[trip.pk]))
        assert page.status_code == 200 if views else _denied(page, persona)
    card_page = client.get(reverse("messaging:card", args=[card.conversation_id, card.pk]))
    assert card_page.status_code == 200 if views else _denied(card_page, persona)
    for name in ("list", "trip"):
        page = client.get(reverse(f"activities:{name}", args=[trip.pk]))
        assert page.status_code == 200 if manages else _denied(page, persona)

    reply = client.post(reverse("activities:reply", args=[trip.pk]),
                        {"pupil": emma.pk, "answer": "coming"})
    sign = client.post(reverse("activities:sign", args=[trip.pk]),
                       {"pupil": emma.pk, "decision": "granted"})
    remind = client.post(reverse("activities:remind", args=[trip.pk]))
    assert Rsvp.objects.filter(activity=trip).exists() is _row("activity.reply", persona)
    assert ConsentRecord.objects.filter(pupil=emma).exists() is _row("activity.sign", persona)
    assert ActivityReminder.objects.filter(activity=trip).exists() is manages
    if not views:
        assert all(_denied(r, persona) for r in (reply, sign, remind))
    elif not manages:
        assert _denied(remind, persona)

    form = client.post(reverse("activities:new"), {
        "kind": "event", "title": f"Party by {persona}", "conversations": [str(world["class"].pk)],
        "starts_at": "2099-06-01T10:00", "ends_at": "2099-06-01T12:00",
        "reply_by": "2099-05-30T10:00", "slip_rule": "any"})
    created = Activity.objects.filter(title=f"Party by {persona}").exists()
    assert created is _row("activity.create", persona)
    if not created and announceable_conversations(user):
        # Staff who announce elsewhere (5A, the club) get the form back: 4B is not a choice.
        assert form.status_code == 400
    elif not created:
        assert _denied(form, persona)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("persona", PERSONAS)
async def test_activity_hints_over_the_websockets_answer_the_matrix(
        world: dict[str, Any], activity_objects: dict[str, Any], persona: str) -> None:
    """A reply refreshes the card for the class group's readers only (the chat socket's card
    hint) and the staff's list for those who follow the activity only (the list socket)."""
    user, trip = world["people"][persona], activity_objects["trip"]
    chat, connected, code = await _socket(user)
    listing = WebsocketCommunicator(ActivityListConsumer.as_asgi(), "/ws/activities/")
    listing.scope["user"] = user
    list_connected, list_code = await listing.connect()
    if persona == "leaver":
        assert not connected and code == 4401 and not list_connected and list_code == 4401
        return
    assert (await chat.receive_json_from())["type"] == "hello"
    assert (await listing.receive_json_from())["type"] == "hello"
    await chat.send_json_to({"type": "subscribe", "conversation": world["class"].pk,
                             "after_seq": 10**6})
    answer = await chat.receive_json_from(timeout=5)
    assert answer["type"] == ("subscribed" if _row("activity.view", persona) else "error")

    def reply() -> None:
        with transaction.atomic():
            give_reply(world["people"]["parent"], trip, activity_objects["emma"], "maybe")

    await database_sync_to_async(reply)()
    if _row("activity.view", persona):
        hint = await chat.receive_json_from(timeout=5)
        assert hint == {"type": "card", "conversation": world["class"].pk,
                        "id": activity_objects["card"].pk}
    else:
        assert await chat.receive_nothing(timeout=0.3)
    if _row("activity.manage", persona):
        assert await listing.receive_json_from(timeout=5) == {"type": "activity", "id": trip.pk}
    else:
        assert await listing.receive_nothing(timeout=0.3)
    await chat.disconnect()
    await listing.disconnect()


# --- reactions: reacting to a message and seeing who reacted, for every role ------------------
# Kept in one block of its own. A message of the 4B teacher's, in the 4B class group (read by
# its teacher and its families) and in the chess club (read by the teacher, the office's staff
# member and the parent). Both rules follow reading as a member; the school's restricted
# people and a lead reading without membership are asked about below the matrix.
from messaging.actions import moderation as moderation_actions  # noqa: E402
from messaging.actions import reactions as reaction_actions  # noqa: E402
from messaging.models import Reaction  # noqa: E402

REACTION_ACTIONS: list[Action] = ["message.react", "message.reactions"]
REACTION_ROWS = {
    # admin, teacher, teacher_5a, staff, parent, parent_5a, pupil, dpo, safeguarding, leaver,
    # other_admin
    "class": (F, T, F, F, T, F, F, F, F, F, F),
    "group": (F, T, F, T, T, F, F, F, F, F, F),
}
OBJECTS.update({"message.react": "announcement", "message.reactions": "announcement"})
EVERY_ACTION.update({
    # The announcement's readers: its sender (the teacher) and the parent.
    "message.react": (F, T, F, F, T, F, F, F, F, F, F),
    "message.reactions": (F, T, F, F, T, F, F, F, F, F, F),
})


@pytest.fixture
def reaction_messages(world: dict[str, Any]) -> dict[str, Message]:
    teacher = world["people"]["teacher"]
    return {kind: send_actions.post_message(teacher, world[kind], f"Trip news for the {kind}")[0]
            for kind in ("class", "group")}


@pytest.mark.django_db
@pytest.mark.parametrize("action", REACTION_ACTIONS)
def test_every_reaction_action_answers_its_row(world: dict[str, Any], objects: dict[str, Any],
                                              reaction_messages: dict[str, Message],
                                              action: Action) -> None:
    got = tuple(can(world["people"][persona], action, objects[OBJECTS[action]])
                for persona in PERSONAS)
    assert got == EVERY_ACTION[action]
    for kind, message in reaction_messages.items():
        got = tuple(can(world["people"][persona], action, message) for persona in PERSONAS)
        assert got == REACTION_ROWS[kind], kind
    # Unknown actions, on purpose: denied.
    assert not can(world["people"]["parent"], "message.unreact",  # type: ignore[arg-type]
                   reaction_messages["class"])


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["class", "group"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_reactions_over_http_answer_the_matrix(world: dict[str, Any],
                                               reaction_messages: dict[str, Message],
                                               kind: str, persona: str) -> None:
    user, message = world["people"][persona], reaction_messages[kind]
    allowed = REACTION_ROWS[kind][PERSONAS.index(persona)]
    reaction_actions.react(world["people"]["teacher"], message, "🙏")  # someone already did
    client = Client()
    client.force_login(user)
    response = client.post(reverse("messaging:react", args=[message.conversation_id,
                                                            message.pk]), {"emoji": "👍"})
    reacted = Reaction.objects.filter(message=message, user=user).exists()
    assert reacted is allowed
    listing = client.get(reverse("messaging:reactions", args=[message.conversation_id,
                                                              message.pk]))
    if allowed:
        assert response.status_code == 302
        assert listing.status_code == 200 and "Ms de Vries" in listing.content.decode()
        assert user.public_name in listing.content.decode()
    else:
        assert _denied(response, persona) and _denied(listing, persona)
        assert "Ms de Vries" not in listing.content.decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["class", "group"])
@pytest.mark.parametrize("persona", PERSONAS)
async def test_reactions_over_the_websocket_answer_the_matrix(
        world: dict[str, Any], reaction_messages: dict[str, Message], kind: str,
        persona: str) -> None:
    user, message = world["people"][persona], reaction_messages[kind]
    allowed = REACTION_ROWS[kind][PERSONAS.index(persona)]
    communicator, connected, code = await _socket(user)
    if persona == "leaver":
        assert not connected and code == 4401
        return
    assert (await communicator.receive_json_from())["type"] == "hello"
    await communicator.send_json_to({"type": "react", "conversation": message.conversation_id,
                                     "id": message.pk, "emoji": "👍"})
    while True:
        event = await communicator.receive_json_from(timeout=5)
        if event["type"] in ("ack", "error"):
            break
    where = {"conversation": message.conversation_id, "id": message.pk}
    if allowed:
        assert event == {"type": "ack", "action": "react", **where}
    else:
        assert event == {"type": "error", "code": "not_found", "message": "No such message.",
                         **where}
    reacted = await database_sync_to_async(
        Reaction.objects.filter(message=message, user=user).exists)()
    assert reacted is allowed
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", ["restricted parent", "lead reading"])
async def test_a_reader_who_may_not_react_is_refused_in_words_on_both_ways(
        world: dict[str, Any], reaction_messages: dict[str, Message], who: str) -> None:
    """The parent the school restricted from posting reads the class group but does not react;
    the lead reads the chess club under the "visible to the safeguarding leads" policy (as a
    staff-pupil one-to-one would be) and sees who reacted, but is no member to react."""
    people, message = world["people"], reaction_messages["group"]
    if who == "restricted parent":
        user, message = people["parent"], reaction_messages["class"]
        await database_sync_to_async(moderation_actions.restrict_member)(
            by=people["safeguarding"], user=user, until=timezone.now() + timedelta(days=1),
            reason="Unkind messages")
        refusal = "You can read but not send messages until"
    else:
        user = people["safeguarding"]
        await database_sync_to_async(Conversation.objects.filter(pk=world["group"].pk).update)(
            visible_to_leads=True)
        refusal = "You cannot react to this message."
    message = await database_sync_to_async(Message.objects.select_related("conversation").get)(
        pk=message.pk)
    assert not await database_sync_to_async(can)(user, "message.react", message)
    assert await database_sync_to_async(can)(user, "message.reactions", message)

    def over_http() -> tuple[int, str, int]:
        client = Client()
        client.force_login(user)
        args = [message.conversation_id, message.pk]
        refused = client.post(reverse("messaging:react", args=args), {"emoji": "👍"})
        return refused.status_code, refused.content.decode(), client.get(
            reverse("messaging:reactions", args=args)).status_code

    status, html, listing = await database_sync_to_async(over_http)()
    assert status == 403 and refusal in html and listing == 200
    communicator, connected, _code = await _socket(user)
    assert connected and (await communicator.receive_json_from())["type"] == "hello"
    await communicator.send_json_to({"type": "react", "conversation": message.conversation_id,
                                     "id": message.pk, "emoji": "👍"})
    event = await communicator.receive_json_from(timeout=5)
    assert event["type"] == "error" and event["code"] == "forbidden"
    assert event["message"].startswith(refusal)
    assert not await database_sync_to_async(Reaction.objects.filter(user=user).exists)()
    await communicator.disconnect()



# --- @mentions: naming members with "@", for every role ---------------------------------------
# Kept in one block of its own. Whoever may post in the class group or the chess club may
# mention there (message.mention); a mention names only current members whose "@name" is in
# the text. Mark Jansen (parent2) is a member of both; Lucía García (parent_5a) of neither, and
# has a phone that must stay silent. Never in an announcement channel or a one-to-one.
from messaging.models import Mention  # noqa: E402
from notifications import recipients as push_recipients  # noqa: E402

MENTION_ROWS = {
    # admin, teacher, teacher_5a, staff, parent, parent_5a, pupil, dpo, safeguarding, leaver,
    # other_admin
    "message.mention": (F, T, F, T, T, F, F, F, F, F, F),
}
OBJECTS["message.mention"] = "group"
EVERY_ACTION.update(MENTION_ROWS)
MENTION_TEXT = "@Mark Jansen @Lucía García the chess set, please"


def _mention_ids(world: dict[str, Any]) -> list[int]:
    """Who the send names: a member, a person of another class, an id nobody has."""
    return [world["parent2"].pk, world["people"]["parent_5a"].pk, 10**9]


def _mentioned_after(world: dict[str, Any], conversation: Conversation,
                     before: int) -> set[int] | None:
    """Whom the newest message of ``conversation`` mentions (None when no message came), with
    what a push would do: the member named is told, the outsider never."""
    message = (Message.objects.filter(conversation=conversation, seq__gt=before)
               .order_by("-seq").first())
    if message is None:
        return None
    outsider = world["people"]["parent_5a"]
    Device.objects.get_or_create(user=outsider, endpoint="https://push.example/lucia",
                                 defaults={"p256dh": "key", "auth": "secret"})
    told = {person.pk for person in push_recipients.recipients(message)}
    assert outsider.pk not in told
    named = set(Mention.objects.filter(message=message).values_list("user_id", flat=True))
    assert named <= {world["parent2"].pk}
    return named


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["class", "group"])
def test_mentioning_answers_the_posting_column(world: dict[str, Any], kind: str) -> None:
    for persona in PERSONAS:
        user, conversation = world["people"][persona], world[kind]
        assert can(user, "message.mention", conversation) is EXPECTED[kind][persona][1], persona


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_mentions_over_http_answer_the_matrix(world: dict[str, Any], persona: str) -> None:
    user = world["people"][persona]
    client = Client()
    client.force_login(user)
    for kind in ("class", "group"):
        conversation = world[kind]
        conversation.refresh_from_db()
        before = conversation.last_seq
        response = client.post(reverse("messaging:conversation", args=[conversation.pk]), {
            "body": MENTION_TEXT, "client_id": str(uuid.uuid4()),
            "mentions": [str(pk) for pk in _mention_ids(world)]})
        named = _mentioned_after(world, conversation, before)
        if EXPECTED[kind][persona][1]:
            assert response.status_code == 302
            # Only the member: Lucía is in another class, the last id is nobody's.
            assert named == {world["parent2"].pk}
        else:
            assert named is None
            read = EXPECTED[kind][persona][0]
            assert _denied(response, persona) or (read and response.status_code == 403)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("persona", PERSONAS)
async def test_mentions_over_the_websocket_answer_the_matrix(world: dict[str, Any],
                                                            persona: str) -> None:
    user = world["people"][persona]
    communicator, connected, code = await _socket(user)
    if persona == "leaver":
        assert not connected and code == 4401
        return
    assert (await communicator.receive_json_from())["type"] == "hello"
    for kind in ("class", "group"):
        conversation = world[kind]
        before = (await database_sync_to_async(Conversation.objects.get)(pk=conversation.pk)
                  ).last_seq
        client_id = str(uuid.uuid4())
        await communicator.send_json_to({"type": "send", "conversation": conversation.pk,
                                         "client_id": client_id, "body": MENTION_TEXT,
                                         "mentions": _mention_ids(world)})
        while True:
            event = await communicator.receive_json_from(timeout=5)
            if event["type"] in ("ack", "error") and event.get("client_id") == client_id:
                break
        named = await database_sync_to_async(_mentioned_after)(world, conversation, before)
        read, post = EXPECTED[kind][persona][:2]
        if post:
            assert event["type"] == "ack" and named == {world["parent2"].pk}
        else:
            assert event["code"] == ("forbidden" if read else "not_found") and named is None
    await communicator.disconnect()


@pytest.mark.django_db
def test_a_reader_who_may_not_post_cannot_mention_and_announcements_and_one_to_ones_ignore_it(
        world: dict[str, Any], announcements: Conversation) -> None:
    from messaging.actions import direct as direct_actions

    teacher, parent, parent2 = (world["people"]["teacher"], world["people"]["parent"],
                                world["parent2"])
    for persona in PERSONAS:
        assert not can(world["people"][persona], "message.mention", announcements), persona
    # The parent reads the channel: their send is refused, nobody is mentioned.
    client = Client()
    client.force_login(parent)
    response = client.post(reverse("messaging:conversation", args=[announcements.pk]), {
        "body": "@Ms de Vries a question", "client_id": str(uuid.uuid4()),
        "mentions": [str(teacher.pk)]})
    assert response.status_code == 400
    assert not Message.objects.filter(body="@Ms de Vries a question").exists()
    assert not Mention.objects.exists()
    # The teacher's announcement and one-to-one keep the text and name nobody.
    one_to_one = direct_actions.open_direct(teacher, parent2)
    assert not can(teacher, "message.mention", one_to_one)
    client.force_login(teacher)
    for conversation, named in ((announcements, parent), (one_to_one, parent2)):
        response = client.post(reverse("messaging:conversation", args=[conversation.pk]), {
            "body": f"@{named.public_name} see this", "client_id": str(uuid.uuid4()),
            "mentions": [str(named.pk)]})
        assert response.status_code == 302
        assert Message.objects.filter(conversation=conversation,
                                      body=f"@{named.public_name} see this").exists()
    assert not Mention.objects.exists()
