"""Files the server writes about people (backups, subject access exports): readable by the
server's own account only.

Each is created with mode 0600 by ``os.open`` itself, so at no moment can another account on
the machine open it (a ``chmod`` after writing leaves such a moment, and a service's umask is
often 022, which would make it 0644). The folders made for them are 0700.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def make_folder(path: Path) -> None:
    """The folder and its parents, 0700 where they are new (an existing one is left as it is:
    it may be the school's mounted off-site storage)."""
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)


def create(path: Path) -> BinaryIO:
    """A new file at ``path`` for writing, mode 0600. A file already there (a partial one left
    by a killed run) is removed first: opening it again would keep its old mode."""
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    return os.fdopen(descriptor, "wb")


def write(path: Path, content: bytes) -> None:
    with create(path) as handle:
        handle.write(content)
