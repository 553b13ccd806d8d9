"""A PostgreSQL cluster of a test's own, to restart under connected clients.

The shared cluster of the machine serves everyone's tests and is never restarted; this one
lives in a temporary folder, listens on a free port and is removed afterwards. ``initdb``
refuses to run as root, so under root (CI) every PostgreSQL command runs as the ``postgres``
user, in a folder that user owns.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.live import free_port

DATABASE = "schoolchat"


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's programs (Debian keeps them out of PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda path: int(Path(path).parent.parent.name))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@dataclass
class PrivatePostgres:
    bin: Path
    root: Path
    port: int

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def run(self, program: str, *args: str, timeout: float = 60) -> str:
        command = [str(self.bin / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                check=False, cwd=self.root)
        if result.returncode != 0:
            raise RuntimeError(f"{program} failed ({result.returncode}):\n{result.stdout}\n"
                               f"{result.stderr}")
        return result.stdout

    def init(self) -> None:
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                 "--no-sync", "-E", "UTF8")
        self.start()
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", DATABASE)

    def _options(self) -> str:
        return (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
                " -c max_connections=40")

    def start(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-o", self._options(), "-w", "-l",
                 str(self.root / "postgres.log"), "start")

    def restart(self, mode: str) -> None:
        """``pg_ctl restart -m fast`` (sessions terminated, as an administrator's restart) or
        ``-m immediate`` (no shutdown at all, as a crash; recovery on start)."""
        self.run("pg_ctl", "-D", str(self.data), "-o", self._options(), "-w", "-m", mode,
                 "-l", str(self.root / "postgres.log"), "restart")

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    bin_dir = postgres_bin()
    if bin_dir is None:
        message = "PostgreSQL's programs (initdb, pg_ctl) are not installed"
        if IN_CI:
            pytest.fail(message + " (CI=true: a missing service is a failure)")
        pytest.skip(message)
    # A short path: the unix socket's name must fit in 107 bytes.
    root = Path(tempfile.mkdtemp(prefix="schoolchat-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    cluster = PrivatePostgres(bin_dir, root, free_port())
    try:
        cluster.init()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
