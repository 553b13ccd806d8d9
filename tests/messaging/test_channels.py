"""Announcement channels, one-to-one conversations and the wrong-recipient guard."""

import uuid

import pytest
from channels.db import database_sync_to_async
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from accounts.access import can
from accounts.models import Role, School, SchoolClass, User
from messaging.actions import direct, membership, receipts, send
from messaging.models import Acknowledgement, Conversation, Message
from tests.factories import PupilFactory, UserFactory, enrol
from tests.messaging.test_consumer import connect, receive_until, subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(announcements: Conversation, teacher: User) -> Message:
    message, _ = send.post_message(teacher, announcements, "Sports day: please confirm",
                                      ack_requested=True)
    return message


@pytest.fixture
def second_parent(school: School, announcements: Conversation, admin: User) -> User:
    user = UserFactory(username="bram", display_name="Bram Visser", role=Role.PARENT,
                       school=school)
    membership.add_member(announcements, user, actor=admin)
    return user


# --- acknowledgements -------------------------------------------------------------------------
def test_staff_see_who_has_and_has_not_acknowledged(client: Client, notice: Message, teacher: User,
                                                    parent: User, second_parent: User) -> None:
    client.force_login(parent)
    url = reverse("messaging:acknowledge", args=[notice.conversation_id, notice.pk])
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302  # twice is still once
    assert Acknowledgement.objects.filter(message=notice).count() == 1
    client.force_login(teacher)
    listing = client.get(reverse("messaging:acknowledgements",
                                 args=[notice.conversation_id, notice.pk]))
    html = listing.content.decode()
    pending, rest = html.split('id="acknowledged"')
    done, others = rest.split('id="others"')
    # Anna is Emma's guardian: her family counts; Bram has no child here, so he is listed
    # on his own, not as a family.
    assert "1 of 1 family acknowledged" in html
    assert "Emma" in done and "Anna Jansen" in done and "Emma" not in pending
    assert "Bram Visser" in others and "not yet" in others


@pytest.mark.parametrize(("persona", "status"), [("parent", 403), ("parent_5a", 404),
                                                 ("admin", 404), ("dpo", 404)])
def test_only_staff_members_see_the_acknowledgement_list(client: Client, request: pytest.FixtureRequest,
                                                         notice: Message, persona: str, status: int) -> None:
    client.force_login(request.getfixturevalue(persona))
    url = reverse("messaging:acknowledgements", args=[notice.conversation_id, notice.pk])
    assert client.get(url).status_code == status


def test_only_staff_ask_for_acknowledgement_in_class_groups_and_announcements(
        conversation_4b: Conversation, teacher: User, parent: User, admin: User,
        announcements: Conversation, school: School) -> None:
    asked, _ = send.post_message(teacher, conversation_4b, "ack?", ack_requested=True)
    assert asked.ack_requested
    club = Conversation.objects.create(school=school, kind=Conversation.Kind.GROUP, title="Club")
    membership.add_member(club, teacher, actor=admin)
    with pytest.raises(ValidationError):
        send.post_message(teacher, club, "ack?", ack_requested=True)
    with pytest.raises(ValidationError):
        send.post_message(parent, conversation_4b, "ack?", ack_requested=True)
    with pytest.raises(PermissionDenied):
        send.post_message(parent, announcements, "ack?", ack_requested=True)
    plain, _ = send.post_message(teacher, announcements, "no ack asked")
    with pytest.raises(PermissionDenied):
        receipts.acknowledge(parent, plain)


@pytest.mark.django_db(transaction=True)
async def test_acknowledging_over_the_socket_updates_staff_live(notice: Message, teacher: User,
                                                                parent: User) -> None:
    teacher_socket, parent_socket = await connect(teacher), await connect(parent)
    for s in (teacher_socket, parent_socket):
        await subscribe(s, notice.conversation)
        await receive_until(s, "subscribed")
    await parent_socket.send_json_to({"type": "acknowledge", "conversation":
                                      notice.conversation_id, "id": notice.pk})
    ack = (await receive_until(parent_socket, "ack"))[-1]
    assert ack["action"] == "acknowledge"
    hint = (await receive_until(teacher_socket, "acknowledged"))[-1]
    assert hint == {"type": "acknowledged", "conversation": notice.conversation_id,
                    "id": notice.pk, "count": 1}
    await teacher_socket.disconnect()
    await parent_socket.disconnect()


