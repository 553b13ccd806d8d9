"""Encrypted backups of the whole installation, their restore, rotation and the drill.

A backup is one file, ``schoolchat-<UTC time>.tar.age``: a tar encrypted with age (X25519) to
the school's public keys, so the school's IT decrypts it with the standard ``age`` tool and the
private key never lives on the server. Inside the tar (format ``schoolchat-backup/1``):

- ``database.pgdump`` (PostgreSQL: ``pg_dump``'s custom format) or ``database.sqlite3``
  (SQLite: a copy made with its online backup API);
- ``media/<path>``: every file under ``MEDIA_ROOT``;
- ``manifest.json``: the time, the database engine, the SHA-256 and size of every part, the
  archive's chain heads and the counts of users, messages, records and files;
- ``manifest.sha256``: the SHA-256 of ``manifest.json``.

Consistency: the database is read in one snapshot while people go on writing (an exported
snapshot of a repeatable-read transaction that ``pg_dump`` shares; on SQLite one step of the
backup API, a single read transaction). The chain heads and counts are read in that same
snapshot. The media files are copied after it, so every file the snapshot names is there; a
file uploaded during the backup may be in it too, unnamed by any row, which costs nothing.

The plaintext (the dump, the tar) lives only in a private temporary folder of the machine
running the backup, never in the backup folder, which may be off-site storage.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import IO, Any

import pyrage
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pyrage import x25519

from accounts.models import User
from archive import chain
from archive.models import Chain, Record
from messaging.models import Message
from records import private_files
from records.models import BackupRun

FORMAT = "schoolchat-backup/1"
MANIFEST = "manifest.json"
MANIFEST_SUM = "manifest.sha256"
MEDIA = "media/"
DATABASE_PARTS = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
NAME = re.compile(r"^schoolchat-(\d{8}T\d{6}Z)\.tar\.age$")
TIME_FORMAT = "%Y%m%dT%H%M%SZ"
# A configured installation whose newest good backup is older than this is missing one: a day
# and some slack for a slow run.
STALE_AFTER = timedelta(hours=26)
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup could not be made, read or restored; the message says why and names the part."""


# --- Keys ------------------------------------------------------------------------------------

def configured() -> bool:
    return bool(settings.SCHOOLCHAT_BACKUP_RECIPIENTS)


def recipients_from(keys: Sequence[str]) -> list[x25519.Recipient]:
    if not keys:
        raise BackupError("no recipient: set SCHOOLCHAT_BACKUP_RECIPIENTS or pass --recipient")
    found = []
    for key in keys:
        try:
            found.append(x25519.Recipient.from_str(key.strip()))
        except Exception as exc:  # pyrage raises its own RecipientError (or ValueError)
            raise BackupError(f"not an age public key: {key!r} ({exc})") from None
    return found


def identities_from(path: Path) -> list[x25519.Identity]:
    """The age identities (``AGE-SECRET-KEY-1…`` lines) of a key file, as ``age-keygen`` writes."""
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise BackupError(f"cannot read the identity file {path}: {exc.strerror}") from None
    found = []
    for line in lines:
        line = line.strip()
        if line and not line.startswith("#"):
            try:
                found.append(x25519.Identity.from_str(line))
            except Exception:  # a malformed line: say which file, never echo a secret
                raise BackupError(f"{path} holds something that is not an age identity") from None
    if not found:
        raise BackupError(f"{path} holds no age identity")
    return found


# --- Parts -----------------------------------------------------------------------------------

def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


class _Hashing:
    """A file wrapper that hashes what is read through it (tarfile reads parts through it)."""

    def __init__(self, inner: IO[bytes]) -> None:
        self.inner = inner
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.inner.read(size)
        self.digest.update(data)
        return data


def _engine() -> str:
    vendor = connection.vendor
    if vendor not in DATABASE_PARTS:
        raise BackupError(f"backups support PostgreSQL and SQLite, not {vendor}")
    return vendor


def _read_state(cursor: Any) -> tuple[dict[str, list[Any]], dict[str, int]]:
    """Chain heads and counts, read through a DB-API cursor inside the snapshot."""
    cursor.execute(f"SELECT scope, length, head_hash FROM {Chain._meta.db_table} ORDER BY scope")  # noqa: S608
    chains = {scope: [int(length), head] for scope, length, head in cursor.fetchall()}
    counts = {}
    for name, model in (("users", User), ("messages", Message), ("records", Record)):
        cursor.execute(f"SELECT COUNT(*) FROM {model._meta.db_table}")  # noqa: S608
        counts[name] = int(cursor.fetchone()[0])
    return chains, counts


