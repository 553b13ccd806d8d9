"""The triggers that make consent records append-only, on PostgreSQL and on SQLite.

``consent_consentrecord`` accepts INSERT only: every UPDATE and DELETE is refused by the
database itself, whoever sends it (the ORM, a raw query, a database shell).

Only a whole-database flush passes (``schoolchat.consent_flush`` on PostgreSQL, the function
``schoolchat_consent_guard()`` on SQLite): see ``archive/append_only.py``, with which
``ConsentConfig.ready`` registers :data:`TABLES`.

SQLite drops a table's triggers when a migration rebuilds the table (most ALTERs do): a
migration that alters ``ConsentRecord`` must run :func:`create_sql` again. The tests in
tests/consent/test_append_only.py fail if it does not.
"""

from __future__ import annotations

from archive.append_only import AppendOnly

TABLE = "consent_consentrecord"

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


TABLES = AppendOnly(
    name="consent", sqlite_function="schoolchat_consent_guard",
    pg_flush_setting="schoolchat.consent_flush", create=create_sql, drop=drop_sql,
)
