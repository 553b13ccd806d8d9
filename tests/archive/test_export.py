"""Subject access export of the demo parent: complete, nothing extra, pseudonymised, verifiable."""

import hashlib
import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Q
from django.utils import timezone
from django.utils.html import escape
from pytest_django import DjangoCaptureOnCommitCallbacks
from pytest_django.fixtures import Settings

from accounts.models import User
from archive import retention
from archive.models import AuditEntry, Category, Record, SubjectAccessExport
from messaging.access import readable_conversations
from messaging.models import Conversation, Message
from records import actions as archive_actions

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db: None) -> dict[str, User]:
    call_command("seed_demo", force=True, stdout=io.StringIO())
    return {u.username: u for u in User.objects.all()}


def open_zip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as bundle:
        return {name: bundle.read(name) for name in bundle.namelist()}


def export_parent(tmp_path: Path, username: str = "parent") -> dict[str, bytes]:
    out = tmp_path / "export.zip"
    call_command("export_subject_access", "--user", username, "--out", str(out),
                 stdout=io.StringIO())
    return open_zip(out)


def test_the_demo_parent_gets_everything_they_sent_or_could_read(demo: dict[str, User],
                                                                 tmp_path: Path) -> None:
    files = export_parent(tmp_path)
    data = json.loads(files["data.json"])
    html = files["index.html"].decode()
    parent = demo["parent"]
    readable = readable_conversations(parent)
    shown = Message.objects.filter(conversation__in=readable).exclude(
        Q(sensitive__gt="") & ~Q(sender=parent))
    expected = list(shown.values_list("body", flat=True))
    expected += list(Message.objects.filter(sender=parent).values_list("body", flat=True))
    assert expected
    bodies = {m["body"] for m in data["messages"]}
    for body in expected:
        assert body in bodies
        assert escape(body) in html
    # Someone else's sensitive message: its category, never its text (docs/policy.md).
    hidden = Message.objects.filter(conversation__in=readable, sensitive__gt="").exclude(
        sender=parent)
    assert hidden.exists()
    for message in hidden:
        assert message.body not in bodies and escape(message.body) not in html
        assert f"A sensitive message ({message.sensitive_label})" in bodies
    own = [m for m in data["messages"] if m["by_subject"]]
    assert {m["body"] for m in own} >= set(
        Message.objects.filter(sender=parent).values_list("body", flat=True))
    assert data["subject"]["username"] == "parent"
    assert {m["conversation"] for m in data["memberships"]} >= {"4B class group"}


def test_nothing_from_conversations_they_were_never_in(demo: dict[str, User], tmp_path: Path) -> None:
    files = export_parent(tmp_path)
    data_text = files["data.json"].decode()
    html = files["index.html"].decode()
    never = Conversation.objects.exclude(memberships__user=demo["parent"])
    outside = Message.objects.filter(conversation__in=never)
    assert outside.exists()
    # The same words posted to each class (a parents' evening announced in 4B and 5A) are the
    # parent's through their own class: only what was said nowhere they were must be missing.
    theirs = set(Message.objects.exclude(conversation__in=never).values_list("body", flat=True))
    for body in set(outside.values_list("body", flat=True)) - theirs:
        assert json.dumps(body, ensure_ascii=False)[1:-1] not in data_text
        assert escape(body) not in html
    for conversation in never.select_related("school_class"):
        assert conversation.name and conversation.name not in data_text


def test_other_parents_are_pseudonymised_and_staff_named(demo: dict[str, User], tmp_path: Path) -> None:
    files = export_parent(tmp_path)
    data_text = files["data.json"].decode()
    html = files["index.html"].decode()
    for other in ("parent2", "parent3", "parent4", "parent5a", "parent5a2"):
        name = demo[other].public_name
        assert name not in data_text and escape(name) not in html
        assert demo[other].email not in data_text
    data = json.loads(data_text)
    senders = {m["sender"] for m in data["messages"]}
    assert "Parent 1" in senders  # Olga Petrova wrote in 4B
    assert demo["teacher"].public_name in senders
    # Consistent: one pseudonym per person throughout the bundle.
    olga = {m["sender"] for m in data["messages"] if m["body"].startswith("Дмитрий")}
    assert len(olga) == 1


def test_every_manifest_hash_matches(demo: dict[str, User], tmp_path: Path) -> None:
    files = export_parent(tmp_path)
    manifest = json.loads(files["manifest.json"])
    assert set(manifest["files"]) == set(files) - {"manifest.json"}
    for name, digest in manifest["files"].items():
        assert hashlib.sha256(files[name]).hexdigest() == digest
    heads = manifest["chain_heads"]
    four_b = Conversation.objects.get(kind=Conversation.Kind.CLASS, school_class__name="4B")
    newest = Record.objects.filter(scope=four_b.scope).order_by("-position").first()
    assert newest is not None
    assert heads[four_b.scope]["hash"] == newest.hash


