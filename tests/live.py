"""Real daphne processes serving the test database, for browser and multi-process tests.

Channels' own live-server test case runs daphne in a process that does not see the test's
settings and rejects in-memory databases; here the server is an ordinary daphne subprocess
started with environment variables pointing at the test database (committed data only, so
tests using it need ``transactional_db``) and at this test run's Redis channel prefix.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_env() -> dict[str, str]:
    """Environment variables that point a subprocess at the current (test) database."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return {"SQLITE_PATH": str(db["NAME"])}
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return {"DATABASE_URL": f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"}


@dataclass
class Server:
    port: int
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> Server:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "schoolchat.server", "-b", "127.0.0.1", "-p", str(self.port),
             "schoolchat.asgi:application"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited early; see {self.log_path}:\n{self.log()}")
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            time.sleep(0.1)
        raise RuntimeError(f"daphne did not listen on {self.port} in {timeout}s:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL, as a crash would: no cleanup runs."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


def server_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {
        key: value for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "SQLITE_PATH", "REDIS_URL", "SECRET_KEY"}
    }
    env.update(database_env())
    env.update({
        "DJANGO_SETTINGS_MODULE": "schoolchat.settings",
        "SCHOOLCHAT_REDIS_PREFIX": settings.SCHOOLCHAT_REDIS_PREFIX,
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        "PASSWORD_HASHERS": ",".join(settings.PASSWORD_HASHERS),
        # No Celery worker runs beside the test servers: their tasks run in-process, as in the
        # test process itself.
        "CELERY_TASK_ALWAYS_EAGER": "true",
    })
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    env.update(extra or {})
    return env


@contextlib.contextmanager
def daphne_servers(count: int, tmp_path: Path,
                   extra_env: dict[str, str] | None = None) -> Iterator[list[Server]]:
    """Start ``count`` daphne processes sharing the test database (and Redis when configured)."""
    servers = [
        Server(port=free_port(), env=server_env(extra_env), log_path=tmp_path / f"daphne-{n}.log")
        for n in range(count)
    ]
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()
