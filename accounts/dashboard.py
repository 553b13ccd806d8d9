"""The school admin's overview at ``/school/``: panels that the apps contribute.

Accounts draws the page but knows only people, classes and the archive's status; what consent
or messaging know (coverage, announcements) comes from those apps, which register a panel
from their ``AppConfig.ready`` with :func:`register`. So the layers stay as they are
(accounts <- consent <- messaging): accounts calls a function a higher app handed it, and
never imports that app.

A panel's builder is given the school and the admin and returns a :class:`Panel`, plain data
(figures, a table, links), which one template renders: every panel looks and reads the same on
a phone and a desktop, and no app needs templates of its own in accounts' area.

Each builder makes a fixed number of queries, whatever the school's size (one query per table
it reads, never one per class, person or message): ``tests/accounts/test_dashboard.py`` asserts
the page's total on a small and a larger school.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accounts.models import School, User


@dataclass(frozen=True)
class Link:
    text: str
    href: str


@dataclass(frozen=True)
class Figure:
    """A number with what it counts; ``href`` is where to act on it; ``alert`` marks a number
    that asks for attention (not zero where zero is the goal)."""

    label: str
    value: int
    href: str = ""
    alert: bool = False


@dataclass(frozen=True)
class Cell:
    text: str
    href: str = ""
    alert: bool = False


@dataclass(frozen=True)
class Table:
    caption: str
    columns: list[str]
    rows: list[list[Cell]]
    # Said instead of an empty table.
    empty: str = ""
    # Said under the table when it shows only the first rows.
    more: str = ""


@dataclass(frozen=True)
class Panel:
    title: str
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    # For the template: the heading's id, and a stable name for tests and styles.
    name: str = ""


Builder = Callable[["School", "User"], Panel]


@dataclass(frozen=True)
class _Entry:
    name: str
    order: int
    build: Builder


_PANELS: dict[str, _Entry] = {}


def register(name: str, build: Builder, *, order: int) -> None:
    """Add a panel to the overview, shown by ascending ``order``. Registering the same name
    again with the same builder is a no-op (``ready`` may run twice in tests); another
    builder under a taken name is a mistake."""
    known = _PANELS.get(name)
    if known is not None and known.build is not build:
        raise RuntimeError(f"a dashboard panel named {name!r} is already registered")
    _PANELS[name] = _Entry(name=name, order=order, build=build)


def registered() -> list[str]:
    return [entry.name for entry in sorted(_PANELS.values(), key=lambda e: (e.order, e.name))]


def panels(school: School, user: User) -> list[Panel]:
    """Every registered panel for this school, in order; each carries its registered name."""
    built = []
    for entry in sorted(_PANELS.values(), key=lambda e: (e.order, e.name)):
        panel = entry.build(school, user)
        built.append(Panel(title=panel.title, figures=panel.figures, tables=panel.tables,
                           notes=panel.notes, links=panel.links, name=entry.name))
    return built
