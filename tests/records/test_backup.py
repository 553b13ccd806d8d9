"""Backups a school can trust: made while people post, restored whole into a fresh installation,
refused when anything in them changed, unreadable without the school's key.

Each test runs on the suite's database engine (CI runs the suite on PostgreSQL and on SQLite),
and restores the way an operator would: ``manage.py restore`` in a process of its own, pointed
at a scratch database and media folder, then a live daphne on that copy.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import shutil
import subprocess
import tarfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyrage
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone, translation
from pyrage import x25519
from pytest_django.fixtures import Settings

from accounts.models import School, User
from messaging.actions import send
from messaging.actions.attachments import upload
from messaging.models import Conversation, Message
from records import backup
from records.models import BackupRun
from records.tasks import back_up
from tests.conftest import IN_CI, close_connections
from tests.factories import PASSWORD
from tests.messaging.images import photo_with_location

pytestmark = pytest.mark.django_db(transaction=True)


class Key:
    def __init__(self, folder: Path) -> None:
        self.identity = x25519.Identity.generate()
        self.public = str(self.identity.to_public())
        self.file = folder / "school-key.txt"
        self.file.write_text(f"# the school's key, kept off the server\n{self.identity}\n")


@pytest.fixture
def key(tmp_path: Path) -> Key:
    return Key(tmp_path)


@pytest.fixture(autouse=True)
def _media(settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SCHOOLCHAT_BACKUP_DIR = str(tmp_path / "backups")
    settings.SCHOOLCHAT_BACKUP_RECIPIENTS = []


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[str]:
    """A fresh database, dropped afterwards: PostgreSQL ``backup_scratch_…`` or a new SQLite
    file. Yields its name (the file's path on SQLite)."""
    with backup.scratch_database(tmp_path, f"backup_scratch_{uuid.uuid4().hex[:10]}") as env:
        yield env["SQLITE_PATH"] if "SQLITE_PATH" in env else env["DATABASE_URL"].rsplit("/", 1)[1]


@contextlib.contextmanager
def pointed_at(name: str) -> Iterator[None]:
    """This process's database connection, pointed at another database for a while: an
    installation restored from scratch, as far as the code under test can tell."""
    db = connection.settings_dict
    saved = db["NAME"]
    close_connections()  # a pooled connection would keep the old name
    db["NAME"] = name
    try:
        yield
    finally:
        close_connections()
        db["NAME"] = saved


def photo(teacher: User, conversation: Conversation) -> tuple[bytes, str]:
    """A photo posted in the conversation: the bytes the server stored and the file's name."""
    stored = upload(teacher, conversation, SimpleUploadedFile("trip.jpg", photo_with_location()),
                    no_identifiable_pupils=True)
    send.post_message(teacher, conversation, "Photos of the trip", attachments=[stored])
    stored.refresh_from_db()
    return Path(stored.file.path).read_bytes(), str(stored.file.name)


def test_a_backup_made_while_people_post_restores_whole_and_people_read_it_again(
        teacher: User, parent: User, conversation_4b: Conversation, key: Key, tmp_path: Path,
        scratch: str, settings: Settings) -> None:
    photo_bytes, photo_name = photo(teacher, conversation_4b)
    committed = [send.post_message(parent, conversation_4b, f"Before {i}")[0].pk for i in range(5)]

    # The writer posts as fast as it can for as long as the backup takes: past the school's
    # posting limit on a slow machine, which is not what this test is about.
    School.objects.filter(pk=conversation_4b.school_id).update(post_burst=10_000,
                                                               posts_per_minute=10_000)
    assert teacher.school is not None
    teacher.school.refresh_from_db()  # the limit is read from the poster's school
    stop, errors, during = threading.Event(), [], []

    def keep_posting() -> None:
        try:
            n = 0
            while not stop.is_set():
                during.append(send.post_message(teacher, conversation_4b, f"During {n}")[0].pk)
                n += 1
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    writer = threading.Thread(target=keep_posting)
    writer.start()
    try:
        deadline = time.monotonic() + 10
        while len(during) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        before_backup = committed + list(during)
        file = tmp_path / "school.tar.age"
        call_command("backup", "--recipient", key.public, "--out", str(file), stdout=io.StringIO())
    finally:
        stop.set()
        writer.join()
    assert not errors
    assert len(during) > len(before_backup) - len(committed), "the writer stopped during the backup"

    settings.MEDIA_ROOT = tmp_path / "restored-media"
    out = io.StringIO()
    with pointed_at(scratch):
        call_command("restore", str(file), "--identity", str(key.file), stdout=out)
        assert "archive intact" in out.getvalue()
        restored = set(Message.objects.values_list("pk", flat=True))
        assert set(before_backup) <= restored
        assert f"restored {User.objects.count()} users, {len(restored)} messages" in out.getvalue()
        assert (settings.MEDIA_ROOT / photo_name).read_bytes() == photo_bytes

        # The parent signs in to the restored copy with their password and reads the same chat.
        phone = Client()
        signed_in = phone.post("/login/", {"username": parent.username, "password": PASSWORD})
        assert signed_in.status_code == 302 and signed_in["Location"] == "/"
        page = phone.get(f"/c/{conversation_4b.pk}/").content.decode()
        for text in ("Before 0", "Before 4", "Photos of the trip"):
            assert text in page


def _repacked(file: Path, key: Key, damage: str) -> Path:
    """The backup with one byte flipped inside one of its parts, encrypted again to the key."""
    plain = pyrage.decrypt(file.read_bytes(), [key.identity])
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(plain)) as source, \
            tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as target:
        for member in source.getmembers():
            handle = source.extractfile(member)
            assert handle is not None
            data = bytearray(handle.read())
            if member.name == damage:
                data[len(data) // 2] ^= 0x01
            target.addfile(member, io.BytesIO(bytes(data)))
    damaged = file.with_name(f"damaged-{damage.replace('/', '_')}.tar.age")
    damaged.write_bytes(pyrage.encrypt(out.getvalue(), [key.identity.to_public()]))
    return damaged


def test_a_byte_changed_in_any_part_makes_restore_refuse_and_name_that_part(
        teacher: User, conversation_4b: Conversation, key: Key, tmp_path: Path,
        settings: Settings) -> None:
    _bytes, photo_name = photo(teacher, conversation_4b)
    file = tmp_path / "school.tar.age"
    call_command("backup", "--recipient", key.public, "--out", str(file), stdout=io.StringIO())
    database = backup.DATABASE_PARTS[connection.vendor]
    for part in (database, f"media/{photo_name}", "manifest.json"):
        damaged = _repacked(file, key, part)
        with pytest.raises(CommandError, match=re.escape(f"restore refused: {part}: ")):
            call_command("restore", str(damaged), "--identity", str(key.file))
    # The encrypted file itself: age's authentication refuses it before any part is read.
    raw = bytearray(file.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    (tmp_path / "flipped.tar.age").write_bytes(bytes(raw))
    with pytest.raises(CommandError, match="damaged"):
        call_command("restore", str(tmp_path / "flipped.tar.age"), "--identity", str(key.file))
    # An intact backup is still refused here, before anything is written: this media folder
    # and this database are not empty.
    with pytest.raises(CommandError, match=r"the media folder .* is not empty"):
        call_command("restore", str(file), "--identity", str(key.file))
    settings.MEDIA_ROOT = tmp_path / "empty-media"
    with pytest.raises(CommandError, match="the database is not empty"):
        call_command("restore", str(file), "--identity", str(key.file))
    assert not settings.MEDIA_ROOT.exists()


def test_a_backup_cannot_be_read_without_the_schools_key(
        teacher: User, conversation_4b: Conversation, key: Key, tmp_path: Path) -> None:
    send.post_message(teacher, conversation_4b, "Only for the school")
    file = tmp_path / "school.tar.age"
    call_command("backup", "--recipient", key.public, "--out", str(file), stdout=io.StringIO())
    assert b"Only for the school" not in file.read_bytes()
    (tmp_path / "elsewhere").mkdir()
    stranger = Key(tmp_path / "elsewhere")
    with pytest.raises(CommandError, match="cannot decrypt"):
        call_command("restore", str(file), "--identity", str(stranger.file))
    with pytest.raises(pyrage.DecryptError):
        pyrage.decrypt(file.read_bytes(), [stranger.identity])


def test_the_schools_it_decrypts_a_backup_with_the_standard_age_tool(
        teacher: User, conversation_4b: Conversation, key: Key, tmp_path: Path) -> None:
    age = shutil.which("age")
    if age is None:
        if IN_CI:
            pytest.fail("age is not installed (.ci/run installs it)")
        pytest.skip("age is not installed")
    send.post_message(teacher, conversation_4b, "Hello")
    file = tmp_path / "school.tar.age"
    call_command("backup", "--recipient", key.public, "--out", str(file), stdout=io.StringIO())
    subprocess.run([age, "-d", "-i", str(key.file), "-o", str(tmp_path / "plain.tar"), str(file)],
                   check=True)
    with tarfile.open(tmp_path / "plain.tar") as tar:
        names = tar.getnames()
        manifest = tar.extractfile("manifest.json").read()  # type: ignore[union-attr]
        stated = tar.extractfile("manifest.sha256").read().decode().strip()  # type: ignore[union-attr]
    assert backup.DATABASE_PARTS[connection.vendor] in names
    assert hashlib.sha256(manifest).hexdigest() == stated


def test_make_restore_drill_passes_and_its_date_is_reported(settings: Settings,
                                                            teacher: User,
                                                            conversation_4b: Conversation) -> None:
    send.post_message(teacher, conversation_4b, "Drill me")
    out = io.StringIO()
    call_command("restore_drill", "--scratch-name", f"backup_scratch_{uuid.uuid4().hex[:10]}",
                 stdout=out)
    assert "restore drill PASS" in out.getvalue()
    drill = backup.status().last_drill
    assert drill is not None and drill.ok and drill.counts["messages"] >= 1
    assert timezone.now() - drill.finished_at < timedelta(minutes=1)


def test_a_drill_that_cannot_restore_fails_and_says_why(key: Key, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"restore drill FAIL: .*no such backup file"):
        call_command("restore_drill", str(tmp_path / "gone.tar.age"),
                     "--identity", str(key.file), stdout=io.StringIO())
    drill = backup.status().last_drill
    assert drill is not None and not drill.ok


# --- The folder, rotation and what the dashboard and /healthz say ----------------------------

def test_nightly_backups_go_to_the_folder_and_old_ones_rotate_away(
        settings: Settings, key: Key, tmp_path: Path, client: Client) -> None:
    folder = Path(settings.SCHOOLCHAT_BACKUP_DIR)
    folder.mkdir()
    for days in (1, 2, 3, 40):
        at = timezone.now() - timedelta(days=days)
        (folder / backup.file_name(at)).write_bytes(b"an older backup")
    (folder / "notes.txt").write_text("not ours: never deleted")
    settings.SCHOOLCHAT_BACKUP_RECIPIENTS = [key.public]
    settings.SCHOOLCHAT_BACKUP_KEEP = "2d,2m"
    assert back_up() == "ok"
    names = sorted(p.name for p in folder.iterdir())
    newest = max(backup.backups_in(folder))
    assert len(backup.backups_in(folder)) == 3  # today's, yesterday's, last month's
    assert "notes.txt" in names
    assert backup.backups_in(folder)[newest].stat().st_size > 100
    state = backup.status()
    assert state.state == "ok" and state.last_backup is not None
    assert state.last_backup.sha256 == hashlib.sha256(
        Path(state.last_backup.file_name).read_bytes()).hexdigest()
    assert client.get("/healthz").json()["backup"] == "ok"


def test_a_failed_backup_shows_in_healthz_and_the_status(settings: Settings, client: Client) -> None:
    settings.SCHOOLCHAT_BACKUP_RECIPIENTS = ["not-an-age-key"]
    with pytest.raises(CommandError, match="backup failed: not an age public key"):
        call_command("backup")
    state = backup.status()
    assert state.state == "failed" and not state.healthy
    assert "not an age public key" in state.summary
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200  # people can still chat; an operator must look
    assert body["status"] == "degraded" and body["backup"].startswith("failed: not an age")


def test_a_backup_older_than_a_day_is_missing(settings: Settings, key: Key, client: Client) -> None:
    settings.SCHOOLCHAT_BACKUP_RECIPIENTS = [key.public]
    assert backup.status().state == "missing"  # configured, never made
    BackupRun.objects.create(kind=BackupRun.Kind.BACKUP, ok=True,
                             finished_at=timezone.now() - timedelta(hours=27))
    assert backup.status().state == "missing"
    body = client.get("/healthz").json()
    assert body["status"] == "degraded" and body["backup"] == "missing"
    BackupRun.objects.create(kind=BackupRun.Kind.BACKUP, ok=True,
                             finished_at=timezone.now() - timedelta(hours=20))
    assert backup.status().state == "ok"


def test_without_a_key_nothing_is_backed_up_and_health_says_not_configured(
        settings: Settings, client: Client) -> None:
    assert back_up() == "not configured"
    assert not BackupRun.objects.exists()
    assert backup.status().state == "not configured" and backup.status().healthy
    with translation.override("nl"):  # the dashboard's sentence, in the reader's language
        assert backup.status().summary == "Er zijn nog geen back-ups ingesteld."
    assert client.get("/healthz").json()["backup"] == "not configured"
    with pytest.raises(CommandError, match="no recipient"):
        call_command("backup")


def test_the_nightly_backup_is_scheduled(settings: Settings) -> None:
    from schoolchat.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["records-backup"]
    assert entry["task"] == "records.backup" and "records.backup" in app.tasks


@pytest.mark.django_db(transaction=False)
def test_rotation_keeps_seven_days_four_weeks_twelve_months() -> None:
    newest = datetime(2026, 2, 4, 2, 30, tzinfo=UTC)
    daily = [newest - timedelta(days=n) for n in range(400)]
    kept = backup.kept(daily, backup.parse_keep("7d,4w,12m"))
    days = {at.date().isoformat() for at in kept}
    assert {f"2026-{d}" for d in ("02-04", "02-03", "02-02", "02-01", "01-31", "01-30",
                                  "01-29")} <= days  # the last 7 days
    assert {"2026-01-25", "2026-01-18"} <= days  # the last of the two weeks before
    assert {"2025-12-31", "2025-04-30", "2025-03-31"} <= days  # the last of each month
    assert "2025-02-28" not in days and len(kept) == 19
    with pytest.raises(backup.BackupError, match="SCHOOLCHAT_BACKUP_KEEP"):
        backup.parse_keep("7days")