def _pg_target(db: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    """A libpq connection string for pg_dump / pg_restore, and the environment with the password."""
    parts = {"dbname": db["NAME"], "host": db.get("HOST") or "", "port": str(db.get("PORT") or ""),
             "user": db.get("USER") or ""}
    conninfo = " ".join(f"{k}='{v}'" for k, v in parts.items() if v)
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return conninfo, env


def _run(args: list[str], env: Mapping[str, str] | None = None) -> None:
    try:
        subprocess.run(args, env=env, check=True, capture_output=True, text=True)  # noqa: S603
    except FileNotFoundError:
        raise BackupError(f"{args[0]} is not installed") from None
    except subprocess.CalledProcessError as exc:
        lines = (exc.stderr or "").strip().splitlines()
        raise BackupError(f"{args[0]} failed: {lines[-1] if lines else exc.returncode}") from None


def _snapshot_postgresql(dest: Path) -> tuple[dict[str, list[Any]], dict[str, int]]:
    if connection.in_atomic_block:
        raise BackupError("a backup cannot run inside a transaction")
    connection.ensure_connection()
    conninfo, env = _pg_target(connection.settings_dict)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        state = _read_state(cursor)
        # pg_dump reads the very snapshot this transaction holds open.
        _run(["pg_dump", "--format=custom", f"--snapshot={snapshot}", "--file", str(dest),
              "--dbname", conninfo], env)
    return state


def _snapshot_sqlite(dest: Path) -> tuple[dict[str, list[Any]], dict[str, int]]:
    source = sqlite3.connect(str(connection.settings_dict["NAME"]), timeout=20)
    copy = sqlite3.connect(str(dest))
    try:
        source.backup(copy)  # all pages in one step: one read transaction, one moment
        copy.execute("PRAGMA journal_mode=DELETE")  # a standalone file, no -wal beside it
        state = _read_state(copy.cursor())
    finally:
        copy.close()
        source.close()
    return state


def _media_files(root: Path) -> Iterator[tuple[str, Path]]:
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield MEDIA + path.relative_to(root).as_posix(), path


def _add(tar: tarfile.TarFile, name: str, path: Path) -> dict[str, Any]:
    info = tarfile.TarInfo(name)
    info.size = path.stat().st_size
    info.mtime = int(path.stat().st_mtime)
    info.mode = 0o600
    with path.open("rb") as handle:
        reader = _Hashing(handle)
        tar.addfile(info, reader)  # reads exactly info.size bytes
    return {"sha256": reader.digest.hexdigest(), "size": info.size}


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    info.mode = 0o600
    with tempfile.SpooledTemporaryFile() as handle:
        handle.write(data)
        handle.seek(0)
        tar.addfile(info, handle)


@dataclass(frozen=True)
class Made:
    path: Path
    size: int
    sha256: str
    manifest: dict[str, Any]


def file_name(at: datetime) -> str:
    return f"schoolchat-{at.astimezone(UTC).strftime(TIME_FORMAT)}.tar.age"


def write(keys: Sequence[str], out: Path, *, media_root: Path | None = None) -> Made:
    """Write one encrypted backup file to ``out`` (atomically: a ``.partial`` file renamed)."""
    recipients = recipients_from(keys)
    media_root = Path(media_root or settings.MEDIA_ROOT)
    engine = _engine()
    started = timezone.now()
    private_files.make_folder(out.parent)
    with tempfile.TemporaryDirectory(prefix="schoolchat-backup-") as folder:
        tmp = Path(folder)
        database = DATABASE_PARTS[engine]
        snapshot = _snapshot_postgresql if engine == "postgresql" else _snapshot_sqlite
        chains, counts = snapshot(tmp / database)
        plain = tmp / "backup.tar"
        with tarfile.open(plain, "w", format=tarfile.PAX_FORMAT) as tar:
            parts = {database: _add(tar, database, tmp / database)}
            (tmp / database).unlink()
            for name, path in _media_files(media_root):
                with contextlib.suppress(FileNotFoundError):  # deleted by retention meanwhile
                    parts[name] = _add(tar, name, path)
            counts["files"] = len(parts) - 1
            manifest = {"format": FORMAT, "created_at": started.isoformat(), "engine": engine,
                        "database": database, "parts": parts, "chains": chains, "counts": counts}
            text = json.dumps(manifest, indent=1, sort_keys=True).encode()
            _add_bytes(tar, MANIFEST, text)
            _add_bytes(tar, MANIFEST_SUM, (hashlib.sha256(text).hexdigest() + "\n").encode())
        partial = out.with_name(f".{out.name}.partial")
        try:
            with plain.open("rb") as source, private_files.create(partial) as target:
                pyrage.encrypt_io(source, target, recipients)
                target.flush()
                os.fsync(target.fileno())
            os.replace(partial, out)
        finally:
            partial.unlink(missing_ok=True)
    return Made(path=out, size=out.stat().st_size, sha256=sha256_of(out), manifest=manifest)


# --- Rotation --------------------------------------------------------------------------------

UNITS = {"d": "daily", "w": "weekly", "m": "monthly", "y": "yearly"}


def parse_keep(spec: str) -> dict[str, int]:
    """``"7d,4w,12m"``: the newest backup of each of the last 7 days, 4 weeks and 12 months."""
    keep: dict[str, int] = {}
    for item in (part.strip() for part in spec.split(",")):
        found = re.fullmatch(r"(\d+)([dwmy])", item)
        if not found:
            raise BackupError(f"SCHOOLCHAT_BACKUP_KEEP: {item!r} is not a count and one of d, w, m, y")
        keep[found.group(2)] = int(found.group(1))
    return keep


def _bucket(at: datetime, unit: str) -> tuple[int, ...]:
    if unit == "d":
        return (at.year, at.month, at.day)
    if unit == "w":
        iso = at.isocalendar()
        return (iso.year, iso.week)
    if unit == "m":
        return (at.year, at.month)
    return (at.year,)


def kept(times: Sequence[datetime], keep: Mapping[str, int]) -> set[datetime]:
    """Which backups rotation keeps: per unit, the newest of each of the last N periods that
    have one; and always the newest of all."""
    newest_first = sorted(times, reverse=True)
    result = set(newest_first[:1])
    for unit, count in keep.items():
        seen: set[tuple[int, ...]] = set()
        for at in newest_first:
            bucket = _bucket(at, unit)
            if bucket not in seen:
                seen.add(bucket)
                if len(seen) > count:
                    break
                result.add(at)
    return result


def backups_in(folder: Path) -> dict[datetime, Path]:
    found = {}
    for path in folder.glob("schoolchat-*.tar.age"):
        match = NAME.match(path.name)
        if match:
            found[datetime.strptime(match.group(1), TIME_FORMAT).replace(tzinfo=UTC)] = path
    return found


def rotate(folder: Path, keep: Mapping[str, int]) -> list[Path]:
    """Delete the backups in ``folder`` that rotation does not keep; returns what it deleted.
    Only files named as this module names them are considered."""
    found = backups_in(folder)
    keep_times = kept(list(found), keep)
    removed = [path for at, path in sorted(found.items()) if at not in keep_times]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


# --- Restore ---------------------------------------------------------------------------------

@dataclass
class Restored:
    counts: dict[str, int]
    report: chain.Report
    manifest: dict[str, Any] = field(default_factory=dict)


def _decrypt(path: Path, plain: Path, identities: Sequence[x25519.Identity]) -> None:
    try:
        source = path.open("rb")
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from None
    try:
        with source, plain.open("wb") as target:
            pyrage.decrypt_io(source, target, list(identities))
    except Exception:  # pyrage.DecryptError (wrong key), OSError (a damaged chunk)
        raise BackupError(f"cannot decrypt {path.name}: not encrypted to this identity, "
                          "or the file is damaged") from None


def _manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    def member(name: str) -> bytes:
        try:
            handle = tar.extractfile(name)
        except KeyError:
            handle = None
        if handle is None:
            raise BackupError(f"{name}: missing from the backup")
        return handle.read()

    text, stated = member(MANIFEST), member(MANIFEST_SUM).decode(errors="replace").strip()
    if hashlib.sha256(text).hexdigest() != stated:
        raise BackupError(f"{MANIFEST}: does not match its SHA-256 in {MANIFEST_SUM}")
    try:
        manifest = json.loads(text)
    except ValueError:
        raise BackupError(f"{MANIFEST}: not readable") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{MANIFEST}: not a {FORMAT} manifest")
    return manifest


def check(tar: tarfile.TarFile, manifest: Mapping[str, Any]) -> None:
    """Every part is named by the manifest and has its SHA-256 and size; none is missing."""
    parts: Mapping[str, Mapping[str, Any]] = manifest["parts"]
    seen = set()
    for member in tar.getmembers():
        if member.name in (MANIFEST, MANIFEST_SUM):
            continue
        want = parts.get(member.name)
        handle = tar.extractfile(member) if member.isfile() else None
        if want is None or handle is None:
            raise BackupError(f"{member.name}: not in the manifest")
        digest = hashlib.sha256()
        while block := handle.read(CHUNK):
            digest.update(block)
        if digest.hexdigest() != want.get("sha256") or member.size != want.get("size"):
            raise BackupError(f"{member.name}: does not match the manifest (damaged or altered)")
        seen.add(member.name)
    for missing in sorted(set(parts) - seen):
        raise BackupError(f"{missing}: missing from the backup")
    if manifest.get("database") not in seen:
        raise BackupError("the backup holds no database")


def _refuse_non_empty(manifest: Mapping[str, Any], media_root: Path) -> None:
    engine = _engine()
    if manifest.get("engine") != engine:
        raise BackupError(f"this is a backup of a {manifest.get('engine')} database; "
                          f"restore it into {manifest.get('engine')}, not {engine}")
    if media_root.exists() and any(media_root.iterdir()):
        raise BackupError(f"the media folder {media_root} is not empty: restore into an empty one")
    tables = connection.introspection.table_names()
    if tables:
        raise BackupError(f"the database is not empty ({len(tables)} tables): "
                          "restore into a new, empty database")


def _load_database(engine: str, dump: Path) -> None:
    if engine == "postgresql":
        conninfo, env = _pg_target(connection.settings_dict)
        _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
              "--single-transaction", "--dbname", conninfo, str(dump)], env)
        return
    target = str(connection.settings_dict["NAME"])
    connection.close()
    source, copy = sqlite3.connect(str(dump)), sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()


