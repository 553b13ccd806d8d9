"""Backups and subject access exports are files about people: only the server's own account
may read them, whatever the service's umask, from the moment they exist."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyrage import x25519
from pytest_django import DjangoCaptureOnCommitCallbacks
from pytest_django.fixtures import Settings

from accounts.models import User
from records import actions, backup
from records.tasks import back_up

pytestmark = pytest.mark.django_db(transaction=True)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def _usual_umask() -> Iterator[None]:
    """A service's common umask: without care, new files would be 0644 (readable by all)."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def test_a_backup_file_is_readable_by_the_server_only(settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SCHOOLCHAT_BACKUP_DIR = str(tmp_path / "backups")
    settings.SCHOOLCHAT_BACKUP_RECIPIENTS = [str(x25519.Identity.generate().to_public())]
    assert back_up() == "ok"
    (made,) = backup.backups_in(Path(settings.SCHOOLCHAT_BACKUP_DIR)).values()
    assert mode(made) == 0o600
    assert mode(made.parent) == 0o700


def test_a_subject_access_export_is_readable_by_the_server_only(
        settings: Settings, tmp_path: Path, dpo: User, parent: User,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    with django_capture_on_commit_callbacks(execute=True):
        export = actions.request_export(dpo, user=parent)
    path = actions.export_path(export)
    assert path.is_file() and mode(path) == 0o600
    assert mode(path.parent) == 0o700


def test_a_partial_file_left_by_a_killed_run_does_not_pass_on_its_mode(
        dpo: User, parent: User, tmp_path: Path) -> None:
    out = tmp_path / "export.zip"
    leftover = out.with_name(f"{out.name}.partial")
    leftover.write_bytes(b"half a zip")
    leftover.chmod(0o644)
    actions.export_to_file(out, user=parent)
    assert mode(out) == 0o600
