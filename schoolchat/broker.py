"""The embedded default's Celery broker: a folder on this machine, one file per message.

kombu's filesystem transport needs no server, which suits ``make serve``; this module changes
how its files come and go so that several producers (the web server, beat, management commands)
and a worker never meet half a message:

- kombu creates a message's file under its final name and only then writes it, so a worker
  scanning the folder at that moment can take an empty file (a lost task and a crashed poll).
  Here the message is written under a hidden name in the same folder and renamed into place;
  a rename within one file system is atomic, so the worker sees a whole file or none.
- kombu moves a taken file to the system's temporary folder, which may be another file system
  (a copy, then a delete: two workers may both take it). Here it is renamed into the
  processed folder next to the queue, so exactly one taker wins, and deleted once read.

The files stay on one machine: this broker is for the embedded default only. With
``REDIS_URL`` set, Redis is the broker and this module is not used.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from queue import Empty
from time import monotonic
from typing import Any

from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

PARTIAL_PREFIX = "."  # kombu's scan takes only names of the form <time>_<uuid>.<queue>.msg


class Channel(filesystem.Channel):
    # kombu names the second argument differently in the base class and the filesystem one.
    def _put(self, queue: Any, payload: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        folder = Path(self.data_folder_out)
        partial = folder / f"{PARTIAL_PREFIX}{name}"
        partial.write_bytes(str_to_bytes(dumps(payload)))
        os.replace(partial, folder / name)

    def _get(self, queue: Any, timeout: Any = None) -> Any:
        wanted = f"{queue}.msg"
        inbox = Path(self.data_folder_in)
        taken = Path(self.processed_folder)
        for name in sorted(os.listdir(inbox)):
            if name.startswith(PARTIAL_PREFIX) or name.partition(".")[2] != wanted:
                continue
            claimed = taken / name
            try:
                os.rename(inbox / name, claimed)
            except OSError:
                continue  # another worker took it first
            try:
                payload = claimed.read_bytes()
            finally:
                claimed.unlink(missing_ok=True)
            return loads(bytes_to_str(payload))
        raise Empty()


class Transport(filesystem.Transport):
    Channel = Channel
