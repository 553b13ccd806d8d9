"""Schemathesis against a real daphne process: the API's own OpenAPI document drives
thousands of generated calls (valid and invalid bodies, parameters, headers, methods, no or a
wrong token), and none may answer 500 or anything the document does not describe.

Run once with a token acting as the 4B teacher (the conversations, the announcements, the
acknowledgements, the absences and the parents' evening answer) and once acting as the admin
(the roster, in both formats, answers). Every check runs
but ``positive_data_acceptance``: it expects every body the schema allows to be taken, and a
schema cannot say what a good roster file is ("a CSV with these columns") or that a message
is more than the characters Python strips. Those refusals are 422 with their reason, which
the other checks hold to the document. The seed is fixed, so a run is repeatable.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from absence.actions import Absence, report_absence, school_today
from absence.models import Reason
from accounts.models import Role
from api.actions import create_token
from meetings.actions.bookings import book
from meetings.actions.rounds import publish_round
from messaging.actions import membership
from messaging.actions.send import post_message
from messaging.models import Conversation
from tests.factories import PupilFactory, SchoolClassFactory, SchoolFactory, UserFactory, enrol
from tests.live import daphne_servers
from tests.meetings.conftest import plan_for

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_headers_conformance,response_schema_conformance,negative_data_rejection,"
          "missing_required_header,unsupported_method,allow_header_conformance,use_after_free,"
          "ensure_resource_availability,ignored_auth,object_level_authorization")


def _school_with_tokens() -> dict[str, str]:
    # A posting budget no run reaches: the checks are about answers, not the rate (429 is
    # documented and its own test covers it).
    school = SchoolFactory(name="Test Primary", slug="test-primary", post_burst=30000,
                           posts_per_minute=30000)
    class_4b = SchoolClassFactory(school=school, name="4B")
    admin = UserFactory(username="admin", role=Role.ADMIN, school=school)
    teacher = UserFactory(username="teacher", role=Role.TEACHER, school=school)
    class_4b.staff.add(teacher)
    parent = UserFactory(username="parent", role=Role.PARENT, school=school)
    emma = enrol(PupilFactory(school=school, first_name="Emma"), class_4b, parent)
    today = school_today(school)
    report_absence(parent, [emma], Absence(today, today, Reason.ILL, note="Fever"))
    evening = publish_round(admin, plan_for([class_4b]))
    book(parent, evening, evening.slots.order_by("starts_at")[0], emma)
    group = Conversation.objects.create(school=school, kind=Conversation.Kind.CLASS,
                                        school_class=class_4b)
    news = Conversation.objects.create(school=school, kind=Conversation.Kind.ANNOUNCEMENT,
                                       title="News")
    for conversation in (group, news):
        membership.add_member(conversation, teacher, actor=admin, manager=True)
        membership.add_member(conversation, parent, actor=admin)
    post_message(teacher, group, "Sign the trip form", ack_requested=True)
    return {who: create_token(school, name=who, scopes_wanted=["all"], acts_as=person,
                              actor=None).secret
            for who, person in (("teacher", teacher), ("admin", admin))}


@pytest.mark.parametrize("acting_as", ["teacher", "admin"])
def test_schemathesis_finds_no_server_error_and_nothing_outside_the_schema(
        transactional_db: None, tmp_path: Path, acting_as: str) -> None:
    token = _school_with_tokens()[acting_as]
    env = {"SCHOOLCHAT_API_BURST": "1000000", "SCHOOLCHAT_API_PER_MINUTE": "1000000"}
    with daphne_servers(1, tmp_path, extra_env=env) as servers:
        run = subprocess.run(
            [str(SCHEMATHESIS), "run", f"{servers[0].url}/api/openapi.json",
             "--header", f"Authorization: Bearer {token}", "--checks", CHECKS,
             "--max-examples", "30", "--seed", "20261207", "--generation-database", "none",
             "--request-timeout", "30", "--workers", "1", "--no-color"],
            capture_output=True, text=True, timeout=540, cwd=tmp_path)
        log = servers[0].log()
    assert run.returncode == 0, f"{run.stdout[-6000:]}\n{run.stderr[-2000:]}\n{log}"
    assert "Traceback" not in log, log
