"""The triggers that make the archive append-only, on PostgreSQL and on SQLite.

Rules (see docs/archive.md):
- ``archive_record``, ``archive_subject``, ``archive_purgedpayload``: no UPDATE, no DELETE.
- ``archive_payload``: no UPDATE; DELETE only when ``archive_purgedpayload`` names the payload's
  record together with a ``purge.done`` record (checked per row on SQLite, once per statement
  over all its rows on PostgreSQL; either way a DELETE with one unlisted payload is refused).

Only a whole-database flush passes (``schoolchat.archive_flush`` on PostgreSQL, the function
``schoolchat_archive_guard()`` on SQLite): see ``archive/append_only.py``, which registers
:data:`TABLES` and lets flush through. Migrations 0003 and 0004 run this SQL.
"""

from __future__ import annotations

from archive.append_only import AppendOnly

IMMUTABLE_TABLES = ("archive_record", "archive_subject", "archive_purgedpayload")
PAYLOAD_PURGED = (
    "EXISTS (SELECT 1 FROM archive_purgedpayload p JOIN archive_record r"
    " ON r.id = p.purge_record_id WHERE p.record_id = OLD.record_id AND r.kind = 'purge.done')"
)

# PostgreSQL checks a payload DELETE once per statement, over all the rows it removed (the
# transition table ``archive_payload_gone``), instead of calling a function per row, which made
# the check cost ten times the delete itself for a retention batch. It runs after the statement
# and refuses it as a whole, so no row of a refused DELETE is removed. The lookup is a
# subquery per removed row (two primary-key probes, whatever the tables' sizes), run through
# EXECUTE so that it is planned afresh: a plan cached while ``archive_purgedpayload`` was small
# scanned the whole table per row once it had grown.
PG_PAYLOAD_DELETE_FUNCTION = """
CREATE OR REPLACE FUNCTION archive_payload_delete_checked() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  unlisted bigint;
BEGIN
  EXECUTE 'SELECT g.record_id FROM archive_payload_gone g
    WHERE (SELECT r.kind FROM archive_purgedpayload p JOIN archive_record r
            ON r.id = p.purge_record_id WHERE p.record_id = g.record_id)
      IS DISTINCT FROM ''purge.done''
    LIMIT 1' INTO unlisted;
  IF unlisted IS NOT NULL THEN
    RAISE EXCEPTION 'archive: payload of record % has no purge record', unlisted
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NULL;
END $$;
"""
PG_PAYLOAD_DELETE_TRIGGER = (
    "CREATE TRIGGER archive_payload_delete AFTER DELETE ON archive_payload "
    "REFERENCING OLD TABLE AS archive_payload_gone "
    "FOR EACH STATEMENT EXECUTE FUNCTION archive_payload_delete_checked()"
)

PG_FUNCTIONS = """
CREATE OR REPLACE FUNCTION archive_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'archive: % on % is not allowed (the archive is append-only)', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE OR REPLACE FUNCTION archive_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('schoolchat.archive_flush', true), '') = 'on' THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION 'archive: TRUNCATE of % is not allowed', TG_TABLE_NAME
    USING ERRCODE = 'integrity_constraint_violation';
END $$;
""" + PG_PAYLOAD_DELETE_FUNCTION


def pg_create() -> list[str]:
    sql = [PG_FUNCTIONS]
    for table in IMMUTABLE_TABLES:
        sql.append(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION archive_refuse()")
    sql.append("CREATE TRIGGER archive_payload_no_update BEFORE UPDATE ON archive_payload "
               "FOR EACH ROW EXECUTE FUNCTION archive_refuse()")
    sql.append(PG_PAYLOAD_DELETE_TRIGGER)
    for table in (*IMMUTABLE_TABLES, "archive_payload"):
        sql.append(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION archive_refuse_truncate()")
    return sql


def pg_drop() -> list[str]:
    sql = []
    for table in IMMUTABLE_TABLES:
        sql.append(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    for table in (*IMMUTABLE_TABLES, "archive_payload"):
        sql.append(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    sql.append("DROP TRIGGER IF EXISTS archive_payload_no_update ON archive_payload")
    sql.append("DROP TRIGGER IF EXISTS archive_payload_delete ON archive_payload")
    sql.append("DROP FUNCTION IF EXISTS archive_refuse(), archive_refuse_truncate(), "
               "archive_payload_delete(), archive_payload_delete_checked()")
    return sql


def _sqlite_refuse(name: str, event: str, table: str, condition: str = "") -> str:
    when = "schoolchat_archive_guard()" + (f" AND {condition}" if condition else "")
    return (f"CREATE TRIGGER {name} BEFORE {event} ON {table} WHEN {when} BEGIN "
            f"SELECT RAISE(ABORT, 'archive: {event} on {table} is not allowed'); END")


SQLITE_TRIGGERS: list[tuple[str, str, str, str]] = [
    *[(f"{t}_no_update", "UPDATE", t, "") for t in IMMUTABLE_TABLES],
    *[(f"{t}_no_delete", "DELETE", t, "") for t in IMMUTABLE_TABLES],
    ("archive_payload_no_update", "UPDATE", "archive_payload", ""),
    ("archive_payload_delete", "DELETE", "archive_payload", f"NOT {PAYLOAD_PURGED}"),
]


def sqlite_create() -> list[str]:
    return [_sqlite_refuse(*spec) for spec in SQLITE_TRIGGERS]


def sqlite_drop() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {name}" for name, *_ in SQLITE_TRIGGERS]


def create_sql(vendor: str) -> list[str]:
    return pg_create() if vendor == "postgresql" else sqlite_create()


def drop_sql(vendor: str) -> list[str]:
    return pg_drop() if vendor == "postgresql" else sqlite_drop()


TABLES = AppendOnly(
    name="archive", sqlite_function="schoolchat_archive_guard",
    pg_flush_setting="schoolchat.archive_flush", create=create_sql, drop=drop_sql,
)
