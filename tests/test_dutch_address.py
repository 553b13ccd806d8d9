"""Dutch pages address the reader as "u" (parents are), never as "je", "jij" or "jouw"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = sorted(ROOT.glob("*/locale/nl/LC_MESSAGES/django.po"))
INFORMAL = re.compile(r"\b(je|jij|jou|jouw|jullie|jezelf)\b", re.IGNORECASE)


def _translations(po: Path) -> list[str]:
    """Every msgstr of the catalogue (obsolete entries left out), continuation lines joined."""
    found: list[str] = []
    current: list[str] | None = None
    for line in po.read_text(encoding="utf-8").splitlines():
        if re.match(r'^msgstr(\[\d+\])? "', line):
            current = [line.split('"', 1)[1][:-1]]
            found.append("")
        elif current is not None and line.startswith('"'):
            current.append(line[1:-1])
        else:
            current = None
        if current is not None:
            found[-1] = "".join(current)
    return found


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_dutch_text_addresses_the_reader_as_je(po: Path) -> None:
    informal = [text for text in _translations(po) if INFORMAL.search(text)]
    assert not informal, "\n".join(informal)
