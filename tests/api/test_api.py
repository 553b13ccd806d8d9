"""The API as a school's system meets it: what each operation answers, what it refuses and
why, and that it goes through the same rules and actions as the pages (and their archive)."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import Pupil, Role, RosterImport, School, SchoolClass, User
from api.models import ApiToken
from archive.models import Record
from messaging.actions import membership
from messaging.models import Conversation, Message, Restriction
from tests.api.conftest import ROSTER, call, make_token
from tests.factories import SchoolFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_list_holds_what_the_teacher_reads_of_the_school(
        school: School, teacher: User, admin: User, conversation_4b: Conversation,
        conversation_5a: Conversation, announcements: Conversation) -> None:
    token = make_token(school, teacher, ["conversations:read"])
    other = SchoolFactory(name="Other", slug="other")
    Conversation.objects.create(school=other, kind=Conversation.Kind.GROUP, title="Elsewhere")
    body = call("get", "/api/conversations", token).json()
    assert body["count"] == 2
    assert [(c["kind"], c["name"], c["members"]) for c in body["items"]] == [
        ("class", "4B class group", 2), ("announcement", "Announcements", 2)]
    assert body["items"][0]["school_class"]["name"] == "4B"
    only = call("get", "/api/conversations?kind=announcement&limit=1", token).json()
    assert [c["id"] for c in only["items"]] == [announcements.pk]
    # A class group is named in the language the request asks for.
    dutch = call("get", f"/api/conversations/{conversation_4b.pk}", token,
                 HTTP_ACCEPT_LANGUAGE="nl").json()
    assert dutch["name"] == "Klassengroep 4B"


def test_what_the_teacher_does_not_read_is_not_there(
        school: School, teacher: User, conversation_5a: Conversation) -> None:
    token = make_token(school, teacher, ["all"])
    for path in (f"/api/conversations/{conversation_5a.pk}", "/api/conversations/999999",
                 f"/api/conversations/{conversation_5a.pk}/announcements"):
        method = "post" if path.endswith("announcements") else "get"
        response = call(method, path, token, data={"text": "hi"}, content_type="application/json")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_one_to_one_conversations_are_never_served(school: School, teacher: User,
                                                   parent: User, admin: User) -> None:
    direct = Conversation.objects.create(school=school, kind=Conversation.Kind.DIRECT)
    membership.add_member(direct, teacher, actor=admin)
    membership.add_member(direct, parent, actor=admin)
    token = make_token(school, teacher, ["all"])
    assert call("get", f"/api/conversations/{direct.pk}", token).status_code == 404
    assert direct.pk not in [c["id"] for c in call("get", "/api/conversations", token).json()["items"]]


def test_an_announcement_is_posted_by_the_staff_member_and_archived_as_theirs(
        school: School, teacher: User, announcements: Conversation) -> None:
    token = make_token(school, teacher, ["announcements:write"])
    client_id = str(uuid.uuid4())
    data = {"text": "No school on Friday", "acknowledgement_requested": True,
            "client_id": client_id}
    first = call("post", f"/api/conversations/{announcements.pk}/announcements", token,
                 data=data, content_type="application/json")
    assert first.status_code == 201
    posted = first.json()
    message = Message.objects.get(pk=posted["id"])
    assert message.sender == teacher and message.ack_requested and message.body == data["text"]
    assert posted["sender"] == teacher.pk and posted["published"] and posted["seq"] == message.seq
    record = Record.objects.get(kind="message.posted", message_id=message.pk)
    assert record.actor_id == teacher.pk
    # The same client_id again: the first announcement, not a second one.
    again = call("post", f"/api/conversations/{announcements.pk}/announcements", token,
                 data=data, content_type="application/json")
    assert again.status_code == 200 and again.json()["id"] == message.pk
    assert Message.objects.filter(conversation=announcements).count() == 1


def test_announcements_go_to_channels_and_class_groups_only(school: School, teacher: User,
                                                            admin: User) -> None:
    club = Conversation.objects.create(school=school, kind=Conversation.Kind.GROUP, title="Chess")
    membership.add_member(club, teacher, actor=admin, manager=True)
    token = make_token(school, teacher, ["announcements:write"])
    response = call("post", f"/api/conversations/{club.pk}/announcements", token,
                    data={"text": "Hello"}, content_type="application/json")
    assert response.status_code == 422
    assert "announcement channel or a class group" in response.json()["detail"]
    assert not Message.objects.filter(conversation=club).exists()


def test_a_member_who_may_not_post_is_refused_with_the_pages_sentence(
        school: School, admin: User, teacher: User, announcements: Conversation) -> None:
    # The school's safeguarding lead restricted the teacher: they read, they do not post.
    Restriction.objects.create(school=school, user=teacher, created_by=admin, reason="Review",
                               until=timezone.now() + timedelta(days=1))
    token = make_token(school, teacher, ["all"])
    response = call("post", f"/api/conversations/{announcements.pk}/announcements", token,
                    data={"text": "Hello"}, content_type="application/json")
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "forbidden"
    assert body["detail"].startswith("You can read but not send messages until")
    assert not Message.objects.exists()


@pytest.mark.parametrize("data, field", [
    ({}, "text"), ({"text": ""}, "text"), ({"text": "a\x00b"}, "text"),
    ({"text": "hi", "client_id": "not-a-uuid"}, "client_id"),
    ({"text": "hi", "urgent": "very"}, "urgent"),
])
def test_bad_input_gets_a_sentence_and_changes_nothing(school: School, teacher: User,
                                                       announcements: Conversation,
                                                       data: dict[str, Any], field: str) -> None:
    token = make_token(school, teacher, ["announcements:write"])
    response = call("post", f"/api/conversations/{announcements.pk}/announcements", token,
                    data=data, content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid" and body["detail"] == "Some values are missing or not valid."
    assert any(error.startswith(field) for error in body["errors"]), body
    assert not Message.objects.exists()


def test_a_body_that_is_not_json_is_a_400(school: School, teacher: User,
                                          announcements: Conversation) -> None:
    token = make_token(school, teacher, ["announcements:write"])
    response = call("post", f"/api/conversations/{announcements.pk}/announcements", token,
                    data="{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "bad_request"


def test_a_message_too_long_is_refused_by_its_field(
        school: School, teacher: User, announcements: Conversation) -> None:
    token = make_token(school, teacher, ["announcements:write"])
    response = call("post", f"/api/conversations/{announcements.pk}/announcements", token,
                    data={"text": "x" * 4001}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"] == ["text: String should have at most 4000 characters"]
    assert not Message.objects.exists()


def test_ids_beyond_any_row_are_invalid_not_errors(school: School, teacher: User) -> None:
    token = make_token(school, teacher, ["all"])
    for path in (f"/api/conversations/{2**63}", "/api/conversations/0",
                 f"/api/messages/{2**64}/acknowledgements", "/api/conversations?limit=100000"):
        assert call("get", path, token).status_code == 422


def test_acknowledgements_are_counted_by_family(school: School, teacher: User, parent: User,
                                                ack_message: Message) -> None:
    from messaging.actions.receipts import acknowledge

    acknowledge(parent, ack_message)
    token = make_token(school, teacher, ["acknowledgements:read"])
    body = call("get", f"/api/messages/{ack_message.pk}/acknowledgements", token).json()
    assert (body["families"], body["acknowledged"]) == (1, 1)
    family = body["by_family"][0]
    emma = Pupil.objects.get(first_name="Emma")
    assert family["pupil"] == {"id": emma.pk, "name": f"Emma {emma.last_name}", "ref": emma.ref}
    assert family["acknowledged"] and family["acknowledgements"][0]["person"]["name"] == "Anna Jansen"


def test_acknowledgements_are_for_the_conversations_staff(school: School, parent: User,
                                                          admin: User, teacher: User,
                                                          ack_message: Message,
                                                          conversation_4b: Conversation) -> None:
    # The admin reads no chats: the message is not there for a token acting as them.
    token = make_token(school, admin, ["acknowledgements:read"])
    assert call("get", f"/api/messages/{ack_message.pk}/acknowledgements", token).status_code == 404
    # A message that asked for nothing has no acknowledgement list.
    plain = Message.objects.create(conversation=conversation_4b, seq=99, sender=teacher, body="x")
    token = make_token(school, teacher, ["acknowledgements:read"])
    response = call("get", f"/api/messages/{plain.pk}/acknowledgements", token)
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


def test_another_schools_token_finds_nothing_here(school: School, conversation_4b: Conversation,
                                                  ack_message: Message) -> None:
    other = SchoolFactory(name="Other", slug="other")
    their_admin = UserFactory(username="theiradmin", role=Role.ADMIN, school=other)
    token = make_token(other, their_admin, ["all"])
    assert call("get", "/api/conversations", token).json() == {"count": 0, "items": []}
    assert call("get", f"/api/conversations/{conversation_4b.pk}", token).status_code == 404
    assert call("get", f"/api/messages/{ack_message.pk}/acknowledgements",
                token).status_code == 404
    job = RosterImport.objects.create(school=conversation_4b.school, state="done")
    assert call("get", f"/api/roster/imports/{job.pk}", token).status_code == 404


def test_a_session_cookie_is_refused_even_with_a_token(client: Client, school: School,
                                                       teacher: User) -> None:
    token = make_token(school, teacher, ["all"])
    client.force_login(teacher)
    for headers in ({}, {"Authorization": f"Bearer {token}"}):
        response = client.get("/api/conversations", headers=headers)
        assert response.status_code == 401
        assert "session cookie" in response.json()["detail"]


def test_the_api_needs_no_csrf_token_and_takes_no_cookie_of_its_own(
        school: School, teacher: User, announcements: Conversation) -> None:
    token = make_token(school, teacher, ["announcements:write"])
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"/api/conversations/{announcements.pk}/announcements",
                           {"text": "hi"}, content_type="application/json",
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201
    assert not response.cookies


@pytest.mark.parametrize("header", ["Bearer", "Bearer sc_unknown", "Basic dXNlcjpwYXNz",
                                    "sc_token"])
def test_a_bad_authorization_header_is_a_401(school: School, teacher: User, header: str) -> None:
    response = Client().get("/api/conversations", headers={"Authorization": header})
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"


def test_a_token_of_someone_who_left_stops_working(school: School, teacher: User) -> None:
    token = make_token(school, teacher, ["all"])
    User.objects.filter(pk=teacher.pk).update(is_active=False)
    response = call("get", "/api/conversations", token)
    assert response.status_code == 401 and "no longer has an active account" in response.json()["detail"]


def test_each_token_has_its_own_budget(settings: Any, school: School, teacher: User) -> None:
    settings.SCHOOLCHAT_API_BURST, settings.SCHOOLCHAT_API_PER_MINUTE = 3, 1
    busy, quiet = make_token(school, teacher, ["all"]), make_token(school, teacher, ["all"])
    answers = [call("get", "/api/conversations", busy).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = call("get", "/api/conversations", busy)
    assert refused.json()["code"] == "rate_limited" and int(refused["Retry-After"]) >= 1
    assert call("get", "/api/conversations", quiet).status_code == 200


def test_the_last_use_is_noted(school: School, teacher: User) -> None:
    token = make_token(school, teacher, ["conversations:read"])
    assert ApiToken.objects.get().last_used_at is None
    call("get", "/api/conversations", token)
    assert ApiToken.objects.get().last_used_at is not None


def test_a_roster_dry_run_previews_and_changes_nothing(school: School, admin: User,
                                                      class_4b: SchoolClass) -> None:
    token = make_token(school, admin, ["roster:write"])
    response = call("post", "/api/roster/imports?dry_run=true", token,
                    data={"file": io.BytesIO(ROSTER.encode())})
    assert response.status_code == 200
    body = response.json()
    assert body["dry_run"] and body["changed"] and body["summary"].startswith("Pupils: 1 created")
    assert not Pupil.objects.filter(ref="P1").exists() and not RosterImport.objects.exists()


def test_a_roster_import_runs_as_the_page_runs_it(school: School, admin: User,
                                                  class_4b: SchoolClass,
                                                  django_capture_on_commit_callbacks: Any) -> None:
    token = make_token(school, admin, ["roster:write"])
    with django_capture_on_commit_callbacks(execute=True):
        response = call("post", "/api/roster/imports", token,
                        data={"file": io.BytesIO(ROSTER.encode())})
    assert response.status_code == 202
    job = RosterImport.objects.get(pk=response.json()["id"])
    assert job.started_by == admin
    status = call("get", f"/api/roster/imports/{job.pk}", token).json()
    assert status["state"] == "done" and status["summary"].startswith("Pupils: 1 created")
    assert Pupil.objects.get(ref="P1").first_name == "Emma"
    assert Record.objects.filter(kind="admin.roster_imported", actor=admin).exists()


def test_a_bad_roster_is_refused_whole_naming_its_lines(school: School, admin: User) -> None:
    token = make_token(school, admin, ["roster:write"])
    bad = ROSTER + "P2,Tom,,2016-13-45,4B,G2,Bob,,father,maybe\n"
    response = call("post", "/api/roster/imports", token, data={"file": io.BytesIO(bad.encode())})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "roster_rejected" and body["errors"]
    assert all(error.startswith("Line 3") for error in body["errors"])
    assert not RosterImport.objects.exists() and not Pupil.objects.exists()
    nul = call("post", "/api/roster/imports", token, data={"file": io.BytesIO(b"a\x00b")})
    assert nul.status_code == 422 and nul.json()["code"] == "roster_rejected"


def test_one_roster_import_at_a_time(school: School, admin: User, class_4b: SchoolClass) -> None:
    RosterImport.objects.create(school=school, state="running")
    token = make_token(school, admin, ["roster:write"])
    response = call("post", "/api/roster/imports", token, data={"file": io.BytesIO(ROSTER.encode())})
    assert response.status_code == 409 and "already running" in response.json()["detail"]


def test_only_an_admins_token_imports_the_roster(school: School, teacher: User) -> None:
    token = make_token(school, teacher, ["roster:write"])
    response = call("post", "/api/roster/imports?dry_run=true", token,
                    data={"file": io.BytesIO(ROSTER.encode())})
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


def test_the_openapi_document_and_its_page(school: School) -> None:
    schema = Client().get("/api/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/api/conversations", "/api/conversations/{conversation_id}",
        "/api/conversations/{conversation_id}/announcements",
        "/api/messages/{message_id}/acknowledgements", "/api/roster/imports",
        "/api/roster/imports/{import_id}", "/api/absences", "/api/meetings/rounds",
        "/api/meetings/rounds/{round_id}/bookings"}
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    page = Client().get("/api/docs/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "/api/conversations/{conversation_id}/announcements" in html
    assert "<script" not in html.split("</header>")[1] and "https://" not in html


def test_the_command_makes_lists_and_revokes_a_token(school: School, admin: User,
                                                     teacher: User,
                                                     conversation_4b: Conversation) -> None:
    out = io.StringIO()
    call_command("api_token", "create", "--school", school.slug, "--name", "Website",
                 "--scopes", "conversations:read,acknowledgements:read", "--acts-as", "teacher",
                 stdout=out)
    secret = out.getvalue().strip().splitlines()[-1]
    assert secret.startswith("sc_")
    token = ApiToken.objects.get()
    assert token.acts_as == teacher and token.created_by is None
    assert token.scopes == ["conversations:read", "acknowledgements:read"]
    assert call("get", "/api/conversations", secret).status_code == 200
    record = Record.objects.get(kind="api.token_created")
    assert record.scope == f"integrations:{school.pk}" and secret not in str(record.payload.content)
    listing = io.StringIO()
    call_command("api_token", "list", "--school", school.slug, stdout=listing)
    assert token.prefix in listing.getvalue() and "active" in listing.getvalue()
    call_command("api_token", "revoke", "--school", school.slug, token.prefix, stdout=io.StringIO())
    assert call("get", "/api/conversations", secret).status_code == 401
    assert Record.objects.filter(kind="api.token_revoked").count() == 1
    # By default a token acts as the school's first admin; "all" stands alone.
    out = io.StringIO()
    call_command("api_token", "create", "--school", school.slug, "--name", "Sync", "--scopes",
                 "all", stdout=out)
    assert ApiToken.objects.get(name="Sync").acts_as == admin


@pytest.mark.parametrize("args, problem", [
    (["--school", "nowhere", "--scopes", "all"], "no school"),
    (["--school", "test-primary", "--scopes", "everything"], "no scope everything"),
    (["--school", "test-primary", "--scopes", "all", "--acts-as", "parent"], "acts as an active"),
])
def test_the_command_refuses_with_a_sentence(school: School, admin: User, parent: User,
                                             args: list[str], problem: str) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=problem):
        call_command("api_token", "create", "--name", "X", *args, stdout=io.StringIO())
    assert not ApiToken.objects.exists()
