"""Where Schoolchat's time goes under the bench's load: py-spy on the daphne process.

    BENCH_QUICK=1 .venv/bin/python bench/profile.py [fanout|persist]

Writes collapsed stacks to var/bench/profile-<phase>.txt and prints the functions with the most
samples (own and inclusive). Needs py-spy (``pip install py-spy``); not part of ``make bench``.
"""

from __future__ import annotations

import asyncio
import collections
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import run


def summarise(path: Path, top: int = 25, thread: str = "") -> None:
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if thread not in stack:
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    print(f"{total} samples{' in ' + thread if thread else ''}")
    print("-- own --")
    for frame, count in own.most_common(top):
        print(f"{100 * count / total:5.1f}%  {frame}")
    print("-- inclusive --")
    for frame, count in inclusive.most_common(top * 2):
        print(f"{100 * count / total:5.1f}%  {frame}")


def main() -> None:
    phase = sys.argv[1] if len(sys.argv) > 1 else "fanout"
    run.FANOUT_SECONDS = 10  # long enough that connecting the sockets is a small part
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    run.raise_fd_limit()
    run.create_database()
    school = run.create_school()
    out = run.OUT / f"profile-{phase}.txt"
    with run.running(run.schoolchat_server()) as server:
        assert server.process is not None
        recorder = subprocess.Popen([spy, "record", "--pid", str(server.process.pid), "--format",
                                     "raw", "--rate", "200", "--output", str(out), "--threads"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)
        if phase == "persist":
            print(asyncio.run(run.persisted_rate(server.port, school, school.conversation_30)))
        else:
            print(asyncio.run(run.fanout_run(server.port, school, run.MEMBERS,
                                             school.conversation_200)).row())
        recorder.send_signal(signal.SIGINT)
        recorder.wait(timeout=30)
    summarise(out)
    summarise(out, thread="MainThread")


if __name__ == "__main__":
    main()