def _media_path(media_root: Path, name: str) -> Path:
    relative = PurePosixPath(name[len(MEDIA):])
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise BackupError(f"{name}: not a path inside the media folder")
    return media_root.joinpath(*relative.parts)


def _extract_media(tar: tarfile.TarFile, media_root: Path) -> int:
    count = 0
    media_root.mkdir(parents=True, exist_ok=True)
    for member in tar.getmembers():
        if not member.name.startswith(MEDIA):
            continue
        dest = _media_path(media_root, member.name)
        dest.parent.mkdir(parents=True, exist_ok=True)
        handle = tar.extractfile(member)
        if handle is None:
            raise BackupError(f"{member.name}: not a file")
        with private_files.create(dest) as target:  # people's files: 0600, as when backed up
            shutil.copyfileobj(handle, target, CHUNK)
        count += 1
    return count


def restore(path: Path, identities: Sequence[x25519.Identity], *,
            media_root: Path | None = None) -> Restored:
    """Restore a backup into this installation's empty database and media folder.

    Nothing is written until the whole file has decrypted and every part matches the
    manifest. After loading, the chain heads and counts must equal the manifest's and the
    archive must verify. Nothing is archived: the restored chains are the backup's, unchanged.
    """
    media_root = Path(media_root or settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix="schoolchat-restore-") as folder:
        tmp = Path(folder)
        plain = tmp / "backup.tar"
        _decrypt(path, plain, identities)
        try:
            with tarfile.open(plain, "r:") as tar:
                manifest = _manifest(tar)
                check(tar, manifest)
                _refuse_non_empty(manifest, media_root)
                database = str(manifest["database"])
                dump = tmp / "database"
                source = tar.extractfile(database)
                assert source is not None  # check() found it a file
                with dump.open("wb") as target:
                    shutil.copyfileobj(source, target, CHUNK)
                _load_database(str(manifest["engine"]), dump)
                files = _extract_media(tar, media_root)
        except tarfile.TarError as exc:
            raise BackupError(f"the decrypted backup is not a readable tar ({exc})") from None
    with connection.cursor() as cursor:
        chains, counts = _read_state(cursor)
    counts["files"] = files
    if chains != manifest["chains"]:
        raise BackupError("database: its archive chain heads differ from the manifest's")
    if counts != manifest["counts"]:
        raise BackupError(f"database: restored {counts}, the manifest says {manifest['counts']}")
    report = chain.verify()
    if not report.intact:
        raise BackupError(f"the restored archive does not verify: {report.problems[0]}")
    return Restored(counts=counts, report=report, manifest=manifest)


