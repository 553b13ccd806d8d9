"""Acknowledgements by family, reminding the families who have not, and adding a whole class to
a channel.

Personas (4B of "Test Primary"): Ms de Vries teaches 4B; Emma's family is Anna Jansen (the
shared ``parent``) and Piet Jansen; Liam's family is Sara Smit; Noor's is Joost Bakker, whose
enrolment ended yesterday; Ruud's guardian is a leaver; Finn's guardian Kees may not be
contacted. Mateo's family (5A) is Lucía García. Either guardian acknowledges for a family.
"""

from __future__ import annotations

from datetime import timedelta
from unittest.mock import ANY

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks

from accounts.actions.leavers import process_leaver
from accounts.models import Enrolment, Guardianship, Role, School, SchoolClass, User
from archive.models import Record
from messaging import acknowledgements
from messaging.actions import groups, membership, receipts, reminders, send
from messaging.actions.classes import class_conversation, sync_class_conversation
from messaging.models import AcknowledgementReminder, Conversation, Membership, Message
from messaging.signals import acknowledgement_reminder_sent
from tests.factories import PupilFactory, UserFactory, enrol

pytestmark = pytest.mark.django_db
LINK = "https://school.example/c/1/"


@pytest.fixture
def families(school: School, class_4b: SchoolClass, teacher: User, parent: User,
             admin: User) -> dict[str, User]:
    emma = Guardianship.objects.get(guardian=parent).pupil
    piet = UserFactory(username="piet", display_name="Piet Jansen", school=school)
    Guardianship.objects.create(guardian=piet, pupil=emma, relationship="parent")
    sara = UserFactory(username="sara", display_name="Sara Smit", school=school)
    enrol(PupilFactory(school=school, first_name="Liam", last_name="Smit"), class_4b, sara)
    joost = UserFactory(username="joost", display_name="Joost Bakker", school=school)
    noor = enrol(PupilFactory(school=school, first_name="Noor", last_name="Bakker"), class_4b,
                 joost)
    Enrolment.objects.filter(pupil=noor).update(ends_on=timezone.localdate() - timedelta(days=1))
    leaver = UserFactory(username="gone", display_name="Gone Parent", school=school)
    enrol(PupilFactory(school=school, first_name="Ruud"), class_4b, leaver)
    kees = UserFactory(username="kees", display_name="Kees de Wit", school=school)
    finn = enrol(PupilFactory(school=school, first_name="Finn"), class_4b)
    Guardianship.objects.create(guardian=kees, pupil=finn, no_contact=True)
    process_leaver(leaver, actor=admin)
    return {"piet": piet, "sara": sara, "joost": joost, "leaver": leaver, "kees": kees}


@pytest.fixture
def class_group(class_4b: SchoolClass, families: dict[str, User], admin: User) -> Conversation:
    sync_class_conversation(class_4b, actor=admin)
    return class_conversation(class_4b)


@pytest.fixture
def notice(class_group: Conversation, teacher: User) -> Message:
    message, _ = send.post_message(teacher, class_group, "Sign the trip form", ack_requested=True)
    return message


def names(people: list[User]) -> list[str]:
    return [p.public_name for p in people]


# --- the list by family ----------------------------------------------------------------------

