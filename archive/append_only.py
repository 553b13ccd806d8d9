"""Append-only tables: database triggers refuse changes, and only a whole-database flush passes.

Each app that keeps append-only tables (the archive's records, consent records) describes them
once with an :class:`AppendOnly` (its triggers' SQL, see ``archive/triggers.py`` and
``consent/triggers.py``) and registers it with :func:`protect` from its ``AppConfig.ready``.
This module holds what they share:

- The triggers refuse UPDATE and DELETE (and TRUNCATE) whoever sends them: the ORM, a raw
  query, a database shell.
- The one exception is emptying the whole database (``manage.py flush``, which the test runner
  uses between transactional tests). On PostgreSQL flush uses TRUNCATE, which the statement
  triggers let through only while the table set's setting (``schoolchat.archive_flush``, …) is
  on; on SQLite flush uses DELETE, and the triggers ask a function (``schoolchat_archive_guard()``,
  …) that this process registers on each connection and that answers 0 only during a flush. A
  connection without the function (the sqlite3 shell, another program) cannot change the tables
  at all: the trigger fails to run, and so does the statement.
- SQLite drops a table's triggers when a migration rebuilds the table (most ALTERs do): a
  migration that alters one of these tables must run the triggers' ``create_sql`` again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.backends.signals import connection_created

_state = threading.local()


@dataclass(frozen=True)
class AppendOnly:
    """One app's append-only tables: the SQL of their triggers and the switches a flush uses."""

    name: str
    sqlite_function: str  # asked by the SQLite triggers; 0 only during a flush
    pg_flush_setting: str  # lets TRUNCATE through on PostgreSQL while it is 'on'
    create: Callable[[str], list[str]]  # vendor -> the statements creating the triggers
    drop: Callable[[str], list[str]]  # vendor -> the statements dropping them


_protected: dict[str, AppendOnly] = {}


def protect(tables: AppendOnly) -> None:
    """Register a set of append-only tables: their SQLite function, their way through flush."""
    _protected[tables.name] = tables


def _guard_active() -> int:
    return 0 if getattr(_state, "flushing", False) else 1


def register_sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created`` receiver: give each SQLite connection every guard function."""
    if connection.vendor == "sqlite":
        for tables in _protected.values():
            connection.connection.create_function(
                tables.sqlite_function, 0, _guard_active, deterministic=False
            )


@contextmanager
def flushing(connection: Any) -> Iterator[None]:
    """Let a whole-database flush through every registered set of triggers, and nothing else."""
    _state.flushing = True
    pg = connection.vendor == "postgresql"
    settings = [tables.pg_flush_setting for tables in _protected.values()]
    try:
        if pg:
            with connection.cursor() as cursor:
                for setting in settings:
                    cursor.execute(f"SET {setting} = 'on'")
        yield
    finally:
        _state.flushing = False
        if pg:
            with connection.cursor() as cursor:
                for setting in settings:
                    cursor.execute(f"RESET {setting}")


def allow_flush() -> None:
    """Wrap Django's flush so that it (and only it) may empty the append-only tables."""
    original = BaseDatabaseOperations.execute_sql_flush
    if getattr(original, "_append_only_aware", False):
        return

    def execute_sql_flush(self: Any, sql_list: Iterable[str]) -> None:
        with flushing(self.connection):
            original(self, sql_list)

    execute_sql_flush._append_only_aware = True  # type: ignore[attr-defined]
    BaseDatabaseOperations.execute_sql_flush = execute_sql_flush  # type: ignore[method-assign]


def enforce() -> None:
    """Give every SQLite connection the guard functions and let flush through (once, from
    ``ArchiveConfig.ready``). Which tables are guarded is what apps :func:`protect`."""
    connection_created.connect(register_sqlite_functions, dispatch_uid="append_only_sqlite_guards")
    allow_flush()
