"""DPO pages: the DPO reads, searches, holds and exports; everyone else gets 404; all audited."""

import hashlib
import json
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks
from pytest_django.fixtures import Settings

from accounts.models import Role, School, User
from archive import retention
from archive.models import (
    DEFAULT_RETENTION_DAYS,
    AuditEntry,
    LegalHold,
    Record,
    RetentionPolicy,
    SubjectAccessExport,
)
from messaging.actions import membership, send
from messaging.models import Conversation
from records import actions as archive_actions
from records.models import SearchExport
from tests.factories import SchoolFactory, UserFactory
from tests.records.searches import export_search

pytestmark = pytest.mark.django_db

DPO_PAGES = ["archive:home", "archive:search", "archive:exports", "archive:holds",
             "archive:retention", "archive:audit"]


@pytest.fixture
def other_dpo(db: None) -> User:
    return UserFactory(username="otherdpo", role=Role.DPO, school=SchoolFactory(slug="other"))


@pytest.mark.parametrize("page", DPO_PAGES)
@pytest.mark.parametrize("persona", ["teacher", "parent", "admin", "parent_5a"])
def test_only_the_dpo_sees_archive_pages(client: Client, request: pytest.FixtureRequest, page: str,
                                         persona: str, dpo: User) -> None:
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse(page)).status_code == 404
    client.force_login(dpo)
    assert client.get(reverse(page)).status_code == 200


@pytest.mark.parametrize("page", [*DPO_PAGES, "archive:retention_policy"])
def test_anonymous_visitors_are_sent_to_log_in(client: Client, page: str) -> None:
    response = client.get(reverse(page))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["teacher", "parent", "dpo"])
def test_posts_by_others_change_nothing(client: Client, request: pytest.FixtureRequest, persona: str,
                                        conversation_4b: Conversation, admin: User) -> None:
    client.force_login(request.getfixturevalue(persona))
    if persona != "dpo":
        assert client.post(reverse("archive:holds"), {
            "conversation": conversation_4b.pk, "reason": "x"}).status_code == 404
        assert client.post(reverse("archive:exports"), {"person": admin.pk}).status_code == 404
        assert client.post(reverse("archive:verify")).status_code == 404
    assert client.post(reverse("archive:retention_policy"), {"chat": 1}).status_code == 404
    assert not LegalHold.objects.exists() and not SubjectAccessExport.objects.exists()
    assert not RetentionPolicy.objects.exists()


def test_every_dpo_page_view_is_audited(client: Client, dpo: User) -> None:
    client.force_login(dpo)
    for page in DPO_PAGES:
        client.get(reverse(page))
    actions_seen = set(AuditEntry.objects.filter(actor=dpo).values_list("action", flat=True))
    assert {"archive.viewed", "exports.viewed", "holds.viewed", "retention.report_viewed",
            "audit.viewed"} <= actions_seen


def test_search_by_text_person_and_dates(client: Client, dpo: User, teacher: User, parent: User,
                                         conversation_4b: Conversation) -> None:
    send.post_message(teacher, conversation_4b, "Trip to the <zoo> on Friday")
    send.post_message(parent, conversation_4b, "Emma has a cold")
    client.force_login(dpo)
    page = client.get(reverse("archive:search"), {"text": "zoo"}).content.decode()
    assert "Trip to the &lt;zoo&gt; on Friday" in page and "Emma has a cold" not in page
    page = client.get(reverse("archive:search"), {"person": parent.pk}).content.decode()
    assert "Emma has a cold" in page and "zoo" not in page
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    page = client.get(reverse("archive:search"), {"date_from": tomorrow}).content.decode()
    assert "Emma has a cold" not in page
    assert AuditEntry.objects.filter(action="archive.searched", details__text="zoo").exists()
    # Contact details are not shown.
    assert parent.phone not in page and parent.email not in page


def test_each_search_result_says_which_conversation_it_is_in(
        client: Client, dpo: User, teacher: User, conversation_4b: Conversation,
        announcements: Conversation) -> None:
    send.post_message(teacher, conversation_4b, "Swimming in the class group")
    send.post_message(teacher, announcements, "Swimming for the whole school")
    client.force_login(dpo)
    page = client.get(reverse("archive:search"), {"text": "swimming"}).content.decode()
    results = page.split('<li class="card">')[1:]
    assert len(results) == 2
    assert "in Announcements" in results[0] and "Swimming for the whole school" in results[0]
    assert "in 4B class group" in results[1] and "Swimming in the class group" in results[1]
    assert "message.posted" not in page


