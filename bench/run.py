"""`make bench`: Schoolchat's real-time path against a floor and a stock Channels server.

In one run on this machine, with PostgreSQL and Redis in use:

1. Fan-out latency. N sockets, logged in as real members of one conversation, subscribe; one
   sender posts at a fixed rate (open loop); every delivery's latency (send to receipt, one
   clock: the load generator is one process) is recorded. Each member's socket sends the
   heartbeat an open, visible page sends (after subscribing, then every 12 s). N=30 and
   N=200 at 20 msg/s, against Schoolchat (auth, permission check, persist, archive, publish
   through Redis), the floor (bench/floor_server.py: raw ``websockets`` broadcast) and a stock
   Channels ``group_send`` consumer on channels_redis (bench/stock_channels/). The servers run
   side by side and take turns in ROUNDS rounds (:func:`turns`), so a change in the machine's
   load falls on all.
   Then one staff announcement at a time (2 a second) to 1,000 members' sockets, against the
   floor, in turns too (``announce``; not in quick runs).
2. Cross-process fan-out: the same 200 members and sender through deploy/nginx.conf (TLS, run
   as tests/proxy.py runs it) spread over two daphne processes, so each message reaches half
   of them through Redis; for comparison, the same nginx in front of one daphne, and the two
   processes without nginx (members dealt out to their ports). The figure is the p99 over two
   processes behind nginx against the single process of phase 1
   (``crossprocess_fanout_p99_ratio``). Needs Redis and nginx: skipped, saying why, without.
3. Persisted messages per second: senders post as fast as acks come back, with 30 members'
   sockets subscribed; every ack means a committed message. Compared with a plain psycopg loop
   inserting and committing the same rows (seq bump, message row, event-log row) one
   transaction per message; the two take turns in ROUNDS rounds.
4. Memory per idle socket: the RSS growth of one server process when 2,000 logged-in sockets
   (10 tabs each for 200 members) connect and subscribe, divided by 2,000.
5. Scale on one process (``idle10k``): 10,000 sockets of the 200 members (up to 60 tabs each
   for this phase) connect to one daphne and subscribe; for 60 s nothing is sent either way,
   then for 60 s each sends the page's heartbeat every 12 s. For each window: daphne's CPU
   (percent of one core, from /proc) and the Redis commands it sent per second (counted by
   ``MONITOR`` by its connections' addresses, since the Redis server may be shared):
   ``idle10k_cpu_pct``, ``idle10k_redis_ops`` and the ``idle10k_heartbeat_*`` pair. The
   bench raises its file-descriptor limit for it (``raise_fd_limit``).
6. Push: one announcement to 1,000 subscribed devices (5 each for the 200 parents), sent by one
   Celery worker through the push tasks to a local RFC 8030 push service, against a plain loop
   of the same 1,000 POSTs (bench/push.py).

The bench makes its own database (``<name>_bench`` for DATABASE_URL's database ``<name>``,
``schoolchat_bench`` without one; dropped and re-created), migrates it and creates the school,
members, sessions and conversations through the real actions. It never reads or writes the
user's own database or Redis database (:func:`services`), and its set-up and every process it
starts run with one settings environment (:func:`schoolchat_env`), whatever SECRET_KEY,
DATABASE_URL and REDIS_URL hold.

Environment: ``BENCH_BASELINE=<another checkout>`` adds that checkout's Schoolchat server to
the fan-out and persist turns (the code before a change against the code after it, in one run;
it prints ``*_to_baseline`` ratios after the others); ``BENCH_QUICK=1`` for a short run
(seconds per phase, N=200 only, no stock Channels server, no announcement, 300 idle sockets,
100 devices; ``make bench-quick`` runs its fan-out and persist phases, the guard on every
change to the send path);
``BENCH_PHASES`` to run only some phases (comma-separated, of ``fanout``, ``announce``,
``crossprocess``, ``persist``, ``idle``, ``idle10k``, ``push``; default all); ``DATABASE_URL`` and
``REDIS_URL`` say which servers to use (see :func:`services`), ``BENCH_DATABASE_URL`` (a server,
default DATABASE_URL's or postgres://postgres@127.0.0.1:5432) and ``BENCH_REDIS_URL`` (used as
given) override them. ``--check``: only the set-up and one page and one send as a member, for
the tests. Results also go to var/bench/.
The run ends with its ratios, one ``name=value`` a line (:data:`RATIO_LINES`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import resource
import shutil
import socket
import ssl as ssl_module
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from websockets.exceptions import InvalidHandshake  # noqa: E402

from bench import push as push_bench  # noqa: E402  (after the path above)

QUICK = os.environ.get("BENCH_QUICK", "") not in {"", "0", "false"}
# Another checkout of Schoolchat (the code before a change; the same migrations) whose server
# takes its turns beside this one's in the fan-out and persist phases.
BASELINE = os.environ.get("BENCH_BASELINE", "")
DEFAULT_PG_SERVER = "postgres://postgres@127.0.0.1:5432"
DEFAULT_DB_NAME = "schoolchat"
# Redis database numbers the bench takes on the Redis server of REDIS_URL: its own, so that
# neither the bench's Celery worker nor the user's takes the other's jobs.
BENCH_REDIS_DATABASES = (15, 14)


@dataclass(frozen=True)
class Services:
    """Where the bench keeps its data: never the database or Redis database of the user."""

    maintenance_url: str  # the PostgreSQL server's "postgres" database, to drop and create in
    database_url: str  # the bench's own database (dropped and re-created by every run)
    database_name: str
    redis_url: str  # "" without Redis: Schoolchat on its in-process hub, one process

    @property
    def redis(self) -> bool:
        return bool(self.redis_url)


def _with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def services(environ: Mapping[str, str]) -> Services:
    """The bench's database and Redis, from the environment it was started with.

    PostgreSQL: the server of ``BENCH_DATABASE_URL`` (a server address, no database), else the
    one of ``DATABASE_URL`` when that is PostgreSQL, else the local default; the database is
    ``<name of DATABASE_URL's database>_bench`` (``schoolchat_bench`` without one). Redis: exactly
    ``BENCH_REDIS_URL`` when set, else database 15 (14 when the user's is 15) of the server of
    ``REDIS_URL``; neither set: no Redis.
    """
    user_db = environ.get("DATABASE_URL", "")
    user_pg = urlsplit(user_db).scheme in {"postgres", "postgresql", "pgsql"}
    server = environ.get("BENCH_DATABASE_URL", "").rstrip("/")
    if not server:
        server = _with_path(user_db, "") if user_pg else DEFAULT_PG_SERVER
    user_name = unquote(urlsplit(user_db).path.lstrip("/")) if user_pg else ""
    name = f"{user_name or DEFAULT_DB_NAME}_bench"
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise SystemExit(f"the bench's database would be {name!r}: DATABASE_URL's database name"
                         " must be lower-case letters, digits and _")
    if user_pg and name == user_name:
        raise SystemExit("the bench never uses DATABASE_URL's own database")
    redis_url = environ.get("BENCH_REDIS_URL", "")
    user_redis = environ.get("REDIS_URL", "")
    if not redis_url and user_redis:
        parts = urlsplit(user_redis)
        taken = parts.path.strip("/") or "0"
        number = next(n for n in BENCH_REDIS_DATABASES if str(n) != taken)
        redis_url = _with_path(user_redis, f"/{number}")
    return Services(maintenance_url=_with_path(server, "/postgres"),
                    database_url=_with_path(server, f"/{name}"), database_name=name,
                    redis_url=redis_url)


SERVICES = services(os.environ)
DB_NAME = SERVICES.database_name
DATABASE_URL = SERVICES.database_url
REDIS_URL = SERVICES.redis_url
PREFIX = f"bench-{uuid.uuid4().hex[:8]}:"
OUT = ROOT / "var" / "bench"

RATE = 20  # messages per second in the fan-out phases
FANOUT_SECONDS = 6 if QUICK else 12
THROUGHPUT_SECONDS = 6 if QUICK else 10
# Schoolchat and its references take turns in this many rounds of a share of each phase's
# length (fresh sockets every round), so a change in the machine's load falls on all of them.
ROUNDS = 4
SETTLE_SECONDS = 0.5 if QUICK else 1.0  # a pause after each turn
# One staff announcement at a time to this many members' sockets (not in quick runs).
ANNOUNCE_MEMBERS = 1000
ANNOUNCE_RATE = 2  # announcements per second
ANNOUNCE_SECONDS = 8
IDLE_SOCKETS = 300 if QUICK else 2000
# Scale on one process: this many connected, subscribed, idle sockets on one daphne for
# IDLE10K_SECONDS, its CPU and the Redis commands it sends measured (``idle10k``).
IDLE10K_SOCKETS = 1000 if QUICK else 10_000
IDLE10K_SECONDS = 15 if QUICK else 60
IDLE10K_TABS = 60  # sockets per member in that phase (SCHOOLCHAT_SOCKETS_PER_PERSON)
TABS_PER_MEMBER = 10
MEMBERS = 200
SENDER_SOCKETS = 4
SENDER_WINDOW = 8
HUGE_SEQ = 10**15  # "after the newest": the server clamps it to the conversation's head
HEARTBEAT_SECONDS = 12  # the page's heartbeat (SCHOOLCHAT_SOCKET_HEARTBEAT_SECONDS)
PING = json.dumps({"type": "ping", "visible": True, "endpoint": ""})

PUSH_DEVICES = 100 if QUICK else 1000
PHASES = ("fanout", "announce", "crossprocess", "persist", "idle", "idle10k", "push")
QUICK_SKIPS = frozenset({"announce"})  # too long for a quick run


def chosen_phases(environ: Mapping[str, str], quick: bool) -> set[str]:
    """BENCH_PHASES, or every phase (less those too long for a quick run)."""
    named = {p.strip() for p in environ.get("BENCH_PHASES", "").split(",") if p.strip()}
    return named or (set(PHASES) - QUICK_SKIPS if quick else set(PHASES))


CHOSEN = chosen_phases(os.environ, QUICK)

TARGET_P99_RATIO = 1.5
TARGET_CROSSPROCESS_RATIO = 1.5
TARGET_PERSIST_FRACTION = 1 / 3
TARGET_PERSIST_RATE = 500
TARGET_SOCKET_KB = 60
TARGET_IDLE_RATIO = 2.0
TARGET_IDLE10K_CPU_PCT = 10.0  # 10,000 idle sockets on one daphne, percent of one core


def log(text: str) -> None:
    print(text, flush=True)


# --- servers --------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# Variables of the user's environment that would change what the bench measures or where it
# writes; every process the bench starts, and its own set-up, run without them.
USER_SETTINGS = ("SECRET_KEY", "DEBUG", "DATABASE_URL", "SQLITE_PATH", "REDIS_URL", "ALLOWED_HOSTS",
                 "CSRF_TRUSTED_ORIGINS", "PROMETHEUS_MULTIPROC_DIR", "DJANGO_SETTINGS_MODULE",
                 "CELERY_TASK_ALWAYS_EAGER", "EMAIL_BACKEND", "EMAIL_HOST", "MEDIA_ROOT")
USER_SETTING_PREFIXES = ("SCHOOLCHAT_", "SECURE_", "AXES_")


def base_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a process the bench starts, without the user's settings."""
    source = os.environ if environ is None else environ
    env = {k: v for k, v in source.items()
           if k not in USER_SETTINGS and not k.startswith(USER_SETTING_PREFIXES)}
    env.update({"PYTHONUNBUFFERED": "1", "LOG_LEVEL": "WARNING"})
    return env


def schoolchat_env(environ: Mapping[str, str] | None = None,
                   bench: Services | None = None) -> dict[str, str]:
    """The settings environment of Schoolchat in the bench: the servers it starts, its Celery
    worker and its own in-process set-up (sessions, the school) all run with exactly this, so
    what the set-up signs (sessions, with the development SECRET_KEY) the servers accept,
    whatever SECRET_KEY, DATABASE_URL or REDIS_URL the user's shell holds."""
    bench = SERVICES if bench is None else bench
    env = base_env(environ)
    env.update({"DJANGO_SETTINGS_MODULE": "schoolchat.settings", "DATABASE_URL": bench.database_url,
                "SCHOOLCHAT_REDIS_PREFIX": PREFIX, "DEBUG": "false",
                "MEDIA_ROOT": str(OUT / "media"), "SCHOOLCHAT_CELERY_DIR": str(OUT / "celery"),
                "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"})
    if bench.redis:
        env["REDIS_URL"] = bench.redis_url
    return env


def use_env(env: Mapping[str, str]) -> None:
    """Make ``env`` this process's whole environment (before Django is set up here)."""
    os.environ.clear()
    os.environ.update(env)


@dataclass
class Server:
    name: str
    command: list[str]
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    cwd: Path = ROOT  # the checkout whose code it runs

    def start(self) -> Server:
        OUT.mkdir(parents=True, exist_ok=True)
        logfile = (OUT / f"{self.name}.log").open("ab")
        command = [arg.replace("{port}", str(self.port)) for arg in self.command]
        self.process = subprocess.Popen(command, cwd=self.cwd, env=self.env, stdout=logfile,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early; see {OUT / self.name}.log")
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not listen on port {self.port}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def rss_kb(self) -> int:
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return next(int(line.split()[1]) for line in status.splitlines()
                    if line.startswith("VmRSS:"))


@contextlib.contextmanager
def running(server: Server) -> Iterator[Server]:
    server.start()
    try:
        yield server
    finally:
        server.stop()


def schoolchat_server(name: str = "schoolchat", extra: dict[str, str] | None = None,
                      cwd: Path = ROOT) -> Server:
    return Server(name, [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p",
                         "{port}", "schoolchat.asgi:application"],
                  {**schoolchat_env(), **(extra or {})}, cwd=cwd)


def baseline_server() -> Server:
    """Schoolchat as another checkout has it (BENCH_BASELINE), beside this one's, on the same
    database: before and after a change, measured in turns in one run."""
    return schoolchat_server("baseline", cwd=Path(BASELINE))


def floor_server() -> Server:
    return Server("floor", [sys.executable, str(ROOT / "bench" / "floor_server.py"), "--port",
                            "{port}"], base_env())


def stock_server() -> Server:
    env = base_env()
    env.update({"DJANGO_SETTINGS_MODULE": "bench.stock_channels.settings", "REDIS_URL": REDIS_URL,
                "BENCH_CHANNELS_PREFIX": PREFIX + "asgi"})
    return Server("stock_channels", [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p",
                                     "{port}", "bench.stock_channels.asgi:application"], env)


# --- the database and the school ------------------------------------------------------------

@dataclass
class School:
    sender: str  # session key of the teacher who posts
    members: list[str]  # session keys of the parents, in order (200, or 1,000 to announce to)
    conversation_30: int
    conversation_200: int
    announcements: int | None = None  # the teacher's channel to every parent (announce phase)


def create_database() -> None:
    import psycopg

    with psycopg.connect(SERVICES.maintenance_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT,
                   env=schoolchat_env(), check=True)


def create_school() -> School:
    """Users, memberships and sessions, through the same actions the app uses."""
    use_env(schoolchat_env())
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.models import Role, User
    from accounts.models import School as SchoolModel
    from messaging.actions import membership
    from messaging.models import Conversation

    # The bench measures the real path's capacity, so the posting limit is lifted (its check
    # still runs on every batch).
    school = SchoolModel.objects.create(name="Bench Primary", slug="bench-primary",
                                        require_staff_2fa=False, post_burst=32767,
                                        posts_per_minute=32767)
    password = make_password(uuid.uuid4().hex)
    admin = User.objects.create(username="bench-admin", role=Role.ADMIN, school=school,
                                display_name="Office", password=password)
    teacher = User.objects.create(username="bench-teacher", role=Role.TEACHER, school=school,
                                  display_name="Ms Bench", password=password)
    announcing = "announce" in CHOSEN
    parents = User.objects.bulk_create([
        User(username=f"bench-parent-{n:04d}", role=Role.PARENT, school=school,
             display_name=f"Parent {n}", password=password)
        for n in range(ANNOUNCE_MEMBERS if announcing else MEMBERS)
    ])
    conversations = {}
    for size in (30, MEMBERS):
        conversation = Conversation.objects.create(
            school=school, kind=Conversation.Kind.GROUP, title=f"Bench group of {size}")
        membership.add_member(conversation, teacher, actor=admin, manager=True)
        for parent in parents[:size]:
            membership.add_member(conversation, parent, actor=admin)
        conversations[size] = conversation.pk
    if announcing:
        channel = Conversation.objects.create(
            school=school, kind=Conversation.Kind.ANNOUNCEMENT, title="Bench announcements")
        membership.add_member(channel, teacher, actor=admin, manager=True)
        for parent in parents:
            membership.add_member(channel, parent, actor=admin)
        conversations[ANNOUNCE_MEMBERS] = channel.pk

    def session(user: Any) -> str:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        return str(store.session_key)

    return School(sender=session(teacher), members=[session(p) for p in parents],
                  conversation_30=conversations[30], conversation_200=conversations[MEMBERS],
                  announcements=conversations.get(ANNOUNCE_MEMBERS))


# --- the load generator ---------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """Where the load generator's sockets connect: a daphne port, or nginx in front of some."""

    url: str
    origin: str
    ssl: ssl_module.SSLContext | None = None


def direct(port: int) -> Target:
    return Target(f"ws://127.0.0.1:{port}/ws/", f"http://127.0.0.1:{port}")


def _target(where: int | Target) -> Target:
    return direct(where) if isinstance(where, int) else where


async def open_socket(where: int | Target, sessionid: str | None) -> Any:
    from websockets.asyncio.client import connect

    target = _target(where)
    headers = {"Cookie": f"sessionid={sessionid}"} if sessionid else {}
    ws = await connect(target.url, origin=target.origin,  # type: ignore[arg-type]
                       additional_headers=headers, open_timeout=60, ping_interval=None,
                       max_queue=None, compression=None, ssl=target.ssl)
    hello = json.loads(await asyncio.wait_for(ws.recv(), 60))
    if hello.get("type") != "hello":
        raise RuntimeError(f"expected hello, got {hello}")
    return ws


async def subscribe(ws: Any, conversation: int) -> None:
    await ws.send(json.dumps({"type": "subscribe", "conversation": conversation,
                              "after_seq": HUGE_SEQ}))
    while True:
        event = json.loads(await asyncio.wait_for(ws.recv(), 60))
        if event.get("type") == "subscribed":
            return
        if event.get("type") == "error":
            raise RuntimeError(f"subscribe refused: {event}")


Where = int | Target | list[Target]


def _first(where: Where) -> int | Target:
    return where[0] if isinstance(where, list) else where


OPEN_ATTEMPTS = 4


async def open_members(where: Where, sessions: list[str], conversation: int) -> list[Any]:
    """Each session's socket, subscribed; over a list of targets, dealt out in turn."""
    gate = asyncio.Semaphore(50)
    targets = where if isinstance(where, list) else [where]

    async def one(n: int, sessionid: str) -> Any:
        async with gate:
            for attempt in range(OPEN_ATTEMPTS):
                try:
                    ws = await open_socket(targets[n % len(targets)], sessionid)
                    break
                except (OSError, TimeoutError, InvalidHandshake):
                    # daphne drops a handshake it could not finish in 5 s (a busy machine):
                    # the page would reconnect, and so does the bench.
                    if attempt == OPEN_ATTEMPTS - 1:
                        raise
                    await asyncio.sleep(1 + attempt)
            await subscribe(ws, conversation)
            return ws

    return list(await asyncio.gather(*(one(n, s) for n, s in enumerate(sessions))))


def send_frame(conversation: int, client_id: str, body: str) -> str:
    # confirm: the sender has seen "this goes to N people" (the group is above the threshold).
    return json.dumps({"type": "send", "conversation": conversation, "client_id": client_id,
                       "body": body, "confirm": True})


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


@dataclass
class FanoutRun:
    """The raw figures of one or more fan-out runs (milliseconds)."""

    members: int
    messages: int = 0
    expected: int = 0
    acks: int = 0
    latencies: list[float] = field(default_factory=list)
    ack_latencies: list[float] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    rounds_p99: list[float] = field(default_factory=list)  # each added run's own p99

    def add(self, other: FanoutRun) -> None:
        if other.latencies:
            self.rounds_p99.append(round(percentile(other.latencies, 0.99), 1))
        self.messages += other.messages
        self.expected += other.expected
        self.acks += other.acks
        self.latencies += other.latencies
        self.ack_latencies += other.ack_latencies
        self.extra = self.extra or other.extra

    def row(self) -> dict[str, Any]:
        ms, ack_ms = self.latencies, self.ack_latencies
        return {**self.extra, "members": self.members, "messages": self.messages,
                "deliveries": len(ms), "expected": self.expected, "acks": self.acks,
                # send -> ack: for Schoolchat, the time to check, persist, archive and commit
                "ack_p50_ms": round(percentile(ack_ms, 0.50), 1) if ack_ms else None,
                "ack_p99_ms": round(percentile(ack_ms, 0.99), 1) if ack_ms else None,
                "p50_ms": round(percentile(ms, 0.50), 1) if ms else None,
                "p99_ms": round(percentile(ms, 0.99), 1) if ms else None,
                "max_ms": round(max(ms), 1) if ms else None,
                "mean_ms": round(statistics.fmean(ms), 1) if ms else None,
                **({"rounds_p99_ms": self.rounds_p99} if self.rounds_p99 else {})}


async def fanout_run(port: Where, school: School, members: int, conversation: int,
                     seconds: float = FANOUT_SECONDS,
                     opened: Callable[[], Awaitable[dict[str, Any]]] | None = None,
                     rate: float = RATE) -> FanoutRun:
    """One sender at ``rate`` msg/s for ``seconds`` after a second's warm-up, ``members``
    sockets receiving; the latency of every delivery. Over a list of targets the members are
    dealt out in turn and the sender is on the first. ``opened``, called once every socket is
    open, adds its figures to the row."""
    sockets = await open_members(port, school.members[:members], conversation)
    sender = await open_socket(_first(port), school.sender)
    extra = await opened() if opened is not None else {}
    sent_at: dict[str, float] = {}
    measured: set[str] = set()
    latencies: list[float] = []
    ack_latencies: list[float] = []
    acks = 0
    errors: list[dict[str, Any]] = []

    async def receive(ws: Any) -> None:
        with contextlib.suppress(Exception):
            async for raw in ws:
                now = time.perf_counter()
                event = json.loads(raw)
                client_id = event.get("client_id")
                if event.get("type") == "message" and client_id in measured:
                    latencies.append(now - sent_at[client_id])

    async def read_acks() -> None:
        nonlocal acks
        with contextlib.suppress(Exception):
            async for raw in sender:
                event = json.loads(raw)
                if event.get("type") == "ack":
                    acks += 1
                    if event.get("client_id") in measured:
                        ack_latencies.append(time.perf_counter() - sent_at[event["client_id"]])
                elif event.get("type") == "error":
                    errors.append(event)

    async def heartbeat(ws: Any, n: int) -> None:
        """What a member's open page sends: a heartbeat (visible, no push subscription) after
        subscribing and every HEARTBEAT_SECONDS, the members' beats spread over the interval."""
        with contextlib.suppress(Exception):
            await ws.send(PING)
            await asyncio.sleep(HEARTBEAT_SECONDS * n / max(len(sockets), 1))
            while True:
                await ws.send(PING)
                await asyncio.sleep(HEARTBEAT_SECONDS)

    readers = [asyncio.create_task(receive(ws)) for ws in sockets]
    beats = [asyncio.create_task(heartbeat(ws, n)) for n, ws in enumerate(sockets)]
    ack_reader = asyncio.create_task(read_acks())
    warmup = max(1, round(rate))
    total = warmup + round(rate * seconds)
    start = time.perf_counter()
    for n in range(total):
        delay = start + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        client_id = str(uuid.uuid4())
        sent_at[client_id] = time.perf_counter()
        if n >= warmup:
            measured.add(client_id)
        await sender.send(send_frame(conversation, client_id, f"bench message {n}"))
    expected = len(measured) * members
    deadline = time.perf_counter() + 10
    while len(latencies) < expected and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    for task in beats:
        task.cancel()
    for ws in [*sockets, sender]:
        await ws.close()
    for task in [*readers, ack_reader]:
        task.cancel()
    await asyncio.gather(*readers, *beats, ack_reader, return_exceptions=True)
    if errors:
        raise RuntimeError(f"the server refused sends: {errors[:3]}")
    return FanoutRun(members=members, messages=len(measured), expected=expected, acks=acks,
                     latencies=[1000 * v for v in latencies],
                     ack_latencies=[1000 * v for v in ack_latencies], extra=extra)


def turns(keys: list[str], rounds: int) -> list[list[str]]:
    """The order of each round: every key once a round, each round starting one further on,
    so that no server is always measured first (on a warmer machine) or last."""
    return [keys[n % len(keys):] + keys[:n % len(keys)] for n in range(rounds)] if keys else []


async def fanout_in_turns(ports: dict[str, Where], school: School, members: int,
                          conversation: int, seconds: float = FANOUT_SECONDS,
                          rate: float = RATE) -> dict[str, FanoutRun]:
    """:func:`fanout_run` against each server in ``ports`` (name -> where), in ROUNDS rounds
    that take turns, pooled per server."""
    pooled = {name: FanoutRun(members=members) for name in ports}
    for where in ports.values():
        # Not measured: a freshly started server's first messages fill its caches and pools.
        await fanout_run(where, school, members, conversation, seconds=1, rate=rate)
    for order in turns(list(ports), ROUNDS):
        for name in order:
            pooled[name].add(await fanout_run(ports[name], school, members, conversation,
                                              seconds=seconds / ROUNDS, rate=rate))
            # What a server still has in hand after its turn (the stock server's backlog,
            # sockets closing) is not charged to the next one.
            await asyncio.sleep(SETTLE_SECONDS)
    return pooled


async def persisted_rate(port: int, school: School, conversation: int,
                         seconds: float = THROUGHPUT_SECONDS) -> dict[str, Any]:
    """Senders post as fast as acks return (a window each) while 30 members receive."""
    sockets = await open_members(port, school.members[:30], conversation)
    senders = [await open_socket(port, school.sender) for _ in range(SENDER_SOCKETS)]
    acked: list[float] = []
    stop = asyncio.Event()
    received = 0

    async def receive(ws: Any) -> None:
        nonlocal received
        with contextlib.suppress(Exception):
            async for _raw in ws:
                received += 1

    async def post(ws: Any) -> None:
        in_flight = 0
        number = 0
        while not stop.is_set():
            while in_flight < SENDER_WINDOW:
                number += 1
                await ws.send(send_frame(conversation, str(uuid.uuid4()), f"load {number}"))
                in_flight += 1
            event = json.loads(await ws.recv())
            if event.get("type") == "ack":
                in_flight -= 1
                acked.append(time.perf_counter())
            elif event.get("type") == "error":
                raise RuntimeError(f"the server refused a send: {event}")

    readers = [asyncio.create_task(receive(ws)) for ws in sockets]
    posters = [asyncio.create_task(post(ws)) for ws in senders]
    warmup = 1.0
    start = time.perf_counter()
    await asyncio.sleep(warmup + seconds)
    stop.set()
    end = time.perf_counter()
    for task in posters:
        task.cancel()
    for ws in [*sockets, *senders]:
        await ws.close()
    for task in readers:
        task.cancel()
    results = await asyncio.gather(*posters, *readers, return_exceptions=True)
    failures = [r for r in results if isinstance(r, Exception)
                and not isinstance(r, asyncio.CancelledError)]
    if failures:
        raise RuntimeError(f"posting failed: {failures[0]!r}")
    in_window = [t for t in acked if start + warmup <= t <= end]
    return {"members": 30, "seconds": round(end - start - warmup, 3), "acked": len(acked),
            "messages": len(in_window),
            "per_second": round(len(in_window) / (end - start - warmup), 1),
            "deliveries": received}


def psycopg_rate(conversation: int, seconds: float = THROUGHPUT_SECONDS) -> dict[str, Any]:
    """A plain psycopg loop writing what one message writes: the conversation's seq bump, the
    message row and its event-log row, one committed transaction per message."""
    import psycopg

    def template(cur: Any, table: str, where: str, params: tuple[Any, ...]) -> dict[str, Any]:
        cur.execute(f"SELECT * FROM {table} WHERE {where} ORDER BY id DESC LIMIT 1", params)
        row = cur.fetchone()
        if row is None:
            raise RuntimeError(f"no {table} row to copy")
        return {d.name: value for d, value in zip(cur.description, row, strict=True)
                if d.name != "id"}

    with psycopg.connect(DATABASE_URL) as conn, conn.cursor() as cur:
        message = template(cur, "messaging_message", "conversation_id = %s", (conversation,))
        cur.execute("SELECT to_regclass('messaging_event') IS NOT NULL")
        has_events = bool(cur.fetchone()[0])  # type: ignore[index]
        event = (template(cur, "messaging_event", "conversation_id = %s AND message_id IS NOT NULL",
                          (conversation,)) if has_events else None)
        conn.commit()
        from psycopg.types.json import Jsonb

        def insert(table: str, row: dict[str, Any]) -> int:
            columns = ", ".join(row)
            marks = ", ".join(["%s"] * len(row))
            values = [Jsonb(v) if isinstance(v, dict | list) else v for v in row.values()]
            cur.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING id", values)
            return int(cur.fetchone()[0])  # type: ignore[index]

        count = 0
        durations: list[float] = []
        start = time.perf_counter()
        end = start + seconds
        while (began := time.perf_counter()) < end:
            cur.execute("UPDATE messaging_conversation SET last_seq = last_seq + 1 WHERE id = %s "
                        "RETURNING last_seq", (conversation,))
            seq = int(cur.fetchone()[0])  # type: ignore[index]
            message_id = insert("messaging_message",
                                {**message, "seq": seq, "client_id": uuid.uuid4(),
                                 "body": f"plain {count}"})
            if event is not None:
                insert("messaging_event", {**event, "seq": seq, "message_id": message_id})
            conn.commit()
            durations.append(1000 * (time.perf_counter() - began))
            count += 1
        elapsed = time.perf_counter() - start
    # The spread of one plain transaction shows how steady the machine's disk was meanwhile.
    return {"rows_per_message": 3 if has_events else 2, "messages": count,
            "seconds": round(elapsed, 3), "per_second": round(count / elapsed, 1),
            "durations_ms": durations,
            "commit_p50_ms": round(percentile(durations, 0.5), 2),
            "commit_p99_ms": round(percentile(durations, 0.99), 2),
            "commit_max_ms": round(max(durations), 2)}


def pool_rates(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Rounds of one rate measurement as one: every message over every measured second, and
    each round's own rate (a round's rate beside the others' shows how steady the machine was);
    the other figures of the first round, and the commit times of all (the plain loop's)."""
    if not rows:
        raise ValueError("no rounds to pool")
    messages = sum(int(row["messages"]) for row in rows)
    seconds = sum(float(row["seconds"]) for row in rows)
    pooled = {k: v for k, v in rows[0].items() if k != "durations_ms"}
    pooled.update({"messages": messages, "seconds": round(seconds, 3),
                   "per_second": round(messages / seconds, 1) if seconds else None,
                   "rounds_per_second": [row["per_second"] for row in rows]})
    durations = [d for row in rows for d in row.get("durations_ms", ())]
    if durations:
        pooled.update({"commit_p50_ms": round(percentile(durations, 0.5), 2),
                       "commit_p99_ms": round(percentile(durations, 0.99), 2),
                       "commit_max_ms": round(max(durations), 2)})
    return pooled


async def idle_memory(server: Server, school: School | None, conversation: int,
                      count: int) -> dict[str, Any]:
    """RSS growth of the server process per idle, subscribed socket."""
    sessions = ([school.members[n % MEMBERS] for n in range(count)] if school
                else [""] * count)
    # The warm-up socket is the sender's: the members already have 10 each, the most one
    # person may have open (SCHOOLCHAT_SOCKETS_PER_PERSON); an eleventh would close one.
    warm = await open_members(server.port, [school.sender] if school else [""], conversation)
    await asyncio.sleep(1)
    before = server.rss_kb()
    sockets = await open_members(server.port, sessions, conversation)
    await asyncio.sleep(2)
    after = server.rss_kb()
    for ws in [*warm, *sockets]:
        await ws.close()
    return {"sockets": count, "rss_before_kb": before, "rss_after_kb": after,
            "kb_per_socket": round((after - before) / count, 1)}


def sockets_open(port: int) -> int:
    """``schoolchat_sockets_open`` of one daphne process, from its own /metrics (loopback)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as answer:
        text = answer.read().decode()
    return sum(int(float(line.split()[-1])) for line in text.splitlines()
               if line.startswith("schoolchat_sockets_open"))


def crossprocess_skipped() -> str | None:
    """Why the cross-process phase cannot run here, or None."""
    from tests.proxy import find_nginx

    if not SERVICES.redis:
        return ("no REDIS_URL (or BENCH_REDIS_URL): daphne processes share events only through"
                " Redis, so there is nothing to cross between processes")
    if find_nginx() is None or shutil.which("openssl") is None:
        return "nginx or openssl is not installed (apt-get install nginx)"
    return None


CROSSPROCESS_ROUNDS = 4
SETTLE_SECONDS = 0.5 if QUICK else 1.0  # a pause after each turn


def crossprocess(school: School) -> dict[str, dict[str, Any]]:
    """Fan-out to the 200 members over one daphne process and over two, so that with two a
    message crosses processes through Redis to reach about half of them; each directly and
    through deploy/nginx.conf (TLS, as tests/proxy.py runs it; nginx deals the members' sockets
    and the sender's out over the processes; directly, the members are dealt out to the ports
    in turn and the sender is on the first). The four take turns, in ``CROSSPROCESS_ROUNDS``
    rounds of a share of FANOUT_SECONDS each (fresh sockets every round), so that a change in
    the machine's load during the phase falls on all four alike."""
    from tests.proxy import running_proxy

    # nginx passes the host on without its port: the servers trust the proxies' origins.
    https_ports = {"nginx_1": free_port(), "nginx_2": free_port()}
    trusted = {"CSRF_TRUSTED_ORIGINS": ",".join(f"https://127.0.0.1:{port}"
                                                for port in https_ports.values())}
    with contextlib.ExitStack() as stack:
        one = stack.enter_context(running(schoolchat_server("schoolchat_alone", trusted)))
        pair = [stack.enter_context(running(schoolchat_server(f"schoolchat_{n}_of_2", trusted)))
                for n in (1, 2)]

        def through(servers: list[Server], name: str) -> Target:
            proxy = stack.enter_context(running_proxy([s.port for s in servers], OUT / name,
                                                      https_ports[name]))
            return Target(proxy.ws_url, proxy.origin, proxy.ssl_context())

        setups: dict[str, tuple[Where, list[Server]]] = {
            "schoolchat_direct1_fanout200": (direct(one.port), [one]),
            "schoolchat_direct2_fanout200": ([direct(s.port) for s in pair], pair),
            "schoolchat_nginx1_fanout200": (through([one], "nginx_1"), [one]),
            "schoolchat_nginx2_fanout200": (through(pair, "nginx_2"), pair),
        }

        async def measure() -> dict[str, FanoutRun]:
            pooled = {key: FanoutRun(members=MEMBERS) for key in setups}
            for turn, order in enumerate(turns(list(setups), CROSSPROCESS_ROUNDS)):
                for key in order:
                    where, servers = setups[key]

                    async def spread(servers: list[Server] = servers) -> dict[str, Any]:
                        counts = [await asyncio.to_thread(sockets_open, s.port) for s in servers]
                        if len(servers) > 1 and min(counts) == 0:
                            raise RuntimeError(f"every socket went to one process: {counts}")
                        return {"processes": len(servers), "sockets_per_process": counts}

                    pooled[key].add(await fanout_run(
                        where, school, MEMBERS, school.conversation_200,
                        seconds=FANOUT_SECONDS / CROSSPROCESS_ROUNDS,
                        opened=spread if turn == 0 else None))
            return pooled

        return {key: run.row() for key, run in asyncio.run(measure()).items()}


# --- the run ----------------------------------------------------------------------------------

def raise_fd_limit() -> None:
    """Room for the most sockets a phase opens: the bench's end of each and the server's (the
    servers it starts inherit the limit)."""
    most = IDLE10K_SOCKETS if "idle10k" in CHOSEN else IDLE_SOCKETS
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, max(soft, most + 2000))
    if wanted > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    if wanted < most + 500:
        raise SystemExit(f"ulimit -n is {wanted} (hard limit {hard}); {most} sockets need more")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def redis_ports(pid: int) -> set[int]:
    """The local ports of a process's connections to Redis (its side of each, from /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    redis_port = urlsplit(REDIS_URL).port or 6379
    ports = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        cols = line.split()
        local, remote, inode = cols[1], cols[2], cols[9]
        if inode in inodes and int(remote.split(":")[1], 16) == redis_port:
            ports.add(int(local.split(":")[1], 16))
    return ports


class RedisCommands:
    """Counts the commands one process sends to Redis (``MONITOR``, by client address: the
    server's own counters include every other client of a shared Redis)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.count, self.stop = pid, 0, False
        parts = urlsplit(REDIS_URL)
        self.address = (parts.hostname or "127.0.0.1", parts.port or 6379)

    def run(self, seconds: float) -> None:
        ports = redis_ports(self.pid)
        pattern = re.compile(rb"\[\d+ [^ \]]*:(\d+)\]")
        with socket.create_connection(self.address, timeout=1) as conn:
            conn.sendall(b"MONITOR\r\n")
            ends, buffered = time.monotonic() + seconds, b""
            while time.monotonic() < ends:
                try:
                    chunk = conn.recv(65536)
                except TimeoutError:
                    ports = redis_ports(self.pid)  # connections come and go
                    continue
                if not chunk:
                    break
                *lines, buffered = (buffered + chunk).split(b"\n")
                for line in lines:
                    found = pattern.search(line)
                    if found and int(found.group(1)) in ports:
                        self.count += 1


async def idle_scale(server: Server, school: School, conversation: int, count: int,
                     seconds: float) -> dict[str, Any]:
    """``count`` sockets of the conversation's members on one daphne, connected and
    subscribed; then ``seconds`` with nothing sent either way, then ``seconds`` with each
    socket sending what an open page sends (the heartbeat, every HEARTBEAT_SECONDS). For
    each: the daphne process's CPU (percent of one core) and the Redis commands it sent per
    second."""
    assert server.process is not None
    pid = server.process.pid
    started = time.perf_counter()
    sockets = await open_members(server.port, [school.members[n % MEMBERS]
                                               for n in range(count)], conversation)
    opened = time.perf_counter() - started
    if sockets_open(server.port) < count:
        raise RuntimeError(f"only {sockets_open(server.port)} of {count} sockets stayed open")
    await asyncio.sleep(2)

    async def window(beating: bool) -> tuple[float, float]:
        monitor = RedisCommands(pid) if SERVICES.redis else None
        counting = (asyncio.create_task(asyncio.to_thread(monitor.run, seconds))
                    if monitor else None)
        cpu, wall = cpu_seconds(pid), time.perf_counter()
        beats: list[asyncio.Task[None]] = []
        if beating:
            async def beat(ws: Any, n: int) -> None:
                with contextlib.suppress(Exception):
                    await asyncio.sleep(HEARTBEAT_SECONDS * n / count)
                    while True:
                        await ws.send(PING)
                        await asyncio.sleep(HEARTBEAT_SECONDS)

            beats = [asyncio.create_task(beat(ws, n)) for n, ws in enumerate(sockets)]
        await asyncio.sleep(seconds)
        used, wall = cpu_seconds(pid) - cpu, time.perf_counter() - wall
        for task in beats:
            task.cancel()
        if counting is not None and monitor is not None:
            await counting
        return (round(100 * used / wall, 2),
                round(monitor.count / wall, 1) if monitor is not None else 0.0)

    cpu, redis_ops = await window(beating=False)
    beat_cpu, beat_redis_ops = await window(beating=True)
    for ws in sockets:
        await ws.close()
    return {"sockets": count, "seconds": seconds, "open_seconds": round(opened, 1),
            "cpu_pct": cpu, "redis_ops": redis_ops,
            "heartbeat_cpu_pct": beat_cpu, "heartbeat_redis_ops": beat_redis_ops,
            "rss_kb": server.rss_kb()}


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def forget_redis_keys() -> None:
    """channels_redis leaves group keys behind (they expire after a day): remove this run's."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{PREFIX}*", count=1000))
    if keys:
        client.delete(*keys)


def close_database() -> None:
    """Close this process's connections and connection pool (the set-up's and the push
    phase's), so nothing holds the bench database once the run is over."""
    if "django" not in sys.modules:
        return
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        conn.close()
        close_pool = getattr(conn, "close_pool", None)
        if close_pool is not None:
            close_pool()


async def one_send(port: int, school: School) -> dict[str, Any]:
    """One member subscribed, one send from the teacher: acked, and delivered to the member."""
    member = (await open_members(port, school.members[:1], school.conversation_30))[0]
    sender = await open_socket(port, school.sender)
    client_id = str(uuid.uuid4())
    await sender.send(send_frame(school.conversation_30, client_id, "bench check"))
    found: dict[str, Any] = {}

    async def until(ws: Any, kind: str) -> None:
        while True:
            event = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if event.get("type") == "error":
                raise RuntimeError(f"the server refused the send: {event}")
            if event.get("type") == kind and event.get("client_id") == client_id:
                found[kind] = event
                return

    await asyncio.gather(until(sender, "ack"), until(member, "message"))
    for ws in (member, sender):
        await ws.close()
    return {"acked": "ack" in found, "delivered": "message" in found}


def page_status(port: int, path: str, sessionid: str) -> int:
    """The HTTP status of one page for a session, redirects not followed."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                     headers={"Cookie": f"sessionid={sessionid}"})
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


def check() -> None:
    """``bench/run.py --check``: the set-up, then one page and one send as its members, on a
    server started as the phases start theirs (the tests run it with the user's SECRET_KEY,
    DATABASE_URL and REDIS_URL set)."""
    log(f"bench check: database {DB_NAME}, Redis {REDIS_URL or 'none'}")
    create_database()
    school = create_school()
    with running(schoolchat_server()) as server:
        status = page_status(server.port, f"/c/{school.conversation_30}/", school.members[0])
        log(f"  a member's conversation page: HTTP {status}")
        sent = asyncio.run(one_send(server.port, school))
        log(f"  one send: acked {sent['acked']}, delivered {sent['delivered']}")
    if status != 200 or not all(sent.values()):
        raise SystemExit("bench check FAILED")
    log("bench check: ok")


def main() -> None:
    if sys.argv[1:] == ["--check"]:
        try:
            check()
        finally:
            close_database()
        return
    try:
        measure_all()
    finally:
        with contextlib.suppress(Exception):
            close_database()
        if SERVICES.redis:
            with contextlib.suppress(Exception):
                forget_redis_keys()


def measure_all() -> None:
    unknown = CHOSEN - set(PHASES)
    if unknown:
        raise SystemExit(f"BENCH_PHASES: unknown {', '.join(sorted(unknown))}; "
                         f"choose from {', '.join(PHASES)}")
    raise_fd_limit()
    started = time.perf_counter()
    log(f"bench: {'quick' if QUICK else 'full'} run; database {DB_NAME}, Redis"
        f" {REDIS_URL or 'none (the in-process hub)'};"
        f" phases {', '.join(p for p in PHASES if p in CHOSEN)}")
    create_database()
    school = create_school()
    log(f"  school ready in {time.perf_counter() - started:.0f}s")

    results: dict[str, Any] = {"quick": QUICK, "cpus": os.cpu_count(),
                               "load_before": os.getloadavg()}

    def phase(key: str, measure: Any) -> dict[str, Any]:
        """Run one measurement; a failure is recorded and the run goes on to the others."""
        try:
            row = dict(measure())
        except Exception as exc:
            row = {"error": f"{type(exc).__name__}: {exc}"}
            log(f"  {key} FAILED: {row['error']} (server logs in {OUT})")
        results[key] = row
        return row

    servers = {"floor": floor_server, "stock_channels": stock_server,
               "schoolchat": schoolchat_server}
    if BASELINE:
        if not (Path(BASELINE) / "schoolchat" / "asgi.py").is_file():
            raise SystemExit(f"BENCH_BASELINE={BASELINE} is not a checkout of Schoolchat")
        servers["baseline"] = baseline_server
    if not SERVICES.redis:
        del servers["stock_channels"]
        log("  stock Channels server skipped: it needs Redis (channels_redis); no REDIS_URL")
    conversations = {30: school.conversation_30, MEMBERS: school.conversation_200}
    if "fanout" in CHOSEN:
        with contextlib.ExitStack() as stack:
            ports: dict[str, Where] = {
                name: stack.enter_context(running(make())).port for name, make in servers.items()
                # The stock server's p99 at N=200 is seconds: a quick run leaves it out.
                if not (QUICK and name == "stock_channels")}
            # The floor and the stock server ignore who is asking, so the same sockets work.
            for members in (MEMBERS,) if QUICK else (30, MEMBERS):
                rows = phase(f"fanout{members}", lambda m=members: {
                    name: run.row() for name, run in asyncio.run(fanout_in_turns(
                        ports, school, m, conversations[m])).items()})
                for name, row in rows.items() if "error" not in rows else ():
                    results[f"{name}_fanout{members}"] = row
                    log(f"  {name:15s} N={members:<4d} p50 {row['p50_ms']} ms  p99 {row['p99_ms']}"
                        f" ms  max {row['max_ms']} ms  ({row['deliveries']}/{row['expected']}"
                        f" delivered; ack p50 {row['ack_p50_ms']} p99 {row['ack_p99_ms']} ms;"
                        f" p99 of each round {row['rounds_p99_ms']})")

    if "announce" in CHOSEN and school.announcements is not None:
        announcements = school.announcements
        with running(floor_server()) as floor, running(schoolchat_server()) as server:
            rows = phase("announce", lambda: {
                name: run.row() for name, run in asyncio.run(fanout_in_turns(
                    {"floor": floor.port, "schoolchat": server.port}, school, ANNOUNCE_MEMBERS,
                    announcements, seconds=ANNOUNCE_SECONDS, rate=ANNOUNCE_RATE)).items()})
            for name, row in rows.items() if "error" not in rows else ():
                results[f"{name}_announce{ANNOUNCE_MEMBERS}"] = row
                log(f"  {name:15s} announcement to {ANNOUNCE_MEMBERS}: p50 {row['p50_ms']} ms"
                    f"  p99 {row['p99_ms']} ms  max {row['max_ms']} ms  ({row['deliveries']}/"
                    f"{row['expected']} delivered; p99 of each round {row['rounds_p99_ms']})")

    if "crossprocess" in CHOSEN:
        reason = crossprocess_skipped()
        if reason is not None:
            results["crossprocess"] = {"skipped": reason}
            log(f"  crossprocess skipped: {reason}")
        else:
            rows = phase("crossprocess", lambda: crossprocess(school))
            for key, row in rows.items() if "error" not in rows else ():
                results[key] = row
                log(f"  {row['processes']} daphne{', nginx' if 'nginx' in key else ', direct'}"
                    f"  N={MEMBERS:<4d} p50 {row['p50_ms']} ms  p99 {row['p99_ms']} ms  max"
                    f" {row['max_ms']} ms  ({row['deliveries']}/{row['expected']} delivered;"
                    f" sockets per process {row['sockets_per_process']}; ack p99"
                    f" {row['ack_p99_ms']} ms; p99 of each round {row['rounds_p99_ms']})")

    if "persist" in CHOSEN:
        with contextlib.ExitStack() as stack:
            persist_ports = {"schoolchat": stack.enter_context(running(schoolchat_server())).port}
            if BASELINE:
                persist_ports["baseline"] = stack.enter_context(running(baseline_server())).port

            def persist_in_turns() -> dict[str, dict[str, Any]]:
                # Schoolchat first: the plain loop copies the rows of a message it stored.
                rounds: dict[str, list[dict[str, Any]]] = {"schoolchat": [], "psycopg": []}
                rounds.update({name: [] for name in persist_ports})
                for order in turns(list(rounds), ROUNDS):
                    for name in order:
                        rounds[name].append(
                            psycopg_rate(school.conversation_30, THROUGHPUT_SECONDS / ROUNDS)
                            if name == "psycopg"
                            else asyncio.run(persisted_rate(persist_ports[name], school,
                                                            school.conversation_30,
                                                            THROUGHPUT_SECONDS / ROUNDS)))
                return {name: pool_rates(rows) for name, rows in rounds.items()}

            rows = phase("persist", persist_in_turns)
        if "error" not in rows:
            results["schoolchat_persist"], results["psycopg_persist"] = (
                rows["schoolchat"], rows["psycopg"])
            log(f"  schoolchat persisted {rows['schoolchat']['per_second']} msg/s with 30 members"
                f" (each round {rows['schoolchat']['rounds_per_second']})")
            if "baseline" in rows:
                results["baseline_persist"] = rows["baseline"]
                log(f"  baseline   persisted {rows['baseline']['per_second']} msg/s with 30 members"
                    f" (each round {rows['baseline']['rounds_per_second']})")
            plain = rows["psycopg"]
            log(f"  plain psycopg loop   {plain['per_second']} msg/s (each round"
                f" {plain['rounds_per_second']}; one transaction: p50 {plain['commit_p50_ms']} ms,"
                f" p99 {plain['commit_p99_ms']} ms, max {plain['commit_max_ms']} ms)")

    for name, make in servers.items() if "idle" in CHOSEN else ():
        with running(make()) as server:
            row = phase(f"{name}_idle", lambda n=name, srv=server: asyncio.run(idle_memory(
                srv, school if n == "schoolchat" else None, school.conversation_200,
                IDLE_SOCKETS)))
            if "error" not in row:
                log(f"  {name:15s} {row['kb_per_socket']} KB per idle socket"
                    f" ({row['sockets']} sockets)")

    if "idle10k" in CHOSEN:
        # One daphne as it is deployed, but letting each member hold enough tabs for the count.
        tabs = {"SCHOOLCHAT_SOCKETS_PER_PERSON": str(IDLE10K_TABS)}
        with running(schoolchat_server("schoolchat_idle10k", tabs)) as server:
            row = phase("idle10k", lambda: asyncio.run(idle_scale(
                server, school, school.conversation_200, IDLE10K_SOCKETS, IDLE10K_SECONDS)))
        if "error" not in row:
            log(f"  {row['sockets']} idle sockets on one daphne (opened in"
                f" {row['open_seconds']} s): {row['cpu_pct']}% of a core,"
                f" {row['redis_ops']} Redis commands/s; each sending a page's heartbeat every"
                f" {HEARTBEAT_SECONDS} s: {row['heartbeat_cpu_pct']}% of a core,"
                f" {row['heartbeat_redis_ops']} Redis commands/s")

    if "push" in CHOSEN:
        row = phase("push", lambda: push_bench.measure(
            out=OUT, env=schoolchat_env(), devices=PUSH_DEVICES,
            conversation_id=school.conversation_200, port=free_port()))
        if "error" not in row:
            log(f"  push: {row['devices']} devices ({row['people']} people) in {row['seconds']} s"
                f" ({row['per_second']}/s) by one worker; plain POST loop {row['plain_seconds']} s,"
                f" the same POSTs from {push_bench.THREADS} threads {row['concurrent_seconds']} s")

    def get(key: str, field_name: str) -> Any:
        return results.get(key, {}).get(field_name)

    s200, f200 = get("schoolchat_fanout200", "p99_ms"), get("floor_fanout200", "p99_ms")
    persist = get("schoolchat_persist", "per_second")
    plain = get("psycopg_persist", "per_second")
    kb = get("schoolchat_idle", "kb_per_socket")
    checks = {
        "fanout200_p99_ratio": ratio(s200, f200),
        "fanout200_p50_ratio": ratio(get("schoolchat_fanout200", "p50_ms"),
                                     get("floor_fanout200", "p50_ms")),
        "announce1000_p99_ratio": ratio(get(f"schoolchat_announce{ANNOUNCE_MEMBERS}", "p99_ms"),
                                        get(f"floor_announce{ANNOUNCE_MEMBERS}", "p99_ms")),
        "idle_socket_ratio": ratio(kb, get("floor_idle", "kb_per_socket")),
        "idle_socket_to_stock_ratio": ratio(kb, get("stock_channels_idle", "kb_per_socket")),
        "persist_ratio": ratio(persist, plain),
        "fanout30_p99_ratio": ratio(get("schoolchat_fanout30", "p99_ms"),
                                    get("floor_fanout30", "p99_ms")),
        "stock200_p99_ratio": ratio(get("stock_channels_fanout200", "p99_ms"), f200),
        # Two daphne behind nginx against one daphne alone (direct), measured in turns.
        "crossprocess_fanout_p99_ratio": ratio(
            get("schoolchat_nginx2_fanout200", "p99_ms"),
            get("schoolchat_direct1_fanout200", "p99_ms")),
        # Like for like: the same nginx in front of one daphne; both direct.
        "crossprocess_nginx2_to_nginx1_p99_ratio": ratio(
            get("schoolchat_nginx2_fanout200", "p99_ms"),
            get("schoolchat_nginx1_fanout200", "p99_ms")),
        "crossprocess_direct2_to_direct1_p99_ratio": ratio(
            get("schoolchat_direct2_fanout200", "p99_ms"),
            get("schoolchat_direct1_fanout200", "p99_ms")),
        "push_ratio_to_plain_posts": get("push", "ratio"),
        "idle10k_cpu_pct": get("idle10k", "cpu_pct"),
        "idle10k_redis_ops": get("idle10k", "redis_ops"),
        "idle10k_heartbeat_cpu_pct": get("idle10k", "heartbeat_cpu_pct"),
        "idle10k_heartbeat_redis_ops": get("idle10k", "heartbeat_redis_ops"),
    }
    results["ratios"] = checks
    results["load_after"] = os.getloadavg()
    results["seconds"] = round(time.perf_counter() - started)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(results, indent=2))

    def verdict(ok: bool | None) -> str:
        return "n/a" if ok is None else "meets" if ok else "MISSES"

    def at_most(value: float | None, limit: float) -> bool | None:
        return None if value is None else value <= limit

    def at_least(value: float | None, limit: float | None) -> bool | None:
        return None if value is None or limit is None else value >= limit

    log("")
    log(f"fan-out, N=200 at {RATE} msg/s: Schoolchat p99 {s200} ms vs floor {f200} ms -> "
        f"x{checks['fanout200_p99_ratio']} "
        f"({verdict(at_most(checks['fanout200_p99_ratio'], TARGET_P99_RATIO))} <= x{TARGET_P99_RATIO})")
    log(f"persisted: {persist} msg/s vs plain psycopg {plain} msg/s -> "
        f"{checks['persist_ratio']} "
        f"({verdict(at_least(persist, plain and plain * TARGET_PERSIST_FRACTION))} >= 1/3; "
        f"{verdict(at_least(persist, TARGET_PERSIST_RATE))} >= {TARGET_PERSIST_RATE}/s)")
    p50s = (get("schoolchat_fanout200", "p50_ms"), get("floor_fanout200", "p50_ms"))
    log(f"fan-out, N=200 at {RATE} msg/s: Schoolchat p50 {p50s[0]} ms vs floor {p50s[1]} ms -> "
        f"x{checks['fanout200_p50_ratio']} "
        f"({verdict(at_most(checks['fanout200_p50_ratio'], TARGET_P99_RATIO))} <= x{TARGET_P99_RATIO})")
    if "announce" in CHOSEN:
        announce = checks["announce1000_p99_ratio"]
        log(f"announcement to {ANNOUNCE_MEMBERS}: Schoolchat p99"
            f" {get(f'schoolchat_announce{ANNOUNCE_MEMBERS}', 'p99_ms')} ms vs floor"
            f" {get(f'floor_announce{ANNOUNCE_MEMBERS}', 'p99_ms')} ms -> x{announce}"
            f" ({verdict(at_most(announce, TARGET_P99_RATIO))} <= x{TARGET_P99_RATIO})")
    if "idle" in CHOSEN:
        log(f"idle sockets: {kb} KB each ({verdict(at_most(kb, TARGET_SOCKET_KB))} <= {TARGET_SOCKET_KB} KB);"
            f" floor {get('floor_idle', 'kb_per_socket')} KB -> x{checks['idle_socket_ratio']}"
            f" ({verdict(at_most(checks['idle_socket_ratio'], TARGET_IDLE_RATIO))} <= x{TARGET_IDLE_RATIO});"
            f" stock Channels {get('stock_channels_idle', 'kb_per_socket')} KB ->"
            f" x{checks['idle_socket_to_stock_ratio']}"
            f" ({verdict(at_most(checks['idle_socket_to_stock_ratio'], 1.0))} < x1)")
    if "idle10k" in CHOSEN:
        idle_cpu = checks["idle10k_cpu_pct"]
        log(f"{IDLE10K_SOCKETS} idle sockets on one daphne: {idle_cpu}% of a core"
            f" ({verdict(at_most(idle_cpu, TARGET_IDLE10K_CPU_PCT))} <= {TARGET_IDLE10K_CPU_PCT}%),"
            f" {checks['idle10k_redis_ops']} Redis commands/s; with the pages' heartbeats"
            f" {checks['idle10k_heartbeat_cpu_pct']}%, {checks['idle10k_heartbeat_redis_ops']}/s")
    if "push" in CHOSEN:
        push_ratio = checks["push_ratio_to_plain_posts"]
        log(f"push: {get('push', 'devices')} devices, last accepted after {get('push', 'seconds')} s"
            f" vs plain POST loop {get('push', 'plain_seconds')} s -> x{push_ratio}"
            f" ({verdict(at_most(push_ratio, push_bench.TARGET_RATIO))} <= x{push_bench.TARGET_RATIO});"
            f" x{get('push', 'ratio_to_concurrent')} of the same POSTs from {push_bench.THREADS} threads")
    cross = checks["crossprocess_fanout_p99_ratio"]
    if "skipped" in results.get("crossprocess", {}):
        log(f"cross-process fan-out: skipped ({results['crossprocess']['skipped']})")
    elif "crossprocess" in CHOSEN:
        def p99(key: str) -> Any:
            return get(f"schoolchat_{key}_fanout200", "p99_ms")

        log(f"cross-process fan-out, N={MEMBERS}, in turns: 2 daphne behind nginx p99"
            f" {p99('nginx2')} ms vs 1 daphne {p99('direct1')} ms -> x{cross}"
            f" ({verdict(at_most(cross, TARGET_CROSSPROCESS_RATIO))} <= x{TARGET_CROSSPROCESS_RATIO});"
            f" vs 1 daphne behind the same nginx {p99('nginx1')} ms ->"
            f" x{checks['crossprocess_nginx2_to_nginx1_p99_ratio']}; 2 daphne direct"
            f" {p99('direct2')} ms vs 1 -> x{checks['crossprocess_direct2_to_direct1_p99_ratio']}")
    before, after = (round(results[k][0], 1) for k in ("load_before", "load_after"))
    log(f"run took {results['seconds']}s on {os.cpu_count()} cores, load average {before} before"
        f" and {after} after; results in {OUT / 'results.json'}")
    log("")
    for line in ratio_lines(checks):
        log(line)
    if BASELINE:
        # This checkout against the baseline's, in the same rounds.
        for name, value in {
            "fanout200_p99_to_baseline": ratio(s200, get("baseline_fanout200", "p99_ms")),
            "fanout200_p50_to_baseline": ratio(get("schoolchat_fanout200", "p50_ms"),
                                               get("baseline_fanout200", "p50_ms")),
            "persist_to_baseline": ratio(persist, get("baseline_persist", "per_second")),
        }.items():
            if value is not None:
                log(f"{name}={value}")


# The figures every run ends with, one ``name=value`` a line, in this order (docs/performance.md
# keeps them per round); a phase that did not run leaves its line out.
RATIO_LINES = ("fanout200_p99_ratio", "fanout200_p50_ratio", "announce1000_p99_ratio",
               "idle_socket_ratio", "idle10k_cpu_pct", "idle10k_redis_ops", "persist_ratio",
               "crossprocess_fanout_p99_ratio")


def ratio_lines(checks: Mapping[str, float | None]) -> list[str]:
    return [f"{name}={checks[name]}" for name in RATIO_LINES if checks.get(name) is not None]


if __name__ == "__main__":
    main()