def describe(counts: Mapping[str, int]) -> str:
    return (f"{counts['users']} users, {counts['messages']} messages, {counts['records']} records, "
            f"{counts['files']} files")


COUNTS_LINE = re.compile(r"(\d+) users, (\d+) messages, (\d+) records, (\d+) files")


# --- The drill -------------------------------------------------------------------------------

def _quoted_url(db: Mapping[str, Any], name: str) -> str:
    user = urllib.parse.quote(str(db.get("USER") or "postgres"))
    password = f":{urllib.parse.quote(str(db['PASSWORD']))}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{urllib.parse.quote(name)}"


@contextlib.contextmanager
def scratch_database(folder: Path, name: str | None = None) -> Iterator[dict[str, str]]:
    """A new, empty database beside this one, dropped afterwards; yields the environment that
    points ``manage.py`` at it (PostgreSQL: ``<name>_scratch_<random>``; SQLite: a file in
    ``folder``)."""
    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SQLITE_PATH"}}
    if _engine() == "sqlite":
        env["SQLITE_PATH"] = str(folder / f"{name or 'scratch'}.sqlite3")
        yield env
        return
    name = name or f"{db['NAME']}_scratch_{secrets.token_hex(4)}"
    if not re.fullmatch(r"[A-Za-z0-9_]{1,63}", name):
        raise BackupError(f"{name!r} is not a plain database name")
    quoted = connection.ops.quote_name(name)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {quoted}")
    try:
        env["DATABASE_URL"] = _quoted_url(db, name)
        yield env
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")


