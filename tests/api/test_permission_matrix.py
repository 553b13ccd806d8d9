"""Every API operation against a token of each scope, a revoked token and none.

A token acts as a staff member: the conversation operations' tokens act as the 4B teacher
(a member of the 4B class group and manager of the announcements channel), the roster's as the
school admin, who alone imports the roster (a CSV or a OneRoster zip); the absences' as the 4B
teacher, the parents' evenings' as the admin, who published one for 4B. With the scope (or
``all``) the operation answers; with another scope 403; revoked or missing 401; and a refused
call changes nothing.
"""

from __future__ import annotations

import io
from typing import Any

import pytest

from accounts.models import RosterImport, School, SchoolClass, User
from archive.models import Record
from meetings.actions.rounds import publish_round
from messaging.models import Conversation, Message
from tests.accounts.oneroster_files import bulk_files, make_zip, small_school
from tests.api.conftest import ROSTER, SCOPES, call, make_token, revoked_token
from tests.meetings.conftest import plan_for

pytestmark = pytest.mark.django_db

TOKENS = [*SCOPES, "revoked", "none"]
# operation: (scope it needs, whom the token acts as, status when allowed)
OPERATIONS: dict[str, tuple[str, str, int]] = {
    "list conversations": ("conversations:read", "teacher", 200),
    "one conversation": ("conversations:read", "teacher", 200),
    "post an announcement": ("announcements:write", "teacher", 201),
    "acknowledgements": ("acknowledgements:read", "teacher", 200),
    "roster preview": ("roster:write", "admin", 200),
    "roster import": ("roster:write", "admin", 202),
    "roster import status": ("roster:write", "admin", 200),
    "oneroster preview": ("roster:write", "admin", 200),
    "oneroster import": ("roster:write", "admin", 202),
    "absences": ("absences:read", "teacher", 200),
    "meeting rounds": ("bookings:read", "admin", 200),
    "meeting bookings": ("bookings:read", "admin", 200),
}
ONEROSTER = make_zip(bulk_files(small_school()))


def expected(operation: str, token: str) -> int:
    scope, _actor, allowed = OPERATIONS[operation]
    if token in ("revoked", "none"):
        return 401
    return allowed if token in (scope, "all") else 403


def _send(operation: str, token: str | None, things: dict[str, Any]) -> Any:
    conversation, announcements = things["conversation"], things["announcements"]
    if operation == "list conversations":
        return call("get", "/api/conversations", token)
    if operation == "one conversation":
        return call("get", f"/api/conversations/{conversation.pk}", token)
    if operation == "post an announcement":
        return call("post", f"/api/conversations/{announcements.pk}/announcements", token,
                    data={"text": "School closes at noon"}, content_type="application/json")
    if operation == "acknowledgements":
        return call("get", f"/api/messages/{things['message'].pk}/acknowledgements", token)
    if operation == "absences":
        return call("get", "/api/absences?date=2026-12-07", token)
    if operation == "meeting rounds":
        return call("get", "/api/meetings/rounds", token)
    if operation == "meeting bookings":
        return call("get", f"/api/meetings/rounds/{things['round'].pk}/bookings", token)
    if operation.startswith("oneroster"):
        # The fixtures' pupils are not in the file: they are the leavers it confirms.
        dry_run = "true" if operation == "oneroster preview" else "false"
        return call("post", f"/api/roster/imports?format=oneroster&dry_run={dry_run}"
                    "&confirm_leavers=true", token,
                    data={"file": io.BytesIO(ONEROSTER)})
    if operation == "roster import status":
        return call("get", f"/api/roster/imports/{things['job'].pk}", token)
    dry_run = "true" if operation == "roster preview" else "false"
    return call("post", f"/api/roster/imports?dry_run={dry_run}", token,
                data={"file": io.BytesIO(ROSTER.encode())})


@pytest.mark.parametrize("token_kind", TOKENS)
@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_every_operation_answers_its_row(school: School, teacher: User, admin: User,
                                         conversation_4b: Conversation,
                                         announcements: Conversation, ack_message: Message,
                                         class_4b: SchoolClass, operation: str,
                                         token_kind: str) -> None:
    acts_as = {"teacher": teacher, "admin": admin}[OPERATIONS[operation][1]]
    token = {"revoked": revoked_token(school, acts_as), "none": None}.get(
        token_kind) if token_kind in ("revoked", "none") else make_token(school, acts_as,
                                                                          [token_kind])
    job = RosterImport.objects.create(school=school, started_by=admin, state="done",
                                      lines_total=1, lines_done=1,
                                      result={"summary": "Pupils: 1 created.", "changes": []})
    things = {"conversation": conversation_4b, "announcements": announcements,
              "message": ack_message, "job": job,
              "round": publish_round(admin, plan_for([class_4b]))}
    messages_before, records_before = Message.objects.count(), Record.objects.count()
    response = _send(operation, token, things)
    status = expected(operation, token_kind)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    if status >= 400:
        assert body["code"] == {401: "unauthenticated", 403: "scope"}[status]
        assert body["detail"]
        assert Message.objects.count() == messages_before
        assert Record.objects.count() == records_before
        assert RosterImport.objects.count() == 1
    if status == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")
    if status == 403:
        assert OPERATIONS[operation][0] in body["detail"]
    if operation == "post an announcement" and status == 201:
        assert Message.objects.filter(conversation=announcements,
                                      body="School closes at noon", sender=teacher).exists()
    if operation in ("roster import", "oneroster import") and status == 202:
        assert body["state"] in ("pending", "running", "done")
        assert RosterImport.objects.count() == 2
