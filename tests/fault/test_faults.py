"""Nothing a user sent is lost, duplicated or reordered when a server process or Redis dies.

Real daphne processes share the test database (and Redis when ``REDIS_URL`` is set). Members'
sockets are subscribed to one conversation while a teacher streams 1,000 messages; mid-stream a
process is killed with SIGKILL and restarted, or Redis is restarted. Afterwards every message
whose send was acknowledged is in the database exactly once, and every member's client was
shown every one of them exactly once, in ``seq`` order, after resuming.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings

from accounts.models import School, User
from messaging.models import Conversation, Message
from tests.conftest import IN_CI, require_service
from tests.fault.chat_client import Receiver, Sender, open_socket, session_cookie, wait_until
from tests.live import Server, daphne_servers

TOTAL = 1000
FAULT_AT = 300  # acknowledged messages before the fault
SCENARIO_TIMEOUT = 150  # a bound, not a speed requirement: shared CI machines can be slow

needs_redis = pytest.mark.skipif(
    not settings.REDIS_URL,
    reason="the embedded default has no Redis and no second process to cross; set REDIS_URL",
)


def redis_address() -> tuple[str, int]:
    url = urlparse(settings.REDIS_URL)
    return url.hostname or "127.0.0.1", url.port or 6379


def require_local_redis(host: str) -> None:
    """This test stops and starts redis-server itself, so Redis must be a local process."""
    missing = [tool for tool in ("redis-cli", "redis-server") if shutil.which(tool) is None]
    problem = (f"{' and '.join(missing)} not installed" if missing
               else None if host in {"127.0.0.1", "localhost"} else f"Redis runs on {host}")
    if problem:
        message = f"cannot restart Redis from this test: {problem}"
        if IN_CI:
            pytest.fail(message + " (CI=true: a missing service is a failure)")
        pytest.skip(message)


def redis_answers(port: int) -> bool:
    result = subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True,
                            text=True, timeout=5, check=False)
    return result.stdout.strip() == "PONG"


def start_redis(port: int) -> None:
    subprocess.run(
        ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", str(port),
         "--save", "", "--appendonly", "no"],
        check=True, capture_output=True, timeout=10,
    )
    for _ in range(100):
        if redis_answers(port):
            return
        time.sleep(0.05)
    raise RuntimeError(f"redis-server did not answer PING on port {port}")


@contextlib.contextmanager
def redis_restored(port: int) -> Iterator[None]:
    """Whatever happens in the test, Redis is running afterwards: other tests need it."""
    try:
        yield
    finally:
        if not redis_answers(port):
            start_redis(port)


def stop_redis(port: int) -> None:
    subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], capture_output=True,
                   timeout=10, check=False)
    for _ in range(100):
        if not redis_answers(port):
            return
        time.sleep(0.05)
    raise RuntimeError(f"redis-server on port {port} did not stop")


def redis_run_id(port: int) -> str:
    info = subprocess.run(["redis-cli", "-p", str(port), "info", "server"], capture_output=True,
                          text=True, timeout=5, check=True).stdout
    return next(line.split(":", 1)[1].strip() for line in info.splitlines()
                if line.startswith("run_id:"))


async def run_stream(sender: Sender, receivers: list[Receiver], fault: Callable[[], Awaitable[None]]) -> None:
    """Subscribe everyone, stream the messages, inject ``fault`` mid-stream, let everyone catch
    up, then stop the clients."""
    tasks = [asyncio.create_task(r.run()) for r in receivers]
    try:
        for receiver in receivers:
            await asyncio.wait_for(receiver.subscribed.wait(), timeout=20)
        sending = asyncio.create_task(sender.run())

        async def inject() -> None:
            await sender.wait_for_acks(FAULT_AT)
            await fault()

        injecting = asyncio.create_task(inject())
        await asyncio.wait_for(asyncio.gather(sending, injecting), timeout=SCENARIO_TIMEOUT)
        head = max(seq for _id, seq in sender.acked.values())
        await wait_until(lambda: all(r.last_seq >= head for r in receivers), 60,
                         "every client to catch up with the last acknowledged message")
        # A little longer, so a late duplicate would show up.
        await asyncio.sleep(0.3)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def assert_nothing_lost(conversation: Conversation, sender: Sender, receivers: list[Receiver]) -> None:
    assert not sender.conflicting_acks, "a retry was acknowledged as a different message"
    assert len(sender.acked) == TOTAL
    rows = list(Message.objects.filter(conversation=conversation)
                .values_list("client_id", "pk", "seq"))
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


def test_a_server_killed_mid_stream_loses_and_repeats_nothing(members: dict[str, str],
                                                              conversation_4b: Conversation,
                                                              tmp_path: Path) -> None:
    """(a) SIGKILL one daphne process while a teacher streams 1,000 messages, then restart it.

    With Redis, members' sockets sit on both processes and the sender's socket on the one
    killed. On the embedded default (one process, no cross-process hub) everyone is on it."""
    if settings.REDIS_URL:
        require_service("Redis", *redis_address())
    count = 2 if settings.REDIS_URL else 1
    with daphne_servers(count, tmp_path) as servers:
        victim, survivor = servers[0], servers[-1]
        receivers = [
            Receiver(f"{name} on {'victim' if server is victim else 'survivor'}",
                     # mypy cannot infer a lambda with a default argument
                     lambda server=server: server.port,  # type: ignore[misc]
                     members[name], conversation_4b.pk)
            for server in {id(s): s for s in (victim, survivor)}.values()
            for name in ("parent", "teacher")
        ]
        sender = Sender(lambda: victim.port, members["teacher"], conversation_4b.pk, TOTAL)

        async def crash() -> None:
            await asyncio.to_thread(victim.kill)
            await asyncio.to_thread(victim.start)

        asyncio.run(run_stream(sender, receivers, crash))

    assert_nothing_lost(conversation_4b, sender, receivers)
    # The fault really struck mid-stream: the sender and the victim's members reconnected.
    assert sender.connections >= 2 and sender.resent > 0
    for receiver in receivers:
        on_victim = receiver.name.endswith("on victim")
        assert (receiver.connections >= 2) == on_victim, receiver.name


@needs_redis
def test_a_redis_restart_mid_stream_loses_and_repeats_nothing(members: dict[str, str],
                                                              conversation_4b: Conversation,
                                                              tmp_path: Path) -> None:
    """(b) Restart Redis while a teacher streams 1,000 messages through one of two processes."""
    host, port = redis_address()
    require_service("Redis", host, port)
    require_local_redis(host)
    with redis_restored(port), daphne_servers(2, tmp_path) as servers:
        receivers = [
            # mypy cannot infer a lambda with a default argument
            Receiver(f"{name} on {n}", lambda server=server: server.port,  # type: ignore[misc]
                     members[name],
                     conversation_4b.pk)
            for n, server in enumerate(servers)
            for name in ("parent", "teacher")
        ]
        sender = Sender(lambda: servers[0].port, members["teacher"], conversation_4b.pk, TOTAL)

        acked_while_down: list[int] = []

        async def redis_restart() -> None:
            await asyncio.to_thread(stop_redis, port)
            # Sends go on while Redis is away: they are stored and acknowledged, but their
            # events cannot be published. Wait for some before bringing Redis back.
            down_at = len(sender.acked)
            await sender.wait_for_acks(min(down_at + 20, TOTAL))
            acked_while_down.append(len(sender.acked) - down_at)
            await asyncio.to_thread(start_redis, port)

        run_id = redis_run_id(port)
        asyncio.run(run_stream(sender, receivers, redis_restart))
        assert redis_run_id(port) != run_id  # it really was restarted

    assert_nothing_lost(conversation_4b, sender, receivers)
    assert acked_while_down and acked_while_down[0] > 0
    # The sockets themselves never dropped: the hubs resynced them from the database.
    assert all(r.connections == 1 for r in receivers)


@needs_redis
def test_a_message_sent_through_one_process_reaches_sockets_on_the_other(
        transactional_db: None, conversation_4b: Conversation, conversation_5a: Conversation, teacher: User,
        parent: User, parent_5a: User, tmp_path: Path) -> None:
    require_service("Redis", *redis_address())
    teacher_session, parent_session = session_cookie(teacher), session_cookie(parent)
    outsider_session = session_cookie(parent_5a)

    async def scenario(first: Server, second: Server) -> tuple[dict, dict, list[dict]]:
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