def test_every_word_of_an_archive_search_must_match(client: Client, dpo: User, teacher: User,
                                                    conversation_4b: Conversation) -> None:
    send.post_message(teacher, conversation_4b, "The museum opens at nine")
    send.post_message(teacher, conversation_4b, "Bring a packed lunch on Friday")
    send.post_message(teacher, conversation_4b, "Friday: the museum trip, bring lunch")
    client.force_login(dpo)
    for text in ("museum lunch", "lunch museum", "Museum  LUNCH"):
        results = client.get(reverse("archive:search"), {"text": text}).context["results"]
        assert [r.payload.content["body"] for r in results] == [
            "Friday: the museum trip, bring lunch"], text
    assert client.get(reverse("archive:search"), {"text": "museum zebra"}).context["results"] == []


def test_search_no_longer_finds_purged_content(client: Client, dpo: User, teacher: User,
                                               conversation_4b: Conversation) -> None:
    send.post_message(teacher, conversation_4b, "An old message about swimming")
    retention.apply_retention(timezone.now() + timedelta(days=401))
    client.force_login(dpo)
    page = client.get(reverse("archive:search"), {"text": "swimming"}).content.decode()
    assert "An old message about swimming" not in page


def test_search_stays_within_the_dpo_school(client: Client, other_dpo: User, teacher: User,
                                            conversation_4b: Conversation) -> None:
    send.post_message(teacher, conversation_4b, "Only for Test Primary")
    client.force_login(other_dpo)
    page = client.get(reverse("archive:search"), {"text": "Only"}).content.decode()
    assert "Only for Test Primary" not in page


def test_the_dpo_places_and_lifts_a_hold(client: Client, dpo: User, conversation_4b: Conversation) -> None:
    client.force_login(dpo)
    response = client.post(reverse("archive:holds"),
                           {"conversation": conversation_4b.pk, "reason": "Complaint"})
    assert response.status_code == 302
    hold = LegalHold.objects.get()
    assert hold.conversation == conversation_4b and hold.placed_by == dpo
    assert "Complaint" in client.get(reverse("archive:holds")).content.decode()
    client.post(reverse("archive:lift", args=[hold.pk]), {"reason": "Resolved"})
    hold.refresh_from_db()
    assert hold.lifted_at is not None and hold.lift_reason == "Resolved"
    assert Record.objects.filter(kind__in=["hold.placed", "hold.lifted"]).count() == 2
    assert AuditEntry.objects.filter(action__in=["hold.placed", "hold.lifted"]).count() == 2


def test_a_hold_needs_a_reason_and_one_target(client: Client, dpo: User, conversation_4b: Conversation,
                                              parent: User) -> None:
    client.force_login(dpo)
    assert client.post(reverse("archive:holds"),
                       {"conversation": conversation_4b.pk, "reason": ""}).status_code == 400
    assert client.post(reverse("archive:holds"), {"conversation": conversation_4b.pk,
                                                  "person": parent.pk,
                                                  "reason": "x"}).status_code == 400
    assert not LegalHold.objects.exists()


def test_the_dpo_exports_and_downloads_until_the_link_expires(
    client: Client, dpo: User, parent: User, other_dpo: User, settings: Settings, tmp_path: Path,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    settings.MEDIA_ROOT = tmp_path
    client.force_login(dpo)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("archive:exports"), {"person": parent.pk})
    assert response.status_code == 302
    export = SubjectAccessExport.objects.get()
    assert export.status == "done"
    page = client.get(reverse("archive:exports")).content.decode()
    url = reverse("archive:download", args=[export.pk])
    assert url in page
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert AuditEntry.objects.filter(action="export.downloaded").exists()
    client.force_login(other_dpo)
    assert client.get(url).status_code == 404
    SubjectAccessExport.objects.filter(pk=export.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1))
    client.force_login(dpo)
    assert client.get(url).status_code == 404


def test_the_retention_report_lists_what_is_due(client: Client, dpo: User, teacher: User,
                                                conversation_4b: Conversation) -> None:
    send.post_message(teacher, conversation_4b, "Hello")
    client.force_login(dpo)
    page = client.get(reverse("archive:retention")).content.decode()
    assert "Group and class chat" in page and "400 days" in page
    assert "Photos and attachments" in page


