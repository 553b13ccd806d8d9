"""Nothing a user sent is lost, duplicated or reordered when a part of the installation dies.

Real daphne processes share the test database (and Redis when ``REDIS_URL`` is set) behind
Debian's nginx running deploy/nginx.conf itself (tests/proxy.py), as compose runs it. Members'
sockets, spread by nginx over the processes, are subscribed to one conversation while a teacher
streams 1,000 messages through nginx; mid-stream one part fails: a daphne process is killed with
SIGKILL and restarted, Redis is restarted, or the Celery worker is killed in the middle of a
retention run or of a subject access export and another started. Afterwards:

- every send was answered (acknowledged, or refused with an error), none waited forever;
- every acknowledged message is in the database exactly once, and every member's client was
  shown every one of them exactly once, in ``seq`` order, after resuming;
- a job the worker was killed in finished on the next worker with the result an undisturbed
  run has.

Each scenario prints what was sent, acknowledged, stored and delivered, and the longest wait.
Redis scenarios run on a private redis-server (a free port), never on the shared one; the
Celery scenarios need PostgreSQL (they hold a row lock to catch the worker mid-job).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlparse

import psycopg
import pytest
from celery import Celery
from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.models import Role, School, User
from archive import chain, scopes
from archive.models import PURGE_KIND, AuditEntry, Record, SubjectAccessExport
from messaging.actions import membership, send
from messaging.models import Conversation, Message
from records import actions as records_actions
from records import export as export_builder
from records import tasks as records_tasks
from tests.conftest import IN_CI, require_service
from tests.factories import PupilFactory, SchoolClassFactory, SchoolFactory, UserFactory, enrol
from tests.fault.chat_client import (
    Endpoint,
    Receiver,
    Sender,
    open_socket,
    session_cookie,
    wait_until,
)
from tests.live import ROOT, Server, daphne_servers, database_env, free_port, server_env
from tests.proxy import Proxy, find_nginx, running_proxy

TOTAL = 1000
FAULT_AT = 300  # answered sends before the fault
SCENARIO_TIMEOUT = 240  # a bound, not a speed requirement: shared CI machines can be slow
SOCKETS_PER_MEMBER = 4  # tabs of the parent and of the teacher, spread over the processes
LATER = timedelta(days=401)  # past the 400-day chat retention default
VISIBILITY_TIMEOUT = 2  # seconds before Redis gives a dead worker's task to another

needs_redis = pytest.mark.skipif(
    not settings.REDIS_URL,
    reason="the embedded default has no Redis and no second process to cross; set REDIS_URL",
)
needs_postgres_and_redis = pytest.mark.skipif(
    not settings.REDIS_URL or connection.vendor != "postgresql",
    reason="a Celery worker on its own runs with Redis as broker and PostgreSQL as database;"
           " set DATABASE_URL and REDIS_URL",
)


def missing(message: str) -> None:
    if IN_CI:
        pytest.fail(message + " (CI=true: a missing service is a failure)")
    pytest.skip(message)


def require_nginx() -> None:
    if find_nginx() is None or shutil.which("openssl") is None:
        missing("nginx or openssl is not installed (apt-get install nginx)")


def redis_address() -> tuple[str, int]:
    url = urlparse(settings.REDIS_URL)
    return url.hostname or "127.0.0.1", url.port or 6379


def require_redis_server() -> None:
    tools = [tool for tool in ("redis-cli", "redis-server") if shutil.which(tool) is None]
    if tools:
        missing(f"cannot run a private Redis: {' and '.join(tools)} not installed")


def redis_answers(port: int) -> bool:
    result = subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True,
                            text=True, timeout=5, check=False)
    return result.stdout.strip() == "PONG"


def redis_run_id(port: int) -> str:
    info = subprocess.run(["redis-cli", "-p", str(port), "info", "server"], capture_output=True,
                          text=True, timeout=5, check=True).stdout
    return next(line.split(":", 1)[1].strip() for line in info.splitlines()
                if line.startswith("run_id:"))


class PrivateRedis:
    """A redis-server of this test alone, on a free port; restarting it disturbs nobody."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            if redis_answers(self.port):
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer PING on port {self.port}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)  # as a crash: nothing saved
            self.process.wait(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()


@contextlib.contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    require_redis_server()
    redis = PrivateRedis()
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


@contextlib.contextmanager
def behind_nginx(count: int, tmp_path: Path,
                 extra_env: dict[str, str] | None = None) -> Iterator[tuple[list[Server], Proxy]]:
    """``count`` daphne processes and nginx (deploy/nginx.conf) in front of them."""
    require_nginx()
    https_port = free_port()
    env = {"CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{https_port}", **(extra_env or {})}
    with daphne_servers(count, tmp_path, env) as servers, \
            running_proxy([s.port for s in servers], tmp_path / "nginx", https_port) as proxy:
        yield servers, proxy


def through(proxy: Proxy) -> Endpoint:
    return Endpoint(proxy.ws_url, proxy.origin, proxy.ssl_context())


def spread_receivers(members: dict[str, str], conversation: int,
                     endpoint: Endpoint) -> list[Receiver]:
    """Each member's tabs, connected through nginx: it spreads them over the processes."""
    return [Receiver(f"{name} tab {tab}", lambda: endpoint, members[name], conversation)
            for name in ("parent", "teacher") for tab in range(SOCKETS_PER_MEMBER)]


async def run_stream(sender: Sender, receivers: list[Receiver],
                     fault: Callable[[], Awaitable[None]]) -> None:
    """Subscribe everyone, stream the messages, inject ``fault`` mid-stream, let everyone catch
    up, then stop the clients."""
    tasks = [asyncio.create_task(r.run()) for r in receivers]
    try:
        for receiver in receivers:
            await asyncio.wait_for(receiver.subscribed.wait(), timeout=30)
        sending = asyncio.create_task(sender.run())

        async def inject() -> None:
            await sender.wait_for_acks(FAULT_AT)
            await fault()

        injecting = asyncio.create_task(inject())
        await asyncio.wait_for(asyncio.gather(sending, injecting), timeout=SCENARIO_TIMEOUT)
        head = max((seq for _id, seq in sender.acked.values()), default=0)
        await wait_until(lambda: all(r.last_seq >= head for r in receivers), 60,
                         "every client to catch up with the last acknowledged message")
        # A little longer, so a late duplicate would show up.
        await asyncio.sleep(0.3)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def assert_nothing_lost(scenario: str, conversation: Conversation, sender: Sender,
                        receivers: list[Receiver]) -> None:
    rows = list(Message.objects.filter(conversation=conversation)
                .values_list("client_id", "pk", "seq"))
    delivered = Counter(len(r.seqs) for r in receivers)
    print(f"{scenario}: sent={len(sender.first_sent)} acked={len(sender.acked)}"
          f" refused={len(sender.refused)} stored={len(rows)}"
          f" delivered={', '.join(f'{n} to {k} sockets' for n, k in sorted(delivered.items()))}"
          f" longest_send_wait={sender.longest_wait:.2f}s resent={sender.resent}"
          f" reconnections={sum(r.connections - 1 for r in receivers) + sender.connections - 1}")
    assert not sender.conflicting_acks, "a retry was acknowledged as a different message"
    # Every send was answered; none of these faults is a reason to refuse one.
    assert len(sender.first_sent) == TOTAL and sender.answered == TOTAL
    assert not sender.refused, f"refused: {list(sender.refused.values())[:3]}"
    by_client = Counter(str(client_id) for client_id, _pk, _seq in rows)
    assert len(rows) == TOTAL, f"{len(rows)} stored for {TOTAL} acknowledged sends"
    duplicates = [c for c, n in by_client.items() if n > 1]
    assert not duplicates, f"{len(duplicates)} messages stored more than once"
    stored = {str(client_id): (pk, seq) for client_id, pk, seq in rows}
    assert stored == sender.acked, "an acknowledgement does not match what the database holds"

    expected_seqs = sorted(seq for _pk, seq in stored.values())
    expected_ids = [pk for pk, _seq in sorted(stored.values(), key=lambda row: row[1])]
    for receiver in receivers:
        assert not receiver.refusals, f"{receiver.name} was refused: {receiver.refusals[:3]}"
        # Exactly once and in seq order: the sequence shown is the database's, nothing more.
        assert receiver.seqs == expected_seqs, (
            f"{receiver.name}: {len(receiver.seqs)} shown, "
            f"{len(receiver.seqs) - len(set(receiver.seqs))} duplicates, "
            f"missing {sorted(set(expected_seqs) - set(receiver.seqs))[:10]}"
        )
        assert receiver.ids == expected_ids


@pytest.fixture
def members(transactional_db: None, conversation_4b: Conversation, teacher: User,
            parent: User) -> dict[str, str]:
    # The teacher streams 1,000 messages as fast as the server takes them: no posting limit.
    School.objects.filter(pk=conversation_4b.school_id).update(post_burst=10_000,
                                                               posts_per_minute=10_000)
    return {"teacher": session_cookie(teacher), "parent": session_cookie(parent)}


def test_a_server_killed_mid_stream_behind_the_proxy_loses_and_repeats_nothing(
        members: dict[str, str], conversation_4b: Conversation, tmp_path: Path) -> None:
    """SIGKILL one of three daphne processes behind nginx mid-stream, then restart it.

    nginx spreads the sockets over the three; those on the killed one reconnect through nginx
    to the others and resume. On the embedded default (one process, no cross-process hub)
    everyone is on the one killed and waits, answered 502 by nginx, until it is back."""
    if settings.REDIS_URL:
        require_service("Redis", *redis_address())
    count = 3 if settings.REDIS_URL else 1
    with behind_nginx(count, tmp_path) as (servers, proxy):
        endpoint = through(proxy)
        receivers = spread_receivers(members, conversation_4b.pk, endpoint)
        sender = Sender(lambda: endpoint, members["teacher"], conversation_4b.pk, TOTAL)
        victim = servers[0]

        async def crash() -> None:
            await asyncio.to_thread(victim.kill)
            await asyncio.to_thread(victim.start)

        asyncio.run(run_stream(sender, receivers, crash))

    assert_nothing_lost("daphne SIGKILL", conversation_4b, sender, receivers)
    # The fault really struck clients mid-stream, and (with three) not all of them.
    reconnected = [r.name for r in receivers if r.connections >= 2]
    assert reconnected or sender.connections >= 2
    if count > 1:
        assert len(reconnected) < len(receivers), "nginx put every socket on one process"


@needs_redis
def test_a_redis_restart_mid_stream_behind_the_proxy_loses_and_repeats_nothing(
        members: dict[str, str], conversation_4b: Conversation, tmp_path: Path) -> None:
    """Kill and restart Redis (the hub of three processes behind nginx) mid-stream."""
    with private_redis() as redis, \
            behind_nginx(3, tmp_path, {"REDIS_URL": redis.url}) as (_servers, proxy):
        endpoint = through(proxy)
        receivers = spread_receivers(members, conversation_4b.pk, endpoint)
        sender = Sender(lambda: endpoint, members["teacher"], conversation_4b.pk, TOTAL)
        answered_while_down: list[int] = []

        async def redis_restart() -> None:
            await asyncio.to_thread(redis.stop)
            # Sends go on while Redis is away: they are stored and acknowledged, but their
            # events cannot be published. Wait for some before bringing Redis back.
            down_at = sender.answered
            await sender.wait_for_acks(min(down_at + 20, TOTAL))
            answered_while_down.append(sender.answered - down_at)
            await asyncio.to_thread(redis.start)

        run_id = redis_run_id(redis.port)
        asyncio.run(run_stream(sender, receivers, redis_restart))
        assert redis_run_id(redis.port) != run_id  # it really was restarted

    assert_nothing_lost("Redis restart", conversation_4b, sender, receivers)
    assert answered_while_down and answered_while_down[0] > 0
    # The sockets themselves never dropped: the hubs resynced them from the database.
    assert all(r.connections == 1 for r in receivers)


# --- the Celery worker killed mid-job -----------------------------------------------------------

class Worker:
    """A real ``celery -A schoolchat worker`` on the test database and a private Redis, in a
    process group of its own, so that killing it kills its pool processes too."""

    def __init__(self, broker: str, log_path: Path) -> None:
        self.env = server_env({
            "REDIS_URL": broker, "CELERY_TASK_ALWAYS_EAGER": "false",
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "SCHOOLCHAT_CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "LOG_LEVEL": "INFO",
        })
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, timeout: float = 60) -> None:
        self.starts += 1
        marker = f"fault-{uuid.uuid4().hex[:8]}"
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "celery"), "-A", "schoolchat", "worker",
             "-Q", "celery", "--concurrency", "1", "--loglevel", "INFO", "-n", f"{marker}@%h",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited early:\n{self.log()}")
            if f"{marker}@" in self.log() and " ready." in self.log().split(marker, 1)[1]:
                return
            time.sleep(0.1)
        raise RuntimeError(f"the worker was not ready in {timeout}s:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL to the worker and its pool processes at once, as a lost container."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-20000:]
        except OSError:
            return ""


