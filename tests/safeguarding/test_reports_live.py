"""The report form and the lead's decisions against a live server on a committing database,
in a school made with ``create_school``: each form posts as a browser's would (CSRF token and
all), each request commits on its own."""

from __future__ import annotations

import pytest
from pytest_django.live_server_helper import LiveServer

from accounts.actions.people import create_account
from accounts.actions.schools import create_school
from accounts.models import Role, User
from archive.models import Record
from messaging.actions import membership, send
from messaging.models import Conversation, Restriction
from safeguarding.models import Report, State
from tests.http import LiveClient

pytestmark = pytest.mark.django_db(transaction=True)


def _people() -> dict[str, User]:
    school, _ = create_school("De Regenboog", slug="regenboog")
    people = {u: create_account(school, actor=None, username=u, display_name=n, role=r)
              for u, n, r in (("mirjam", "Juf Mirjam", Role.TEACHER),
                              ("anna", "Anna de Boer", Role.PARENT),
                              ("veilig", "Meneer Veilig", Role.SAFEGUARDING),
                              ("privacy", "Mevrouw Privé", Role.DPO))}
    User.objects.filter(school=school).update(is_active=True)
    return {u: User.objects.get(pk=p.pk) for u, p in people.items()}


def test_a_report_and_the_leads_decisions_through_the_live_server(
        live_server: LiveServer) -> None:
    people = _people()
    school = people["anna"].school
    assert school is not None
    club = Conversation.objects.create(school=school,
                                       kind=Conversation.Kind.GROUP, title="Ouders")
    for member in ("mirjam", "anna"):
        membership.add_member(club, people[member], actor=None)
    unkind, _ = send.post_message(people["mirjam"], club, "Jullie kinderen zijn dom")
    anna = LiveClient(live_server.url, people["anna"])
    lead = LiveClient(live_server.url, people["veilig"])

    form = f"/safeguarding/report/message/{unkind.pk}/"
    refused = anna.post(form, {"reason": "nonsense"})
    assert refused.status == 200 and not Report.objects.exists()
    sent = anna.post(form, {"reason": "bullying", "note": "In front of everyone"})
    assert sent.status == 200 and sent.url.endswith("/safeguarding/my-reports/")
    assert "Thank you" in sent.text and "Bullying" in sent.text
    report = Report.objects.get()
    assert "Jullie kinderen zijn dom" in lead.get("/safeguarding/").text

    item = f"/safeguarding/report/{report.pk}/"
    looked = lead.post(f"{item}look", {"reason": "Checking a report"}, form_page=item)
    assert looked.status == 200 and 'aria-current="true"' in looked.text
    removed = lead.post(f"{item}remove", {"remove-reason": "Insults"}, form_page=item)
    assert removed.status == 200 and removed.url.endswith("/safeguarding/")
    report.refresh_from_db()
    assert report.state == State.ACTIONED
    assert "Removed by the school" in LiveClient(live_server.url, people["mirjam"]).get(
        f"/c/{club.pk}/").text

    other = Report.objects.create(school=report.school, person=people["mirjam"],
                                  reporter=people["anna"], reason="other")
    page = f"/safeguarding/report/{other.pk}/"
    restricted = lead.post(f"{page}restrict", {"restrict-duration": "date",
                                               "restrict-until": "2099-01-01",
                                               "restrict-reason": "Repeated insults"},
                           form_page=page)
    assert restricted.status == 200
    assert Restriction.objects.get().user == people["mirjam"]
    assert "Juf Mirjam can read but not post until" in lead.get("/safeguarding/").text
    oversight = LiveClient(live_server.url, people["privacy"]).get("/safeguarding/oversight/").text
    for seen in ("Report made", "Looked at a conversation", "Checking a report",
                 "Message removed", "Insults", "Member restricted", "Repeated insults"):
        assert seen in oversight
    assert Record.objects.filter(scope=f"safeguarding:{report.school_id}").count() == 4