def test_the_integrity_page_verifies_on_request(client: Client, dpo: User, teacher: User,
                                                conversation_4b: Conversation) -> None:
    send.post_message(teacher, conversation_4b, "Hello")
    client.force_login(dpo)
    page = client.post(reverse("archive:verify")).content.decode()
    assert "are intact" in page
    assert AuditEntry.objects.filter(action="archive.verified", details__intact=True).exists()


def test_the_integrity_page_counts_and_verifies_only_the_dpos_school(client: Client, dpo: User,
                                                                     other_dpo: User, teacher: User,
                                                                     conversation_4b: Conversation) -> None:
    from archive import chain
    from messaging.models import Conversation
    from records.search import school_scopes
    from tests.archive.helpers import run, triggers_disabled
    from tests.factories import SchoolClassFactory

    send.post_message(teacher, conversation_4b, "Hello")
    # The other school has its own records: an admin, a class, a group with messages.
    elsewhere = other_dpo.school
    assert elsewhere is not None and dpo.school is not None
    SchoolClassFactory(school=elsewhere, name="1A")
    other_teacher = UserFactory(username="otherteacher", role=Role.TEACHER, school=elsewhere)
    group = Conversation.objects.create(school=elsewhere, kind=Conversation.Kind.GROUP,
                                        title="Choir")
    membership.add_member(group, other_teacher, actor=other_teacher, manager=True)
    for n in range(5):
        send.post_message(other_teacher, group, f"Choir practice {n}")
    chain.seal()
    mine = Record.objects.filter(school_scopes(dpo.school)).count()
    theirs = Record.objects.filter(school_scopes(elsewhere)).count()
    assert mine and theirs >= 6
    assert Record.objects.count() == mine + theirs + Record.objects.filter(scope="seal").count()

    client.force_login(dpo)
    home = client.get(reverse("archive:home"))
    assert home.context["records"] == mine
    assert f"{mine} records in" in home.content.decode()
    assert client.post(reverse("archive:verify")).context["records"] == mine

    # Damage in the other school is the other school's finding, not this DPO's.
    damaged = Record.objects.filter(scope=group.scope).order_by("position")[2]
    with triggers_disabled():
        run("UPDATE archive_record SET actor_id = %s WHERE id = %s", [dpo.pk, damaged.pk])
    page = client.post(reverse("archive:verify")).content.decode()
    assert "are intact" in page and f"record {damaged.pk}" not in page
    client.force_login(other_dpo)
    page = client.post(reverse("archive:verify")).content.decode()
    assert "Damaged" in page and f"record {damaged.pk}" in page
    assert chain.verify().problems[0].record_id == damaged.pk


def test_the_admin_sets_the_retention_policy(client: Client, admin: User, school: School) -> None:
    client.force_login(admin)
    page = client.get(reverse("archive:retention_policy")).content.decode()
    assert 'value="730"' in page
    data = {**DEFAULT_RETENTION_DAYS, "chat": 200}
    assert client.post(reverse("archive:retention_policy"), data).status_code == 302
    assert RetentionPolicy.objects.get(school=school, category="chat").days == 200
    assert client.post(reverse("archive:retention_policy"),
                       {**data, "chat": 0}).status_code == 400
    assert RetentionPolicy.objects.get(school=school, category="chat").days == 200


def test_archive_pages_carry_no_inline_script_or_style(client: Client, dpo: User) -> None:
    client.force_login(dpo)
    for page in DPO_PAGES:
        html = client.get(reverse(page)).content.decode()
        assert "<script>" not in html and "style=" not in html


def test_the_dpo_finds_the_archive_from_every_page(client: Client, dpo: User, admin: User) -> None:
    client.force_login(dpo)
    assert reverse("archive:home") in client.get(reverse("messaging:inbox")).content.decode()
    client.force_login(admin)
    page = client.get(reverse("archive:retention_policy")).content.decode()
    assert f'href="{reverse("archive:retention_policy")}"' in page
    assert f'href="{reverse("archive:home")}"' not in page