@contextlib.contextmanager
def celery_worker(broker: str, tmp_path: Path) -> Iterator[Worker]:
    worker = Worker(broker, tmp_path / "worker.log")
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()


class ChainLock:
    """Holds, from a connection of its own, the row lock an archive write to ``scope`` takes
    (archive.chain._lock_head): the worker's job stops at that write until it is released."""

    def __init__(self, scope: str) -> None:
        self.scope = scope
        self.conn: psycopg.Connection[Any] | None = None

    def acquire(self) -> None:
        self.conn = psycopg.connect(database_env()["DATABASE_URL"])
        self.conn.execute(
            "INSERT INTO archive_chain (scope, length, head_hash) VALUES (%s, 0, %s) "
            "ON CONFLICT (scope) DO UPDATE SET scope = EXCLUDED.scope",
            [self.scope, chain.GENESIS])

    def release(self) -> None:
        if self.conn is not None:
            self.conn.rollback()
            self.conn.close()
            self.conn = None

    def someone_waits(self) -> bool:
        return bool(count_of(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query ILIKE '%%archive_chain%%'"))


def count_of(sql: str, *params: Any) -> int:
    """One number from the test database, on a connection of its own: the job predicates run
    in threads beside the clients' event loop, where Django's connection is not theirs."""
    with psycopg.connect(database_env()["DATABASE_URL"], autocommit=True) as conn:
        row = conn.execute(sql, params).fetchone()
    return int(row[0]) if row else 0


async def wait_in_thread(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await asyncio.to_thread(predicate):
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.2)


def queue_task(broker: str, name: str, *args: Any) -> None:
    """Put a task on the worker's queue, as the web process's .delay() would."""
    client = Celery("schoolchat-test-client", broker=broker)
    try:
        client.send_task(name, args=list(args), queue="celery")
    finally:
        client.close()


async def kill_worker_mid_job(worker: Worker, lock: ChainLock, start_job: Callable[[], None],
                              job_done: Callable[[], bool]) -> None:
    """Start the job with its archive write held back, SIGKILL the worker while the job waits
    there, let the write go, start a new worker and wait for it to finish the job."""
    await asyncio.to_thread(lock.acquire)
    try:
        await asyncio.to_thread(start_job)
        await wait_in_thread(lock.someone_waits, 60, "the job to reach its archive write")
        await asyncio.to_thread(worker.kill)
    finally:
        await asyncio.to_thread(lock.release)
    assert not await asyncio.to_thread(job_done), "the job finished although its worker was killed"
    # Redis gives the task out again once its visibility timeout has passed.
    await asyncio.sleep(VISIBILITY_TIMEOUT + 0.5)
    await asyncio.to_thread(worker.start)
    await wait_in_thread(job_done, 90, "the next worker to finish the job")


def second_school() -> tuple[School, Conversation, User]:
    """Another school on the installation, with a chat of its own."""
    other = SchoolFactory(name="Other Primary", slug="other-primary")
    klass = SchoolClassFactory(school=other, name="3C")
    teacher = UserFactory(username="teacher3c", display_name="Mr Bakker", role=Role.TEACHER,
                          school=other)
    klass.staff.add(teacher)
    admin = UserFactory(username="admin3c", display_name="Office", role=Role.ADMIN, school=other)
    parent = UserFactory(username="parent3c", display_name="Sam Visser", role=Role.PARENT,
                         school=other)
    enrol(PupilFactory(school=other, first_name="Noah"), klass, parent)
    chat = Conversation.objects.create(school=other, kind=Conversation.Kind.CLASS,
                                       school_class=klass)
    membership.add_member(chat, teacher, actor=admin, manager=True)
    membership.add_member(chat, parent, actor=admin)
    return other, chat, teacher


@needs_postgres_and_redis
def test_a_worker_killed_during_a_retention_run_leaves_it_to_the_next(
        members: dict[str, str], conversation_4b: Conversation, conversation_5a: Conversation,
        parent_5a: User, tmp_path: Path) -> None:
    """Two schools' expired chat; the worker is killed after the first school's purge, at the
    second's; the next worker purges the rest: each expired message purged once, on record
    once, nothing else touched, the archive intact. The chat stream goes on meanwhile."""
    other, other_chat, other_teacher = second_school()
    old = [send.post_message(parent_5a, conversation_5a, f"5A note {n}", limited=False)[0] for n in range(30)]
    old += [send.post_message(other_teacher, other_chat, f"3C note {n}", limited=False)[0] for n in range(30)]
    Message.objects.filter(pk__in=[m.pk for m in old]).update(created_at=timezone.now() - LATER)
    kept = [send.post_message(parent_5a, conversation_5a, "A recent question", limited=False)[0].pk]
    expired = {m.pk for m in old}

    def purged() -> bool:
        return not count_of("SELECT count(*) FROM messaging_message WHERE id = ANY(%s)",
                            sorted(expired))

    with private_redis() as redis, celery_worker(redis.url, tmp_path) as worker, \
            behind_nginx(3, tmp_path, {"REDIS_URL": redis.url}) as (_servers, proxy):
        endpoint = through(proxy)
        receivers = spread_receivers(members, conversation_4b.pk, endpoint)
        sender = Sender(lambda: endpoint, members["teacher"], conversation_4b.pk, TOTAL)
        # Schools are purged in order: the first school's batch commits, the second's waits.
        lock = ChainLock(scopes.retention(other.pk))
        asyncio.run(run_stream(sender, receivers, lambda: kill_worker_mid_job(
            worker, lock, lambda: queue_task(redis.url, "archive.apply_retention"), purged)))
        assert worker.starts == 2

    assert_nothing_lost("worker killed in retention", conversation_4b, sender, receivers)
    # The result of one undisturbed run: every expired message gone, each listed by exactly
    # one purge record of its own school, nothing else purged.
    assert purged() and Message.objects.filter(pk__in=kept).exists()
    listed = Counter(pk for purge in Record.objects.filter(kind=PURGE_KIND)
                     for pk in purge.payload.content["messages"])
    assert set(listed) == expired and set(listed.values()) == {1}
    by_school = {purge.scope: set(purge.payload.content["messages"])
                 for purge in Record.objects.filter(kind=PURGE_KIND)}
    assert by_school == {scopes.retention(conversation_5a.school_id): {m.pk for m in old[:30]},
                         scopes.retention(other.pk): {m.pk for m in old[30:]}}
    assert chain.verify().intact


def bundle_data(path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive_zip:
        data: dict[str, Any] = json.loads(archive_zip.read("data.json"))
    data.pop("generated_at", None)
    return data


@needs_postgres_and_redis
def test_a_worker_killed_during_a_subject_access_export_leaves_it_to_the_next(
        members: dict[str, str], conversation_4b: Conversation, conversation_5a: Conversation,
        parent_5a: User, dpo: User, tmp_path: Path) -> None:
    """The worker is killed after building the export, at its archive record; the next worker
    builds it again: the bundle holds what an undisturbed run's does, archived and audited
    once, and is downloadable."""
    for n in range(40):
        send.post_message(parent_5a, conversation_5a, f"A question about the trip, part {n}",
                          limited=False)
    with mock.patch.object(records_tasks.run_export, "delay") as queued:
        export = records_actions.request_export(dpo, user=parent_5a)
    assert queued.call_count == 1
    # What an undisturbed run builds (the subject's data does not change meanwhile).
    # Keys starting with "_" are the builder's own (files to copy, names to render), not data.
    undisturbed = {k: v for k, v in export_builder.collect(parent_5a).items()
                   if not k.startswith("_") and k != "generated_at"}

    def done() -> bool:
        return bool(count_of("SELECT count(*) FROM archive_subjectaccessexport "
                             "WHERE id = %s AND status = %s",
                             export.pk, SubjectAccessExport.Status.DONE.value))

    with private_redis() as redis, celery_worker(redis.url, tmp_path) as worker, \
            behind_nginx(3, tmp_path, {"REDIS_URL": redis.url}) as (_servers, proxy):
        endpoint = through(proxy)
        receivers = spread_receivers(members, conversation_4b.pk, endpoint)
        sender = Sender(lambda: endpoint, members["teacher"], conversation_4b.pk, TOTAL)
        lock = ChainLock(scopes.dpo(export.school_id))
        asyncio.run(run_stream(sender, receivers, lambda: kill_worker_mid_job(
            worker, lock, lambda: queue_task(redis.url, "archive.run_export", export.pk), done)))
        assert worker.starts == 2

    assert_nothing_lost("worker killed in export", conversation_4b, sender, receivers)
    export.refresh_from_db()
    assert export.is_downloadable()
    path = records_actions.export_path(export)
    assert bundle_data(path) == json.loads(json.dumps(undisturbed, default=str))
    assert not path.with_name(f"{path.name}.partial").exists()
    made = Record.objects.filter(kind="export.made", scope=scopes.dpo(export.school_id))
    assert [r.payload.content["export"] for r in made] == [export.pk]
    assert made.get().payload.content["sha256"] == export.sha256
    assert AuditEntry.objects.filter(action="export.made").count() == 1
    assert chain.verify().intact


@needs_redis
def test_a_message_sent_through_one_process_reaches_sockets_on_the_other(
        transactional_db: None, conversation_4b: Conversation, conversation_5a: Conversation, teacher: User,
        parent: User, parent_5a: User, tmp_path: Path) -> None:
    require_service("Redis", *redis_address())
    teacher_session, parent_session = session_cookie(teacher), session_cookie(parent)
    outsider_session = session_cookie(parent_5a)

    async def scenario(first: Server, second: Server,
                       ) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
        member = Receiver("parent on second", lambda: second.port, parent_session,
                          conversation_4b.pk)
        listening = asyncio.create_task(member.run())
        outsider, _ = await open_socket(second.port, outsider_session)
        try:
            await asyncio.wait_for(member.subscribed.wait(), timeout=20)
            await outsider.send(json.dumps({"type": "subscribe", "after_seq": 0,
                                            "conversation": conversation_4b.pk}))
            refused = json.loads(await asyncio.wait_for(outsider.recv(), 10))
            socket, _ = await open_socket(first.port, teacher_session)
            await socket.send(json.dumps({
                "type": "send", "conversation": conversation_4b.pk, "body": "Trip on Friday",
                "client_id": "0b6c1a52-55c3-4c55-9a4e-2f1f1d1a8b01"}))
            ack = json.loads(await asyncio.wait_for(socket.recv(), 10))
            await wait_until(lambda: member.seqs == [ack["seq"]], 10,
                             "the message to reach the other process")
            await socket.close()
            # The outsider's socket on the same process is shown nothing of it.
            extra = []
            with contextlib.suppress(asyncio.TimeoutError):
                while True:
                    extra.append(json.loads(
                        await asyncio.wait_for(outsider.recv(), 0.5)))
            return ack, refused, extra
        finally:
            await outsider.close()
            listening.cancel()
            await asyncio.gather(listening, return_exceptions=True)

    with daphne_servers(2, tmp_path) as (first, second):
        ack, refused, extra = asyncio.run(scenario(first, second))

    assert ack["type"] == "ack"
    stored = Message.objects.get(conversation=conversation_4b)
    assert (stored.pk, stored.seq, stored.body) == (ack["id"], ack["seq"], "Trip on Friday")
    assert refused["type"] == "error" and refused["code"] == "not_found"
    assert not [e for e in extra if e.get("type") == "message"]
