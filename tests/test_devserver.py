"""`make serve`'s jobs really happen: the command it runs (``python -m schoolchat.devserver``)
starts daphne and a real Celery worker with beat on the embedded default's broker folder, so a
"Send later" message is posted when due and an unread message is mailed in a digest. Ctrl-C
or the death of either child ends both.

Each test runs the command against the test database, a broker folder in a temporary directory
and beat running every job every ``BEAT_SECONDS`` (``SCHOOLCHAT_BEAT_MAX_SECONDS``)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.utils import timezone

from accounts.models import School, User
from messaging.actions import scheduled, send
from messaging.models import Conversation, Message
from tests.live import ROOT, free_port, server_env

pytestmark = pytest.mark.django_db(transaction=True)

BEAT_SECONDS = 2
START_SECONDS = 60
JOB_SECONDS = 40


@dataclass
class DevServer:
    process: subprocess.Popen[bytes]
    log_path: Path
    children: list[int]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            # "pid (command) state ppid ...": the command may hold spaces and brackets.
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _descendants_of(pid: int) -> list[int]:
    """Children, grandchildren and so on: Celery's pool processes and its embedded beat."""
    found = []
    for child in _children_of(pid):
        found += [child, *_descendants_of(child)]
    return found


def _command_line(pid: int) -> bytes:
    return (Path("/proc") / str(pid) / "cmdline").read_bytes()


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_for(condition: Callable[[], object], seconds: float, what: str,
              server: DevServer) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} within {seconds}s; the command's output:\n{server.log()[-6000:]}")


@contextlib.contextmanager
def devserver(tmp_path: Path) -> Iterator[DevServer]:
    """`make serve`'s last command, on the embedded default (no Redis: the broker folder)."""
    port = free_port()
    env = server_env({
        "SCHOOLCHAT_CELERY_DIR": str(tmp_path / "celery"),
        "SCHOOLCHAT_BEAT_MAX_SECONDS": str(BEAT_SECONDS),
    })
    for name in ("CELERY_TASK_ALWAYS_EAGER", "REDIS_URL", "EMAIL_BACKEND"):
        env.pop(name, None)  # the worker runs the tasks; e-mail goes to the console
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "schoolchat.devserver", "-b", "127.0.0.1", "-p", str(port),
             "schoolchat.asgi:application"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = DevServer(process, log_path, [])
    try:
        def listening() -> bool:
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return True
            return False

        _wait_for(lambda: process.poll() is not None or (
            listening() and re.search(r"celery@\S+ ready\.", server.log())),
            START_SECONDS, "daphne and the worker started", server)
        assert process.poll() is None, server.log()
        server.children = _children_of(process.pid)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for pid in server.children:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_message_sent_later_is_posted_by_the_worker_when_due(
        tmp_path: Path, conversation_4b: Conversation, teacher: User) -> None:
    with devserver(tmp_path) as server:
        # schedule_message accepts times a minute or more ahead: the clock it checks against
        # is moved back, so the message falls due a few seconds from now.
        send_at = timezone.now() + timedelta(seconds=4)
        with mock.patch("django.utils.timezone.now", return_value=send_at - timedelta(minutes=1)):
            scheduled.schedule_message(teacher, conversation_4b, "Trip money is due Friday", send_at)
        assert not Message.objects.exists()

        def posted() -> Message | None:
            return Message.objects.filter(conversation=conversation_4b).first()

        _wait_for(posted, JOB_SECONDS, "the scheduled message was posted", server)
        message = posted()
        assert message is not None
        assert message.body == "Trip money is due Friday" and message.sender == teacher
        assert message.created_at >= send_at  # not before its time


def _midday_zone() -> str:
    """A time zone where it is about noon now: outside everyone's quiet hours."""
    offset = 12 - datetime.now(UTC).hour
    if offset > 14:
        offset -= 24
    if offset < -12:
        offset += 24
    return f"Etc/GMT{-offset:+d}" if offset else "UTC"  # Etc/GMT-3 is three hours ahead of UTC