# --- private replies to announcements ---------------------------------------------------------
def test_a_reply_to_an_announcement_goes_privately_to_its_sender(client: Client, notice: Message,
                                                                 teacher: User, parent: User,
                                                                 second_parent: User) -> None:
    client.force_login(parent)
    url = reverse("messaging:reply_privately", args=[notice.conversation_id, notice.pk])
    response = client.post(url, {"body": "Emma will be there"})
    direct = Conversation.objects.get(kind=Conversation.Kind.DIRECT)
    assert response["Location"] == reverse("messaging:conversation", args=[direct.pk])
    assert set(direct.memberships.filter(ended_at__isnull=True)
               .values_list("user__username", flat=True)) == {"parent", "teacher"}
    reply = Message.objects.get(conversation=direct)
    assert "Emma will be there" in reply.body and "Sports day" in reply.body
    # Nothing reached the channel, and the other parent cannot read the reply.
    assert not notice.conversation.messages.exclude(pk=notice.pk).exists()
    assert not can(second_parent, "conversation.read", direct)
    # A second reply uses the same one-to-one conversation.
    client.post(url, {"body": "and her brother"})
    assert Conversation.objects.filter(kind=Conversation.Kind.DIRECT).count() == 1


def test_no_private_replies_when_the_channel_does_not_allow_them(client: Client, notice: Message,
                                                                 parent: User) -> None:
    Conversation.objects.filter(pk=notice.conversation_id).update(allow_replies=False)
    client.force_login(parent)
    url = reverse("messaging:reply_privately", args=[notice.conversation_id, notice.pk])
    assert client.post(url, {"body": "hello?"}).status_code == 403
    assert not Conversation.objects.filter(kind=Conversation.Kind.DIRECT).exists()


def test_outsiders_cannot_reply_privately(client: Client, notice: Message, parent_5a: User) -> None:
    client.force_login(parent_5a)
    url = reverse("messaging:reply_privately", args=[notice.conversation_id, notice.pk])
    assert client.post(url, {"body": "hi"}).status_code == 404


# --- one-to-one conversations -----------------------------------------------------------------
@pytest.fixture
def pupil_user(school: School, class_4b: SchoolClass) -> User:
    user = UserFactory(username="pupil", display_name="Emma", role=Role.PUPIL, school=school)
    pupil = PupilFactory(school=school, first_name="Emma")
    pupil.user = user
    pupil.save()
    return user


@pytest.mark.parametrize(
    ("starter", "other", "allowed"),
    [("teacher", "parent", True), ("parent", "teacher", True), ("parent", "parent_5a", False),
     ("teacher", "pupil_user", False), ("pupil_user", "parent", False),
     ("teacher", "admin", True), ("parent", "parent", False)],
)
def test_who_may_start_a_one_to_one_conversation(request: pytest.FixtureRequest, starter: str, other: str,
                                                 allowed: bool) -> None:
    a, b = request.getfixturevalue(starter), request.getfixturevalue(other)
    assert can(a, "conversation.start_direct", b) is allowed
    if allowed:
        conversation = direct.open_direct(a, b)
        assert direct.open_direct(b, a) == conversation  # one conversation per pair
        assert can(b, "conversation.read", conversation)
    else:
        with pytest.raises(PermissionDenied):
            direct.open_direct(a, b)


def test_school_policy_opens_parent_to_parent_and_staff_to_pupil(school: School, parent: User,
                                                                 parent_5a: User, teacher: User,
                                                                 pupil_user: User) -> None:
    school.parent_direct_messages = True
    school.staff_pupil_direct_messages = True
    school.save()
    for user in (parent, teacher):
        user.refresh_from_db()
    assert can(parent, "conversation.start_direct", parent_5a)
    assert can(teacher, "conversation.start_direct", pupil_user)


def test_another_schools_people_are_out_of_reach(client: Client, teacher: User) -> None:
    stranger = UserFactory(username="elsewhere", role=Role.PARENT)
    assert not can(teacher, "conversation.start_direct", stranger)
    client.force_login(teacher)
    assert client.post(reverse("messaging:start_direct", args=[stranger.pk])).status_code == 404
    assert "elsewhere" not in client.get(reverse("messaging:people")).content.decode()


def test_the_people_page_lists_only_who_i_may_message(client: Client, parent: User, parent_5a: User,
                                                      teacher: User) -> None:
    client.force_login(parent)
    html = client.get(reverse("messaging:people")).content.decode()
    assert "Ms de Vries" in html and "Lucía García" not in html
    assert teacher.email not in html and teacher.phone not in html
    response = client.post(reverse("messaging:start_direct", args=[teacher.pk]))
    assert response.status_code == 302