def test_the_index_page_needs_nothing_from_outside(demo: dict[str, User], tmp_path: Path) -> None:
    html = export_parent(tmp_path)["index.html"].decode()
    assert "<script" not in html and "<link" not in html and "src=" not in html
    assert 'href="http' not in html and "url(" not in html


def test_each_export_is_archived_and_audited(demo: dict[str, User], tmp_path: Path) -> None:
    export_parent(tmp_path)
    made = Record.objects.get(kind="export.made")
    assert made.subject_user_ids == [demo["parent"].pk]
    assert AuditEntry.objects.filter(action="export.made").exists()


def test_a_pupil_export_by_reference(demo: dict[str, User], tmp_path: Path) -> None:
    out = tmp_path / "pupil.zip"
    call_command("export_subject_access", "--pupil", "P4B01", "--out", str(out),
                 stdout=io.StringIO())
    data = json.loads(open_zip(out)["data.json"])
    assert data["subject"]["name"] == "Emma Jansen"
    assert all(g["guardian"].startswith("Parent ") for g in data["guardianships"])


def test_purged_content_is_gone_from_the_export(demo: dict[str, User], tmp_path: Path) -> None:
    retention.apply_retention(timezone.now() + timedelta(days=401))
    files = export_parent(tmp_path)
    data = json.loads(files["data.json"])
    chat_bodies = Message.objects.filter(
        conversation__kind__in=["class", "group"]).values_list("body", flat=True)
    assert not chat_bodies.exists()
    assert "Swimming starts next Tuesday" not in files["data.json"].decode()
    assert "Swimming starts next Tuesday" not in files["index.html"].decode()
    assert data["purged_messages"] > 0


def test_the_dpo_task_reports_progress_and_the_link_expires(
        demo: dict[str, User], settings: Settings, tmp_path: Path,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    settings.MEDIA_ROOT = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        export = archive_actions.request_export(demo["dpo"], user=demo["parent"])
    export.refresh_from_db()
    assert export.status == SubjectAccessExport.Status.DONE and export.progress == 100
    path = archive_actions.export_path(export)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == export.sha256
    assert export.is_downloadable()
    later = timezone.now() + timedelta(hours=archive_actions.EXPORT_LINK_HOURS + 1)
    assert not export.is_downloadable(later)
    assert archive_actions.expire_downloads(later) == 1
    assert not path.exists()


def test_only_the_dpo_may_request_an_export(demo: dict[str, User]) -> None:
    from django.core.exceptions import PermissionDenied

    for username in ("admin", "teacher", "parent2"):
        with pytest.raises(PermissionDenied):
            archive_actions.request_export(demo[username], user=demo["parent"])
    assert not SubjectAccessExport.objects.exists()


def test_the_demo_seeds_policies_and_a_seal_once(demo: dict[str, User]) -> None:
    from archive.models import RetentionPolicy

    seals = Record.objects.filter(scope="seal").count()
    assert seals == 1 and RetentionPolicy.objects.count() == len(Category.choices)
    call_command("seed_demo", force=True, stdout=io.StringIO())
    assert Record.objects.filter(scope="seal").count() == seals
    assert RetentionPolicy.objects.count() == len(Category.choices)
    call_command("verify_archive", stdout=io.StringIO())


def test_the_hourly_job_removes_expired_export_files(
        demo: dict[str, User], settings: Settings, tmp_path: Path,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    from records.tasks import expire_exports

    settings.MEDIA_ROOT = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        export = archive_actions.request_export(demo["dpo"], user=demo["parent"])
    assert expire_exports.delay().get() == 0
    SubjectAccessExport.objects.filter(pk=export.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1))
    assert expire_exports.delay().get() == 1
    assert not archive_actions.export_path(export).exists()


def test_markup_in_messages_is_escaped_in_the_index_page(teacher: User, parent: User,
                                                         conversation_4b: Conversation,
                                                         tmp_path: Path) -> None:
    from messaging.actions import send

    send.post_message(teacher, conversation_4b, '<script>alert("x")</script> & <b>bold</b>')
    html = export_parent(tmp_path)["index.html"].decode()
    assert "<script>" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html


def test_events_list_every_other_record_naming_the_subject(demo: dict[str, User], tmp_path: Path) -> None:
    from archive.models import Subject
    from records.export import MESSAGE_KINDS

    expected = set(Record.objects.filter(
        pk__in=Subject.objects.filter(user_id=demo["parent"].pk).values("record_id"),
    ).exclude(kind__in=MESSAGE_KINDS).values_list("pk", flat=True))
    assert expected
    data = json.loads(export_parent(tmp_path)["data.json"])  # archives its own export.made
    assert [e["record"] for e in data["events"]] == list(
        Record.objects.filter(pk__in=expected).order_by("created_at", "pk")
        .values_list("pk", flat=True))