def restore_in(env: Mapping[str, str], path: Path, identity: Path) -> dict[str, int]:
    """Run ``manage.py restore`` in a process pointed at ``env``'s database and media folder."""
    done = subprocess.run(  # noqa: S603
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "restore", str(path),
         "--identity", str(identity)],
        env=dict(env), capture_output=True, text=True, timeout=3600, check=False,
    )
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(lines[-1] if lines else f"restore exited with {done.returncode}")
    found = COUNTS_LINE.search(done.stdout)
    if not found:
        raise BackupError("restore did not say what it restored")
    users, messages, records, files = (int(n) for n in found.groups())
    return {"users": users, "messages": messages, "records": records, "files": files}


def drill(*, path: Path | None = None, identity: Path | None = None,
          scratch_name: str | None = None,
          say: Callable[[str], None] = lambda line: None) -> dict[str, int]:
    """The whole restore drill: back up (to a key made for the drill, unless a backup file and
    its identity are given), restore into a scratch database and media folder in a process of
    its own, verify there, drop the scratch database. Returns the counts restored."""
    if path is not None and not path.is_file():
        raise BackupError(f"{path}: no such backup file")
    if identity is not None:
        identities_from(identity)  # unreadable or not a key: say so before making a database
    with tempfile.TemporaryDirectory(prefix="schoolchat-drill-") as folder:
        tmp = Path(folder)
        if path is None or identity is None:
            key = x25519.Identity.generate()
            identity = tmp / "drill-key.txt"
            private_files.write(identity, f"{key}\n".encode())
            path = tmp / "drill.tar.age"
            say("backing up")
            write([str(key.to_public())], path)
        with scratch_database(tmp, scratch_name) as env:
            env["MEDIA_ROOT"] = str(tmp / "media")
            say("restoring into a scratch database")
            return restore_in(env, path, identity)


# --- Status ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Status:
    """What the admin's dashboard and ``/healthz`` say about backups.

    ``state``: ``"ok"``, ``"failed"`` (the newest backup failed), ``"missing"`` (no good backup
    in the last 26 hours) or ``"not configured"`` (no recipient key set).
    """

    state: str
    last_backup: BackupRun | None
    last_good_backup: BackupRun | None
    last_drill: BackupRun | None

    @property
    def healthy(self) -> bool:
        return self.state in {"ok", "not configured"}

    @property
    def summary(self) -> str:
        """One sentence for a person, in the active language."""
        if self.state == "not configured":
            return _("Backups are not set up.")
        if self.state == "failed" and self.last_backup is not None:
            return _("The last backup failed: %(reason)s") % {"reason": self.last_backup.error}
        if self.state == "missing":
            return _("No backup has been made in the last day.")
        return _("Backups are up to date.")


def status(now: datetime | None = None) -> Status:
    """The state of backups and the last drill: one function for the dashboard and ``/healthz``."""
    now = now or timezone.now()
    runs = BackupRun.objects.order_by("-finished_at")
    last = runs.filter(kind=BackupRun.Kind.BACKUP).first()
    good = runs.filter(kind=BackupRun.Kind.BACKUP, ok=True).first()
    last_drill = runs.filter(kind=BackupRun.Kind.DRILL).first()
    if not configured():
        state = "not configured"
    elif last is not None and not last.ok:
        state = "failed"
    elif good is None or now - good.finished_at > STALE_AFTER:
        state = "missing"
    else:
        state = "ok"
    return Status(state=state, last_backup=last, last_good_backup=good, last_drill=last_drill)
