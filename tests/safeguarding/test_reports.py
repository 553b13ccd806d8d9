"""Reporting a message or a person, the reporter's own list, and what the reported person
never learns; the lead's queue and decisions over HTTP."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Pupil, User
from archive.models import Record
from messaging.actions import send
from messaging.models import Conversation, Restriction
from safeguarding import actions
from safeguarding.models import Report, State

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _conversation_page(user: User, conversation: Conversation) -> str:
    return _client(user).get(reverse("messaging:conversation",
                                     args=[conversation.pk])).content.decode()


def test_a_member_reports_someone_elses_message_and_sees_its_state(
        conversation_4b: Conversation, teacher: User, parent: User, lead: User) -> None:
    unkind, _ = send.post_message(teacher, conversation_4b, "Your child never listens")
    page = _conversation_page(parent, conversation_4b)
    url = reverse("safeguarding:report_message", args=[unkind.pk])
    assert f'href="{url}"' in page
    # Not on one's own message.
    assert f'href="{url}"' not in _conversation_page(teacher, conversation_4b)
    client = _client(parent)
    form = client.get(url)
    assert form.status_code == 200 and "Your child never listens" in form.content.decode()
    response = client.post(url, {"reason": "bullying", "note": "Said in front of everyone"})
    assert response.status_code == 302 and response["Location"] == reverse("safeguarding:my_reports")
    report = Report.objects.get()
    assert (report.reporter, report.person, report.message, report.state) == (
        parent, teacher, unkind, State.OPEN)
    mine = client.get(reverse("safeguarding:my_reports")).content.decode()
    assert "Bullying" in mine and "Open" in mine
    # On record for the DPO, by id in the payload only: neither its actor nor a subject, so
    # nothing that lists a person's records by actor or subject finds the reporter.
    record = Record.objects.get(kind="safeguarding.reported")
    assert record.actor is None and record.payload.content["reporter"] == parent.pk
    assert record.subject_user_ids == [teacher.pk]


def test_a_report_needs_a_reason_and_a_csrf_token(
        conversation_4b: Conversation, teacher: User, parent: User) -> None:
    unkind, _ = send.post_message(teacher, conversation_4b, "Hm")
    url = reverse("safeguarding:report_message", args=[unkind.pk])
    response = _client(parent).post(url, {"reason": "", "note": "x"})
    assert response.status_code == 200 and not Report.objects.exists()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(parent)
    assert strict.post(url, {"reason": "other"}).status_code == 403
    assert not Report.objects.exists()


def test_the_reported_person_is_never_told_who_reported(
        conversation_4b: Conversation, teacher: User, parent: User, lead: User) -> None:
    unkind, _ = send.post_message(teacher, conversation_4b, "Your child never listens")
    actions.report_message(parent, unkind, reason="bullying", note="by Anna")
    actions.report_person(parent, teacher, reason="other", note="again, Anna")
    teacher_client = _client(teacher)
    for path in (reverse("safeguarding:my_reports"),
                 reverse("messaging:conversation", args=[conversation_4b.pk]),
                 reverse("messaging:inbox")):
        body = teacher_client.get(path).content.decode()
        assert "Anna Jansen" not in body
        assert "Reported by" not in body and "by Anna" not in body
    for path in (reverse("safeguarding:queue"), reverse("safeguarding:oversight")):
        assert teacher_client.get(path).status_code == 404
    # The lead sees the reporter.
    queue = _client(lead).get(reverse("safeguarding:queue")).content.decode()
    assert "Reported by Anna Jansen" in queue


def test_a_member_cannot_report_what_they_cannot_read(
        conversation_4b: Conversation, teacher: User, parent_5a: User) -> None:
    unkind, _ = send.post_message(teacher, conversation_4b, "Secret")
    url = reverse("safeguarding:report_message", args=[unkind.pk])
    client = _client(parent_5a)
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "other"}).status_code == 404
    assert not Report.objects.exists()


def test_a_person_report(parent: User, teacher: User, lead: User) -> None:
    url = reverse("safeguarding:report_person", args=[teacher.pk])
    response = _client(parent).post(url, {"reason": "worry", "note": ""})
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.message is None and report.person == teacher
    assert _client(parent).get(reverse("safeguarding:report_person",
                                       args=[parent.pk])).status_code == 404


def test_the_lead_removes_a_reported_message_and_restricts_its_sender(
        conversation_4b: Conversation, teacher: User, parent: User, lead: User) -> None:
    unkind, _ = send.post_message(parent, conversation_4b, "You are ugly")
    report = actions.report_message(teacher, unkind, reason="bullying")
    client = _client(lead)
    item = reverse("safeguarding:item", args=["report", report.pk])
    page = client.get(item).content.decode()
    # Not a member: the conversation around it needs a reason first.
    assert "Why do you need to see this conversation?" in page
    response = client.post(reverse("safeguarding:look", args=["report", report.pk]), {"reason": ""})
    assert response.status_code == 400
    assert not Record.objects.filter(kind="safeguarding.looked").exists()
    response = client.post(reverse("safeguarding:look", args=["report", report.pk]),
                           {"reason": "Checking the report"})
    assert response.status_code == 200 and 'aria-current="true"' in response.content.decode()
    looked = Record.objects.get(kind="safeguarding.looked")
    assert looked.actor == lead and looked.payload.content["reason"] == "Checking the report"

    response = client.post(reverse("safeguarding:decide", args=["report", report.pk, "remove"]),
                           {"remove-reason": "Bullying"})
    assert response.status_code == 302
    unkind.refresh_from_db()
    report.refresh_from_db()
    assert unkind.removed_at is not None and report.state == State.ACTIONED
    assert "Removed by the school" in _conversation_page(teacher, conversation_4b)

    report2 = actions.report_person(teacher, parent, reason="bullying")
    response = client.post(reverse("safeguarding:decide", args=["report", report2.pk, "restrict"]),
                           {"restrict-duration": "week", "restrict-reason": "Repeated"})
    assert response.status_code == 302
    assert Restriction.objects.get().user == parent
    kinds = set(Record.objects.filter(scope=f"safeguarding:{lead.school_id}")
                .values_list("kind", flat=True))
    assert {"safeguarding.reported", "safeguarding.looked", "safeguarding.removed",
            "safeguarding.restricted"} <= kinds


def test_the_dpo_sees_who_did_what_when_and_why(
        conversation_4b: Conversation, teacher: User, parent: User, lead: User,
        dpo: User) -> None:
    unkind, _ = send.post_message(parent, conversation_4b, "You are ugly")
    report = actions.report_message(teacher, unkind, reason="bullying", note="To a child")
    actions.remove(lead, report, reason="Name-calling")
    actions.notify_dpo(lead, report, note="Please keep an eye on this")
    page = _client(dpo).get(reverse("safeguarding:oversight")).content.decode()
    assert "Report made" in page and "Message removed" in page
    assert "Why: Bullying: To a child" in page
    assert "Name-calling" in page and "Mr Veilig" in page and "Ms de Vries" in page
    assert "Please keep an eye on this" in page
    assert _client(lead).get(reverse("safeguarding:oversight")).status_code == 404


def test_a_case_note_is_for_leads_only(parent: User, lead: User, teacher: User) -> None:
    emma = Pupil.objects.get(first_name="Emma")
    url = reverse("safeguarding:case_notes", args=[emma.pk])
    assert _client(lead).post(url, {"text": "Seemed upset on Monday"}).status_code == 302
    assert "Seemed upset on Monday" in _client(lead).get(url).content.decode()
    for other in (teacher, parent):
        assert _client(other).get(url).status_code == 404



def test_a_dismissed_report_reads_dismissed_for_its_reporter(
        conversation_4b: Conversation, teacher: User, parent: User, lead: User) -> None:
    message, _ = send.post_message(teacher, conversation_4b, "Swimming on Tuesday")
    report = actions.report_message(parent, message, reason="other")
    response = _client(lead).post(reverse("safeguarding:decide",
                                          args=["report", report.pk, "dismiss"]),
                                  {"dismiss-reason": "Nothing wrong"})
    assert response.status_code == 302
    mine = _client(parent).get(reverse("safeguarding:my_reports")).content.decode()
    assert "Dismissed" in mine
    queue = _client(lead).get(reverse("safeguarding:queue")).content.decode()
    assert "Swimming on Tuesday" not in queue and "Nothing is waiting." in queue
    # An unknown decision is not there.
    assert _client(lead).post(reverse("safeguarding:decide",
                                      args=["report", report.pk, "frobnicate"])).status_code == 404


def test_the_lead_lifts_a_restriction_early(parent: User, teacher: User, lead: User) -> None:
    report = actions.report_person(teacher, parent, reason="bullying")
    client = _client(lead)
    client.post(reverse("safeguarding:decide", args=["report", report.pk, "restrict"]),
                {"restrict-duration": "day", "restrict-reason": "Cooling off"})
    restriction = Restriction.objects.get(user=parent)
    assert "Anna Jansen can read but not post until" in client.get(
        reverse("safeguarding:queue")).content.decode()
    assert _client(teacher).post(reverse("safeguarding:lift", args=[restriction.pk])
                                 ).status_code == 404
    assert client.post(reverse("safeguarding:lift", args=[restriction.pk])).status_code == 302
    restriction.refresh_from_db()
    assert restriction.lifted_at is not None
    assert "Nobody is restricted." in client.get(reverse("safeguarding:queue")).content.decode()


def test_a_restriction_needs_an_end_in_the_future(parent: User, teacher: User,
                                                  lead: User) -> None:
    report = actions.report_person(teacher, parent, reason="bullying")
    url = reverse("safeguarding:decide", args=["report", report.pk, "restrict"])
    for data in ({"restrict-duration": "date", "restrict-reason": "x"},
                 {"restrict-duration": "date", "restrict-until": "2000-01-01",
                  "restrict-reason": "x"},
                 {"restrict-duration": "week", "restrict-reason": ""}):
        assert _client(lead).post(url, data).status_code == 400
    assert not Restriction.objects.exists()


def test_another_schools_lead_sees_nothing_of_this_one(
        conversation_4b: Conversation, teacher: User, parent: User, other_lead: User) -> None:
    message, _ = send.post_message(teacher, conversation_4b, "Hello")
    report = actions.report_message(parent, message, reason="other")
    client = _client(other_lead)
    assert "Hello" not in client.get(reverse("safeguarding:queue")).content.decode()
    assert client.get(reverse("safeguarding:item", args=["report", report.pk])).status_code == 404
    assert client.post(reverse("safeguarding:decide", args=["report", report.pk, "remove"]),
                       {"remove-reason": "x"}).status_code == 404
    message.refresh_from_db()
    assert message.removed_at is None