def test_either_guardian_acknowledges_for_the_family(notice: Message, families: dict[str, User],
                                                     teacher: User, client: Client) -> None:
    receipts.acknowledge(families["piet"], notice)
    summary = acknowledgements.overview(notice)
    assert [f.name for f in summary.done] == [f"Emma {summary.done[0].pupil.last_name}"]
    assert [a.user.public_name for a in summary.done[0].acknowledged] == ["Piet Jansen"]
    assert [f.pupil.first_name for f in summary.pending] == ["Liam"]
    # The teacher is no family and not "not acknowledged yet"; Noor left the class, Ruud's
    # guardian left the school, Finn's guardian may not be contacted: none is a family here.
    assert summary.others == []
    assert names(summary.to_remind()) == ["Sara Smit"]

    client.force_login(teacher)
    page = client.get(reverse("messaging:acknowledgements", args=[notice.conversation_id,
                                                                  notice.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "1 of 2 families acknowledged" in html
    pending, done = html.split('id="pending"')[1].split('id="acknowledged"')
    assert "Liam" in pending and "Sara Smit" in pending and "Emma" not in pending
    assert "Emma" in done and "Piet Jansen" in done and "Anna Jansen" not in done
    stamp = timezone.localtime(notice.acknowledgements.get().acknowledged_at)
    assert stamp.strftime("%H:%M") in done
    assert "Ms de Vries" not in pending and "Noor" not in html and "Ruud" not in html


def test_a_second_guardian_adds_a_name_not_a_family(notice: Message, families: dict[str, User],
                                                    parent: User) -> None:
    receipts.acknowledge(parent, notice)
    receipts.acknowledge(families["piet"], notice)
    summary = acknowledgements.overview(notice)
    assert len(summary.done) == 1 and len(summary.families) == 2
    assert names([a.user for a in summary.done[0].acknowledged]) == ["Anna Jansen", "Piet Jansen"]


def test_a_channel_counts_the_current_children_of_its_members(
        school: School, class_4b: SchoolClass, families: dict[str, User], teacher: User,
        parent: User, admin: User) -> None:
    channel = groups.create_group(school, "Trip", announcements=True, actor=admin)
    for person in (teacher, parent, families["sara"], families["joost"]):
        membership.add_member(channel, person, actor=admin)
    notice, _ = send.post_message(teacher, channel, "Trip money", ack_requested=True)
    summary = acknowledgements.overview(notice)
    assert [f.pupil.first_name for f in summary.families] == ["Emma", "Liam"]
    # Joost's child has left 4B: he is a member on his own, not a family.
    assert names([o.user for o in summary.others]) == ["Joost Bakker"]
    assert "Joost Bakker" not in names(summary.to_remind())


# --- reminders -------------------------------------------------------------------------------

def test_the_reminder_goes_once_a_day_to_the_families_that_have_not_acknowledged(
        notice: Message, families: dict[str, User], teacher: User, parent: User,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    told: list[list[int]] = []

    def listen(sender: object, message_id: int, user_ids: list[int], **kwargs: object) -> None:
        assert message_id == notice.pk
        told.append(user_ids)

    acknowledgement_reminder_sent.connect(listen)
    try:
        receipts.acknowledge(parent, notice)
        mail.outbox = []
        with django_capture_on_commit_callbacks(execute=True):
            reminder = reminders.remind_unacknowledged(teacher, notice, link=LINK)
        assert reminder.recipients == 1
        [sent] = mail.outbox
        assert sent.to == ["sara@example.invalid"]
        assert "Sign the trip form" in sent.body and LINK in sent.body
        assert sent.subject == "Reminder: please acknowledge a message in 4B class group"
        assert "Anna" not in sent.body and "Liam" not in sent.body  # no other family named
        assert told == [[families["sara"].pk]]
        record = Record.objects.get(kind="message.ack_reminded")
        assert record.scope == notice.conversation.scope and record.actor_id == teacher.pk
        assert record.payload.content == {"message": notice.pk,
                                          "guardians": [families["sara"].pk], "salt": ANY}

        # The same day again: refused, nothing sent, nothing recorded.
        with django_capture_on_commit_callbacks(execute=True), \
                pytest.raises(ValidationError) as refused:
            reminders.remind_unacknowledged(teacher, notice, link=LINK)
        assert refused.value.code == "already_reminded"
        assert len(mail.outbox) == 1 and len(told) == 1
        assert Record.objects.filter(kind="message.ack_reminded").count() == 1
        assert acknowledgements.reminded_today(notice)

        # Tomorrow it may go again.
        AcknowledgementReminder.objects.filter(pk=reminder.pk).update(
            day=reminder.day - timedelta(days=1))
        assert not acknowledgements.reminded_today(notice)
        with django_capture_on_commit_callbacks(execute=True):
            reminders.remind_unacknowledged(teacher, notice, link=LINK)
        assert len(mail.outbox) == 2 and len(told) == 2
    finally:
        acknowledgement_reminder_sent.disconnect(listen)


def test_nobody_is_reminded_when_every_family_has_acknowledged(
        notice: Message, families: dict[str, User], teacher: User, parent: User) -> None:
    receipts.acknowledge(parent, notice)
    receipts.acknowledge(families["sara"], notice)
    with pytest.raises(ValidationError) as refused:
        reminders.remind_unacknowledged(teacher, notice, link=LINK)
    assert refused.value.code == "nobody_to_remind"
    assert not AcknowledgementReminder.objects.exists()


def test_a_guardian_awaiting_their_invitation_makes_the_family_count_but_gets_no_mail(
        notice: Message, families: dict[str, User], teacher: User, parent: User) -> None:
    User.objects.filter(pk=families["sara"].pk).update(is_active=False)
    summary = acknowledgements.overview(notice)
    assert [f.pupil.first_name for f in summary.pending] == ["Emma", "Liam"]
    assert names(summary.to_remind()) == ["Anna Jansen", "Piet Jansen"]


@pytest.mark.parametrize("persona", ["parent", "admin", "dpo", "parent_5a"])
def test_only_staff_of_the_conversation_remind(request: pytest.FixtureRequest, notice: Message,
                                               persona: str) -> None:
    with pytest.raises(PermissionDenied):
        reminders.remind_unacknowledged(request.getfixturevalue(persona), notice, link=LINK)
    assert not AcknowledgementReminder.objects.exists()


def test_the_button_says_when_the_last_reminder_went_and_waits_for_tomorrow(
        client: Client, notice: Message, families: dict[str, User], teacher: User) -> None:
    client.force_login(teacher)
    url = reverse("messaging:acknowledgements", args=[notice.conversation_id, notice.pk])
    before = client.get(url).content.decode()
    assert "Remind those who have not" in before and " disabled" not in before
    remind = reverse("messaging:remind", args=[notice.conversation_id, notice.pk])
    answer = client.post(remind, follow=True)
    html = answer.content.decode()
    assert answer.redirect_chain[-1][0] == url
    assert "A reminder went to 3 guardians." in html
    assert "Last reminder:" in html and "by Ms de Vries, to 3 guardians." in html
    assert "The next one can go tomorrow." in html
    assert 'class="primary" aria-describedby="remind-note" disabled' in html
    again = client.post(remind)
    assert again.status_code == 400 and "already sent today" in again.content.decode()
    assert AcknowledgementReminder.objects.count() == 1


def test_the_bubble_counts_families_as_the_list_does_and_only_for_staff(
        client: Client, notice: Message, class_group: Conversation, families: dict[str, User],
        teacher: User, parent: User, parent_5a: User) -> None:
    receipts.acknowledge(parent, notice)
    receipts.acknowledge(families["piet"], notice)  # the same family: still one
    second, _ = send.post_message(teacher, class_group, "Bring a towel", ack_requested=True)
    client.force_login(teacher)
    page = client.get(reverse("messaging:conversation", args=[class_group.pk])).content.decode()
    bubble = page.split(f'id="m{notice.pk}"')[1].split('id="m')[0]
    assert "Please acknowledge" in bubble and ">1 of 2 families</a>" in bubble
    assert ">0 of 2 families</a>" in page.split(f'id="m{second.pk}"')[1]
    url = reverse("messaging:acknowledgements", args=[class_group.pk, notice.pk])
    assert client.get(url, {"format": "json"}).json() == {
        "acknowledged": 1, "families": 2, "text": "1 of 2 families"}
    # A parent reads the request and gets the button, never the count; an outsider nothing.
    client.force_login(parent)
    page = client.get(reverse("messaging:conversation", args=[class_group.pk])).content.decode()
    assert "Please acknowledge" in page and "of 2 families" not in page
    assert client.get(url, {"format": "json"}).status_code == 403
    client.force_login(parent_5a)
    assert client.get(url, {"format": "json"}).status_code == 404


def test_a_reader_who_is_not_staff_is_refused_and_an_outsider_gets_404(
        client: Client, notice: Message, parent: User, parent_5a: User) -> None:
    remind = reverse("messaging:remind", args=[notice.conversation_id, notice.pk])
    client.force_login(parent)
    assert client.post(remind).status_code == 403
    client.force_login(parent_5a)
    assert client.post(remind).status_code == 404
    assert not AcknowledgementReminder.objects.exists()


# --- asking for acknowledgement in a class group -----------------------------------------------

def test_the_class_group_page_offers_staff_the_question_and_parents_not(
        client: Client, class_group: Conversation, teacher: User, parent: User) -> None:
    url = reverse("messaging:conversation", args=[class_group.pk])
    client.force_login(teacher)
    assert 'name="ack_requested"' in client.get(url).content.decode()
    assert client.post(url, {"body": "Please confirm", "ack_requested": "on",
                             "confirm": "1"}).status_code == 302
    assert Message.objects.get(body="Please confirm").ack_requested
    client.force_login(parent)
    assert 'name="ack_requested"' not in client.get(url).content.decode()
    refused = client.post(url, {"body": "Me too", "ack_requested": "on", "confirm": "1"})
    assert refused.status_code == 400
    assert "Only staff can ask for acknowledgement" in refused.content.decode()
    assert not Message.objects.filter(body="Me too").exists()


# --- a whole class into a channel ----------------------------------------------------------------

@pytest.fixture
def channel(school: School, teacher: User, admin: User) -> Conversation:
    channel = groups.create_group(school, "Year 4 trip", announcements=True, actor=admin)
    groups.add_group_member(channel, teacher, actor=admin, manager=True)
    return channel


def test_adding_a_class_brings_its_families_and_teachers_once(
        channel: Conversation, class_4b: SchoolClass, families: dict[str, User], teacher: User,
        parent: User, parent_5a: User, admin: User,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    second = UserFactory(username="meester", display_name="Meester Bos", role=Role.TEACHER,
                         school=class_4b.school)
    class_4b.staff.add(second)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        added, already = groups.add_class_to_group(channel, class_4b, actor=teacher)
    assert names(added) == ["Anna Jansen", "Meester Bos", "Piet Jansen", "Sara Smit"]
    assert already == 1  # Ms de Vries was a member
    assert len(callbacks) == 4  # each new member's own notice, after the commit
    current = set(Membership.objects.filter(conversation=channel, ended_at__isnull=True)
                  .values_list("user__username", flat=True))
    # Not Joost (enrolment ended), the leaver, Kees (no contact) or 5A's Lucía.
    assert current == {"teacher", "meester", "parent", "piet", "sara"}
    [record] = Record.objects.filter(kind="member.class_added")
    assert record.scope == channel.scope and record.actor_id == teacher.pk
    assert record.payload.content["class"] == class_4b.pk
    assert sorted(record.payload.content["users"]) == sorted(u.pk for u in added)
    # One record for the class, not one per member.
    assert not Record.objects.filter(scope=channel.scope, kind="member.added",
                                     actor=teacher).exists()

    again, already = groups.add_class_to_group(channel, class_4b, actor=teacher)
    assert again == [] and already == 5
    assert Record.objects.filter(kind="member.class_added").count() == 1


def test_a_class_group_or_one_to_one_takes_no_class(class_group: Conversation,
                                                    class_4b: SchoolClass, teacher: User) -> None:
    with pytest.raises(ValueError):
        groups.add_class_to_group(class_group, class_4b, actor=teacher)


def test_the_members_page_adds_a_class_for_managers_only(
        client: Client, channel: Conversation, class_4b: SchoolClass, class_5a: SchoolClass,
        families: dict[str, User], teacher: User, parent: User, parent_5a: User,
        admin: User) -> None:
    members = reverse("messaging:members", args=[channel.pk])
    add = reverse("messaging:add_class", args=[channel.pk])
    client.force_login(teacher)
    page = client.get(members).content.decode()
    assert "Add a whole class" in page and ">4B</option>" in page and ">5A</option>" in page
    answer = client.post(add, {"school_class": class_4b.pk}, follow=True)
    assert answer.redirect_chain[-1][0] == members
    assert "4B: 3 added, 1 already members." in answer.content.decode()
    assert "Sara Smit" in answer.content.decode()
    bad = client.post(add, {"school_class": "nonsense"})
    assert bad.status_code == 400 and "Select a valid choice" in bad.content.decode()

    client.force_login(parent)  # a member now, not a manager
    assert "Add a whole class" not in client.get(members).content.decode()
    assert client.post(add, {"school_class": class_5a.pk}).status_code == 404
    client.force_login(parent_5a)
    assert client.post(add, {"school_class": class_5a.pk}).status_code == 404
    assert not Membership.objects.filter(conversation=channel, user=parent_5a).exists()

    client.force_login(admin)  # the school's admin manages every group
    assert client.post(add, {"school_class": class_5a.pk}).status_code == 302
    assert Membership.objects.filter(conversation=channel, user=parent_5a,
                                     ended_at__isnull=True).exists()


def test_another_schools_class_is_not_offered(client: Client, channel: Conversation,
                                              teacher: User) -> None:
    other = SchoolClass.objects.create(school=School.objects.create(name="Else", slug="else"),
                                       name="9Z")
    client.force_login(teacher)
    assert ">9Z<" not in client.get(reverse("messaging:members", args=[channel.pk])).content.decode()
    answer = client.post(reverse("messaging:add_class", args=[channel.pk]),
                         {"school_class": other.pk})
    assert answer.status_code == 400
    assert Membership.objects.filter(conversation=channel).count() == 1
