"""A PostgreSQL restart under connected clients costs no message and leaves no one waiting.

The test's own PostgreSQL cluster (tests/fault/postgres.py; the shared one is never
restarted) serves one daphne process. A teacher and a parent are connected to one class
conversation; the teacher sends, PostgreSQL restarts (``-m fast``, as an administrator's
restart, and ``-m immediate``, as a crash), and the teacher sends again on the same socket.
The send after the restart is acknowledged within 5 seconds, either at once (the server
replaced the broken connection and tried again) or after an ``unavailable`` refusal that the
client answers by sending the same ``client_id`` again, as the browser does. Every message is
stored once and shown to the parent once, in order.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.fault.chat_client import Receiver, open_socket, wait_until
from tests.fault.postgres import PrivatePostgres, private_postgres
from tests.live import ROOT, Server, free_port, server_env

ACK_WITHIN = 5.0  # seconds, the bound for the send after the restart
BEFORE, AFTER = 3, 5  # messages sent before and after the restart


def set_up_school(cluster: PrivatePostgres) -> dict[str, Any]:
    env = server_env({"DATABASE_URL": cluster.url})
    result = subprocess.run([sys.executable, "-m", "tests.fault.private_school"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    people: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return people


class Teacher:
    """Sends on one socket and resends a refused (``unavailable``) send with its client_id."""

    def __init__(self, socket: Any, conversation: int) -> None:
        self.socket = socket
        self.conversation = conversation
        self.sent: list[str] = []
        self.acked: dict[str, tuple[int, int]] = {}
        self.refusals: list[dict[str, Any]] = []
        self.waits: list[float] = []

    async def send(self, body: str) -> float:
        client_id = str(uuid.uuid4())
        self.sent.append(client_id)
        frame = json.dumps({"type": "send", "conversation": self.conversation,
                            "client_id": client_id, "body": body})
        started = time.monotonic()
        await self.socket.send(frame)
        while True:
            # Bounded: a send the server never answers fails the test here.
            event = json.loads(await asyncio.wait_for(self.socket.recv(), timeout=30))
            if event.get("type") == "ack" and event.get("client_id") == client_id:
                self.acked[client_id] = (event["id"], event["seq"])
                break
            if event.get("type") == "error" and event.get("client_id") == client_id:
                self.refusals.append(event)
                assert event["code"] == "unavailable", event
                await asyncio.sleep(float(event.get("retry_after", 1)))
                await self.socket.send(frame)
        waited = time.monotonic() - started
        self.waits.append(waited)
        return waited


def stored_messages(cluster: PrivatePostgres, conversation: int) -> list[tuple[str, int, int]]:
    with psycopg.connect(f"host=127.0.0.1 port={cluster.port} user=postgres "
                         f"dbname=schoolchat") as db:
        rows = db.execute("SELECT client_id, id, seq FROM messaging_message "
                          "WHERE conversation_id = %s ORDER BY seq", [conversation]).fetchall()
    return [(str(client_id), pk, seq) for client_id, pk, seq in rows]


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_a_send_after_a_postgresql_restart_is_acked_within_5_s_and_stored_once(
        mode: str, tmp_path: Path) -> None:
    with private_postgres() as cluster:
        people = set_up_school(cluster)
        conversation = people["conversation"]
        server = Server(free_port(), server_env({"DATABASE_URL": cluster.url}),
                        tmp_path / "daphne.log").start()
        try:
            teacher, parent = asyncio.run(
                scenario(cluster, server, people, conversation, mode))
        finally:
            server.stop()
        stored = stored_messages(cluster, conversation)

    after_restart = teacher.waits[BEFORE]
    print(f"\nPostgreSQL restart -m {mode}: sent {len(teacher.sent)}, acked {len(teacher.acked)}, "
          f"stored {len(stored)}, delivered to the parent {len(parent.seqs)}; "
          f"refused as unavailable {len(teacher.refusals)}; first send after the restart acked "
          f"in {after_restart:.2f} s; longest wait {max(teacher.waits):.2f} s")
    assert after_restart <= ACK_WITHIN, f"the send after the restart waited {after_restart:.2f} s"
    assert len(teacher.acked) == len(teacher.sent) == BEFORE + AFTER
    assert [client_id for client_id, _pk, _seq in stored] == teacher.sent, "lost or doubled"
    assert {c: (pk, seq) for c, pk, seq in stored} == teacher.acked
    # The parent saw every message once, in order, without reloading.
    assert parent.seqs == [seq for _c, _pk, seq in stored]
    assert not parent.refusals


async def scenario(cluster: PrivatePostgres, server: Server, people: dict[str, Any],
                   conversation: int, mode: str) -> tuple[Teacher, Receiver]:
    parent = Receiver("parent", lambda: server.port, people["parent"], conversation)
    listening = asyncio.create_task(parent.run())
    socket, _hello = await open_socket(server.port, people["teacher"])
    try:
        await asyncio.wait_for(parent.subscribed.wait(), timeout=20)
        teacher = Teacher(socket, conversation)
        for n in range(BEFORE):
            await teacher.send(f"before {n + 1}")
        await asyncio.to_thread(cluster.restart, mode)
        for n in range(AFTER):
            await teacher.send(f"after {n + 1}")
        await wait_until(lambda: len(parent.seqs) >= BEFORE + AFTER, 30,
                         "the parent to be shown every message")
        await asyncio.sleep(0.3)  # a late duplicate would show up
        return teacher, parent
    finally:
        await socket.close()
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)
