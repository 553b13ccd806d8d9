"""Database triggers that make consent records append-only, on PostgreSQL and on SQLite.

``consent_consentrecord`` accepts INSERT only: every UPDATE and DELETE is refused by the
database itself, whoever sends it (the ORM, a raw query, a database shell).

The one exception is emptying the whole database (``manage.py flush``, which the test runner
uses between transactional tests). On PostgreSQL flush uses TRUNCATE, which the statement
trigger lets through only while ``schoolchat.consent_flush`` is on; on SQLite flush uses
DELETE, and the trigger asks the function ``schoolchat_consent_guard()``, which this process
registers on each connection and which answers 0 only during a flush. A connection without the
function (the sqlite3 shell, another program) cannot delete at all: the trigger fails to run, and
so does the statement.

SQLite drops a table's triggers when a migration rebuilds the table (most ALTERs do): a
migration that alters ``ConsentRecord`` must run :func:`create_sql` again. The tests in
tests/consent/test_append_only.py fail if it does not.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

TABLE = "consent_consentrecord"
_state = threading.local()

PG_CREATE = [
    """
CREATE OR REPLACE FUNCTION consent_record_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE'
     AND coalesce(current_setting('schoolchat.consent_flush', true), '') = 'on' THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION 'consent records are append-only: % is not allowed', TG_OP
    USING ERRCODE = 'integrity_constraint_violation';
END $$;
""",
    f"CREATE TRIGGER consent_record_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION consent_record_refuse()",
    f"CREATE TRIGGER consent_record_no_truncate BEFORE TRUNCATE ON {TABLE} "
    "FOR EACH STATEMENT EXECUTE FUNCTION consent_record_refuse()",
]

PG_DROP = [
    f"DROP TRIGGER IF EXISTS consent_record_append_only ON {TABLE}",
    f"DROP TRIGGER IF EXISTS consent_record_no_truncate ON {TABLE}",
    "DROP FUNCTION IF EXISTS consent_record_refuse()",
]

SQLITE_CREATE = [
    f"CREATE TRIGGER consent_record_no_update BEFORE UPDATE ON {TABLE} BEGIN "
    "SELECT RAISE(ABORT, 'consent records are append-only: UPDATE is not allowed'); END",
    f"CREATE TRIGGER consent_record_no_delete BEFORE DELETE ON {TABLE} "
    "WHEN schoolchat_consent_guard() BEGIN "
    "SELECT RAISE(ABORT, 'consent records are append-only: DELETE is not allowed'); END",
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS consent_record_no_update",
    "DROP TRIGGER IF EXISTS consent_record_no_delete",
]


def create_sql(vendor: str) -> list[str]:
    return PG_CREATE if vendor == "postgresql" else SQLITE_CREATE


def drop_sql(vendor: str) -> list[str]:
    return PG_DROP if vendor == "postgresql" else SQLITE_DROP


def _guard_active() -> int:
    return 0 if getattr(_state, "flushing", False) else 1


def register_sqlite_function(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created`` receiver: give each SQLite connection the guard function."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "schoolchat_consent_guard", 0, _guard_active, deterministic=False
        )


@contextmanager
def flushing(connection: Any) -> Iterator[None]:
    """Let a whole-database flush through the consent triggers, and nothing else."""
    _state.flushing = True
    pg = connection.vendor == "postgresql"
    try:
        if pg:
            with connection.cursor() as cursor:
                cursor.execute("SET schoolchat.consent_flush = 'on'")
        yield
    finally:
        _state.flushing = False
        if pg:
            with connection.cursor() as cursor:
                cursor.execute("RESET schoolchat.consent_flush")


def allow_flush() -> None:
    """Wrap Django's flush so that it (and only it) may empty the consent record table."""
    from django.db.backends.base.operations import BaseDatabaseOperations

    original = BaseDatabaseOperations.execute_sql_flush
    if getattr(original, "_consent_aware", False):
        return

    def execute_sql_flush(self: Any, sql_list: Iterable[str]) -> None:
        with flushing(self.connection):
            original(self, sql_list)

    execute_sql_flush._consent_aware = True  # type: ignore[attr-defined]
    BaseDatabaseOperations.execute_sql_flush = execute_sql_flush  # type: ignore[method-assign]
