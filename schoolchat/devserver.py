"""``make serve``: the web server and one Celery worker with beat, as one foreground command.

Run as ``python -m schoolchat.devserver`` with daphne's arguments. It starts two children that
write to this terminal:

- the web server, ``python -m schoolchat.server ARGS`` (daphne, exactly as ``make web`` runs it);
- one Celery worker with beat embedded (``celery -A schoolchat worker -B``), which runs the jobs
  of ``CELERY_BEAT_SCHEDULE`` and the tasks the web server queues.

Ctrl-C (SIGINT) or SIGTERM is passed on to both once (each child has its own process group, so
the terminal's Ctrl-C reaches this process only: Celery takes a second Ctrl-C as "kill the
running tasks"). When either child ends, the other is stopped too, and the command exits with
the first one's status, so a crash is never hidden behind a half-running app. A child that does
not stop within ``STOP_SECONDS`` is killed.

One worker, one beat: more than one beat would run every job twice.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from types import FrameType

STOP_SECONDS = 15
POLL_SECONDS = 0.2


def commands(web_args: list[str]) -> list[list[str]]:
    """The children's command lines: the web server with ``web_args``, then the worker."""
    python = sys.executable
    return [
        [python, "-m", "schoolchat.server", *web_args],
        # No mingle or gossip: there is no other worker to meet.
        [python, "-m", "celery", "-A", "schoolchat", "worker", "-B", "--loglevel", "INFO",
         "--concurrency", "2", "--without-mingle", "--without-gossip"],
    ]


class Supervisor:
    def __init__(self, argvs: list[list[str]]) -> None:
        self.argvs = argvs
        self.children: list[subprocess.Popen[bytes]] = []
        self.stopping = False

    def run(self) -> int:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        try:
            for argv in self.argvs:
                self.children.append(subprocess.Popen(argv, process_group=0))  # noqa: S603
            return self._wait()
        finally:
            self._stop()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def _wait(self) -> int:
        while not self.stopping:
            for child in self.children:
                code = child.poll()
                if code is not None:
                    return code
            time.sleep(POLL_SECONDS)
        return 0

    def _stop(self) -> None:
        running = [child for child in self.children if child.poll() is None]
        for child in running:
            child.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for child in running:
            try:
                child.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        # A child's own children (Celery's pool processes and its embedded beat) share its
        # process group. The worker stops them on a warm shutdown, but a worker killed above, or
        # one that died, leaves them behind holding the terminal: end the whole group.
        for child in self.children:
            _kill_group(child.pid)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group is empty: all of it has ended
        os.killpg(pgid, signal.SIGKILL)


def main() -> None:
    sys.exit(Supervisor(commands(sys.argv[1:])).run())


if __name__ == "__main__":
    main()
