"""Adding a whole class to a channel and reminding the families who have not acknowledged,
against a live server on a committing database, in a school made with ``create_school``: each
request commits as in production, so an archive record outside the transaction, a mail sent
before the commit or a second reminder slipping through shows here."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from accounts.actions.enrolment import assign_staff
from accounts.models import Role, School, SchoolClass, User
from accounts.roster import import_roster
from archive import chain
from archive.models import Record
from messaging.models import AcknowledgementReminder, Conversation, Membership, Message
from tests.accounts.test_roster import as_csv
from tests.http import LiveClient, new_school_link

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "a-long-school-secret-7"

ROSTER = [
    ["P1", "Emma", "de Boer", "2016-03-01", "3A", "G1", "Anna de Boer", "anna@example.invalid",
     "parent", "yes"],
    ["P1", "Emma", "de Boer", "2016-03-01", "3A", "G2", "Piet de Boer", "piet@example.invalid",
     "parent", "yes"],
    ["P2", "Liam", "Smit", "2016-04-02", "3A", "G3", "Sara Smit", "sara@example.invalid",
     "parent", "yes"],
    ["P3", "Noor", "Bakker", "2016-05-03", "2B", "G4", "Joost Bakker", "joost@example.invalid",
     "parent", "yes"],
]


@pytest.fixture
def school_with_3a(live_server: LiveServer, settings: Settings) -> tuple[School, User, User]:
    """De Regenboog as ``create_school`` makes it, its first admin signed up, the roster
    imported (families signed up too), and juf Mirjam teaching 3A."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    visitor = LiveClient(live_server.url)
    answer = visitor.post(new_school_link(live_server.url),
                          {"new_password1": PASSWORD, "new_password2": PASSWORD}, follow=False)
    assert answer.status == 302, answer.text
    school = School.objects.get(slug="regenboog")
    admin = User.objects.get(username="head")
    import_roster(school, as_csv(ROSTER), actor=admin)
    admin_client = LiveClient(live_server.url, admin)
    created = admin_client.post("/school/people/", {
        "username": "mirjam", "display_name": "Juf Mirjam", "role": "teacher",
        "email": "mirjam@example.invalid", "phone": ""})
    assert created.status == 200, created.text[:2000]
    # Everyone has followed their invitation link by now.
    User.objects.filter(school=school).update(is_active=True)
    teacher = User.objects.get(username="mirjam")
    assign_staff(teacher, SchoolClass.objects.get(school=school, name="3A"), actor=admin)
    mail.outbox = []
    return school, admin, teacher


def test_a_manager_adds_a_whole_class_then_reminds_those_who_have_not(
        live_server: LiveServer, school_with_3a: tuple[School, User, User]) -> None:
    school, admin, teacher = school_with_3a
    head = LiveClient(live_server.url, admin)
    made = head.post("/school/groups/", {"title": "Trip to the zoo", "announcements": "on"})
    assert made.status == 200, made.text[:2000]
    channel = Conversation.objects.get(school=school, title="Trip to the zoo")
    staffed = head.post(f"/school/groups/{channel.pk}/", {"user": teacher.pk, "manager": "on"})
    assert staffed.status == 200 and "Juf Mirjam" in staffed.text

    # The add-class form on the channel's members page.
    juf = LiveClient(live_server.url, teacher)
    members = f"/c/{channel.pk}/members/"
    page = juf.get(members)
    assert page.status == 200 and "Add a whole class" in page.text
    class_3a = SchoolClass.objects.get(school=school, name="3A")
    added = juf.post(f"/c/{channel.pk}/members/add-class", {"school_class": class_3a.pk},
                     form_page=members)
    assert added.status == 200 and added.url.endswith(members), added.text[:2000]
    assert "3A: 3 added, 1 already members." in added.text
    assert set(Membership.objects.filter(conversation=channel, ended_at__isnull=True)
               .values_list("user__display_name", flat=True)) == {
        "Juf Mirjam", "Anna de Boer", "Piet de Boer", "Sara Smit"}
    again = juf.post(f"/c/{channel.pk}/members/add-class", {"school_class": class_3a.pk},
                     form_page=members)
    assert "3A: 0 added, 4 already members." in again.text
    assert Record.objects.filter(scope=channel.scope, kind="member.class_added").count() == 1

    # The teacher asks for acknowledgement; Piet acknowledges for Emma's family.
    chat = f"/c/{channel.pk}/"
    posted = juf.post(chat, {"body": "Zoo trip on Friday: please confirm",
                             "ack_requested": "on"})
    assert posted.status == 200, posted.text[:2000]
    notice = Message.objects.get(conversation=channel)
    assert notice.ack_requested
    piet = LiveClient(live_server.url, User.objects.get(display_name="Piet de Boer"))
    assert piet.post(f"{chat}m/{notice.pk}/acknowledge", {}, form_page=chat).status == 200

    listing = f"{chat}m/{notice.pk}/acknowledgements"
    page = juf.get(listing)
    assert "1 of 2 families acknowledged" in page.text
    assert re.search(r"Emma de Boer.*Piet de Boer", page.text, re.S)

    reminded = juf.post(f"{chat}m/{notice.pk}/remind", {}, form_page=listing)
    assert reminded.status == 200 and reminded.url.endswith(listing), reminded.text[:2000]
    assert "A reminder went to 1 guardian." in reminded.text
    assert "The next one can go tomorrow." in reminded.text
    [sent] = mail.outbox
    assert sent.to == ["sara@example.invalid"]
    assert f"{live_server.url}/c/{channel.pk}/#m{notice.pk}" in sent.body

    refused = juf.post(f"{chat}m/{notice.pk}/remind", {}, form_page=listing)
    assert refused.status == 400 and "already sent today" in refused.text
    assert len(mail.outbox) == 1
    assert AcknowledgementReminder.objects.filter(message=notice).count() == 1
    assert Record.objects.filter(scope=channel.scope, kind="message.ack_reminded").count() == 1

    # A parent can neither remind nor add a class.
    sara = LiveClient(live_server.url, User.objects.get(display_name="Sara Smit"))
    assert sara.post(f"{chat}m/{notice.pk}/remind", {}, form_page=chat).status == 403
    class_2b = SchoolClass.objects.get(school=school, name="2B")
    assert sara.post(f"/c/{channel.pk}/members/add-class", {"school_class": class_2b.pk},
                     form_page=members).status == 404
    assert not Membership.objects.filter(conversation=channel,
                                         user__display_name="Joost Bakker").exists()
    assert User.objects.filter(role=Role.PARENT, school=school).count() == 4
    assert chain.verify().intact