def test_an_unread_message_is_mailed_in_a_digest_once(
        tmp_path: Path, school: School, conversation_4b: Conversation, teacher: User,
        parent: User) -> None:
    school.time_zone = _midday_zone()
    school.save(update_fields=["time_zone"])
    with devserver(tmp_path) as server:
        send.post_message(teacher, conversation_4b, "Swimming lessons start on Monday")

        def digests() -> list[str]:
            return re.findall(r"^Subject: 1 unread message in Schoolchat$", server.log(), re.M)

        _wait_for(digests, JOB_SECONDS, "a digest was printed", server)
        output = server.log()
        assert "To: anna@example.invalid" in output
        assert "Ms de Vries: Swimming lessons start on Monday" in output
        assert "teacher@example.invalid" not in output  # the sender gets no digest of her own

        # Two more runs of the digest job mail nothing again.
        runs = len(re.findall(r"messaging\.send_digests\[\S+\] succeeded", server.log()))
        _wait_for(lambda: len(re.findall(r"messaging\.send_digests\[\S+\] succeeded",
                                         server.log())) >= runs + 2,
                  JOB_SECONDS, "the digest job ran twice more", server)
        assert len(digests()) == 1


def test_ctrl_c_stops_daphne_and_the_worker_together(tmp_path: Path) -> None:
    with devserver(tmp_path) as server:
        assert len(server.children) == 2
        server.process.send_signal(signal.SIGINT)
        server.process.wait(timeout=30)
        deadline = time.monotonic() + 30
        while any(_alive(pid) for pid in server.children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(pid) for pid in server.children), server.log()
        assert server.process.returncode == 0


def test_stopped_with_sigterm_it_leaves_no_process_behind(tmp_path: Path) -> None:
    """As a service manager or a script stops it: the web server, the worker, the worker's
    pool processes and its beat all end."""
    with devserver(tmp_path) as server:
        everyone = _descendants_of(server.process.pid)
        assert len(everyone) > 2  # the pool processes and beat are there to be stopped
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=30)
        deadline = time.monotonic() + 30
        while any(_alive(pid) for pid in everyone) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in everyone if _alive(pid)], server.log()
        assert server.process.returncode == 0


def test_when_the_worker_dies_the_web_server_stops_too(tmp_path: Path) -> None:
    with devserver(tmp_path) as server:
        worker, = [pid for pid in server.children if b"celery" in _command_line(pid)]
        web, = [pid for pid in server.children if pid != worker]
        pool = _descendants_of(worker)
        os.kill(worker, signal.SIGKILL)
        server.process.wait(timeout=30)
        assert server.process.returncode != 0  # a crash is not hidden
        deadline = time.monotonic() + 30
        while (_alive(web) or any(_alive(pid) for pid in pool)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(web), server.log()
        # The dead worker's pool processes and beat do not live on without it.
        assert not [pid for pid in pool if _alive(pid)], server.log()


def _celery_settings(env: dict[str, str]) -> list[str]:
    code = ("from schoolchat.celery import app; c = app.conf; print(c.broker_url, c.broker_transport,"
            " c.task_always_eager)")
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, capture_output=True,
        text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "HOME": "/tmp", **env})
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1].split()


def test_the_embedded_default_queues_tasks_in_a_folder_and_production_in_redis(
        tmp_path: Path) -> None:
    folder = tmp_path / "celery"
    embedded = _celery_settings({"SCHOOLCHAT_CELERY_DIR": str(folder),
                                 "SQLITE_PATH": str(tmp_path / "db.sqlite3")})
    assert embedded == ["filesystem://localhost/", "schoolchat.broker:Transport", "False"]
    assert {path.name for path in folder.iterdir()} == {"queue", "processed", "control"}
    production = _celery_settings({"REDIS_URL": "redis://redis.internal:6379/0",
                                   "SQLITE_PATH": str(tmp_path / "db.sqlite3")})
    assert production == ["redis://redis.internal:6379/0", "None", "False"]