def test_search_results_export_as_a_search_export(
        client: Client, dpo: User, teacher: User, parent: User, conversation_4b: Conversation,
        settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path
    send.post_message(teacher, conversation_4b, "Trip to the zoo on Friday")
    send.post_message(parent, conversation_4b, "Emma has a cold")
    client.force_login(dpo)
    page = client.get(reverse("archive:search"), {"text": "zoo"}).content.decode()
    assert reverse("archive:search_export") in page
    files = export_search(client, "text=zoo", tmp_path)
    data = json.loads(files["data.json"])
    assert [m["body"] for m in data["messages"]] == ["Trip to the zoo on Friday"]
    assert data["search"] == {"text": "zoo"} and data["title"] == "Search export"
    # Titled as what it is, with its criteria: not a subject access export.
    html = files["index.html"].decode()
    assert "<title>Search export</title>" in html and "<h1>Search export</h1>" in html
    assert "Subject access export" not in html and "zoo" in html
    manifest = json.loads(files["manifest.json"])
    for name, digest in manifest["files"].items():
        assert hashlib.sha256(files[name]).hexdigest() == digest
    assert set(manifest["files"]) == {"data.json", "index.html"}
    assert Record.objects.filter(kind="export.made", actor=dpo).exists()
    assert AuditEntry.objects.filter(action="search.exported", actor=dpo).exists()
    # Readable by the server's own user alone.
    export = SearchExport.objects.get()
    assert stat.S_IMODE(os.stat(archive_actions.search_export_path(export)).st_mode) == 0o600


def test_the_search_export_is_pending_until_the_worker_has_built_it(
        client: Client, dpo: User, teacher: User, conversation_4b: Conversation,
        settings: Settings, tmp_path: Path,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    settings.MEDIA_ROOT = tmp_path
    send.post_message(teacher, conversation_4b, "Trip to the zoo on Friday")
    client.force_login(dpo)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        client.post(f"{reverse('archive:search_export')}?text=zoo")
    export = SearchExport.objects.get()
    page = client.get(reverse("archive:exports")).content.decode()
    assert "waiting" in page and 'http-equiv="refresh"' in page
    assert "Search exports" in page and "Text: zoo" in page
    url = reverse("archive:search_download", args=[export.pk])
    assert url not in page and client.get(url).status_code == 404
    for callback in queued:
        callback()
    page = client.get(reverse("archive:exports")).content.decode()
    assert url in page and 'http-equiv="refresh"' not in page


def test_parents_are_pseudonymised_in_a_search_export(
        client: Client, dpo: User, parent: User, conversation_4b: Conversation,
        settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path
    send.post_message(parent, conversation_4b, "Emma has a cold")
    client.force_login(dpo)
    text = export_search(client, "text=cold")["data.json"].decode()
    assert parent.public_name not in text and "Parent 1" in text


@pytest.mark.parametrize("persona", ["teacher", "parent", "admin"])
def test_only_the_dpo_exports_search_results(client: Client, request: pytest.FixtureRequest,
                                             persona: str) -> None:
    client.force_login(request.getfixturevalue(persona))
    assert client.post(f"{reverse('archive:search_export')}?text=x").status_code == 404
    assert not SearchExport.objects.exists()


def test_another_schools_dpo_cannot_download_a_search_export(
        client: Client, dpo: User, other_dpo: User, teacher: User,
        conversation_4b: Conversation, settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path
    send.post_message(teacher, conversation_4b, "Trip to the zoo on Friday")
    client.force_login(dpo)
    export_search(client, "text=zoo")
    client.force_login(other_dpo)
    url = reverse("archive:search_download", args=[SearchExport.objects.get().pk])
    assert client.get(url).status_code == 404


def test_the_exports_page_shows_progress_and_refreshes_while_running(client: Client, dpo: User,
                                                                     parent: User) -> None:
    assert dpo.school is not None
    SubjectAccessExport.objects.create(school=dpo.school, requested_by=dpo, subject_user=parent,
                                       status="running", progress=40)
    client.force_login(dpo)
    page = client.get(reverse("archive:exports")).content.decode()
    assert 'value="40"' in page and "in progress" in page
    assert 'http-equiv="refresh"' in page
    SubjectAccessExport.objects.update(status="done", progress=100)
    assert 'http-equiv="refresh"' not in client.get(reverse("archive:exports")).content.decode()


def test_a_search_exports_file_goes_when_its_link_expires(
        client: Client, dpo: User, teacher: User, conversation_4b: Conversation,
        settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path
    send.post_message(teacher, conversation_4b, "Trip to the zoo on Friday")
    client.force_login(dpo)
    export_search(client, "text=zoo", tmp_path)
    export = SearchExport.objects.get()
    path = tmp_path / "exports" / export.file_name
    assert path.exists()
    SearchExport.objects.filter(pk=export.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1))
    assert archive_actions.expire_search_downloads() == 1
    assert not path.exists()
    url = reverse("archive:search_download", args=[export.pk])
    assert client.get(url).status_code == 404
    assert url not in client.get(reverse("archive:exports")).content.decode()