# --- wrong-recipient guard --------------------------------------------------------------------
@pytest.fixture
def big_group(conversation_4b: Conversation, school: School, class_4b: SchoolClass,
              admin: User) -> Conversation:
    for n in range(15):
        user = UserFactory(username=f"p{n}", role=Role.PARENT, school=school)
        enrol(PupilFactory(school=school), class_4b, user)
        membership.add_member(conversation_4b, user, actor=admin)
    return conversation_4b  # teacher + parent + 15 = 17 members


def test_a_large_group_asks_the_sender_to_confirm_the_audience(big_group: Conversation, parent: User) -> None:
    with pytest.raises(send.ConfirmationRequired) as info:
        send.post_message(parent, big_group, "Is Emma's jacket at school?")
    assert info.value.recipients == 16
    assert "16 people" in info.value.messages[0]
    assert not Message.objects.exists()
    _message, created = send.post_message(parent, big_group, "Lost jacket", confirm=True)
    assert created


def test_a_group_at_the_threshold_needs_no_confirmation(conversation_4b: Conversation, parent: User,
                                                        school: School, class_4b: SchoolClass,
                                                        admin: User) -> None:
    for n in range(14):
        membership.add_member(conversation_4b, UserFactory(username=f"q{n}", school=school),
                           actor=admin)
    _message, created = send.post_message(parent, conversation_4b, "fine")  # 15 recipients
    assert created


def test_the_page_shows_how_many_will_receive_it_and_resends_on_confirm(client: Client,
                                                                        big_group: Conversation,
                                                                        parent: User) -> None:
    client.force_login(parent)
    url = reverse("messaging:conversation", args=[big_group.pk])
    response = client.post(url, {"body": "Lost jacket"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "This message will go to 16 people" in html and "Lost jacket" in html
    assert not Message.objects.exists()
    assert client.post(url, {"body": "Lost jacket", "confirm": "1"}).status_code == 302
    assert Message.objects.get().body == "Lost jacket"


@pytest.mark.django_db(transaction=True)
async def test_the_socket_asks_for_confirmation_with_the_count(big_group: Conversation, parent: User) -> None:
    socket = await connect(parent)
    frame = {"type": "send", "conversation": big_group.pk, "client_id": str(uuid.uuid4()),
             "body": "Lost jacket"}
    await socket.send_json_to(frame)
    error = await socket.receive_json_from()
    assert error["code"] == "confirm_required" and error["recipients"] == 16
    assert error["client_id"] == frame["client_id"]
    await socket.send_json_to(frame | {"confirm": True})
    ack = (await receive_until(socket, "ack"))[-1]
    assert ack["client_id"] == frame["client_id"]
    assert await database_sync_to_async(Message.objects.count)() == 1
    await socket.disconnect()


def test_the_threshold_follows_the_schools_policy(big_group: Conversation, parent: User,
                                                  school: School) -> None:
    school.confirm_group_size = 16
    school.save()
    big_group.refresh_from_db()
    _message, created = send.post_message(parent, big_group, "to 16 people, no question")
    assert created
    school.confirm_group_size = 2
    school.save()
    big_group.refresh_from_db()
    with pytest.raises(send.ConfirmationRequired) as info:
        send.post_message(parent, big_group, "to 16 people, asked")
    assert info.value.recipients == 16


def test_a_one_to_one_conversation_is_listed_by_the_other_persons_name(client: Client, teacher: User,
                                                                       parent: User) -> None:
    conversation = direct.open_direct(parent, teacher)
    client.force_login(parent)
    inbox = client.get(reverse("messaging:inbox")).content.decode()
    assert '<span class="title">Ms de Vries</span>' in inbox
    page = client.get(reverse("messaging:conversation", args=[conversation.pk])).content.decode()
    assert "<h1>Ms de Vries</h1>" in page
    client.force_login(teacher)
    assert '<span class="title">Anna Jansen</span>' in client.get(
        reverse("messaging:inbox")).content.decode()


def test_a_private_reply_and_a_started_one_to_one_are_the_same_conversation(client: Client, notice: Message,
                                                                            teacher: User,
                                                                            parent: User) -> None:
    client.force_login(parent)
    client.post(reverse("messaging:reply_privately", args=[notice.conversation_id, notice.pk]),
                {"body": "Emma will be there"})
    direct = Conversation.objects.get(kind=Conversation.Kind.DIRECT)
    client.force_login(teacher)
    started = client.post(reverse("messaging:start_direct", args=[parent.pk]))
    assert started["Location"] == reverse("messaging:conversation", args=[direct.pk])
    assert Conversation.objects.filter(kind=Conversation.Kind.DIRECT).count() == 1
