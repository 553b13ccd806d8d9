"""PostgreSQL: check a payload DELETE once per statement instead of once per row.

The rule is unchanged (a payload may be deleted only once ``archive_purgedpayload`` names its
record together with a ``purge.done`` record); the check becomes one anti-join over the
statement's transition table, run after the statement, which refuses the statement as a whole.
Retention deletes payloads thousands at a time, and the per-row lookup cost ten times the
delete itself. SQLite has no statement triggers and keeps its per-row trigger.
"""

from django.db import migrations

from archive import triggers as guard

# The per-row trigger of 0003, for going back.
ROW_FUNCTION = """
CREATE OR REPLACE FUNCTION archive_payload_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM archive_purgedpayload p JOIN archive_record r
                 ON r.id = p.purge_record_id
                 WHERE p.record_id = OLD.record_id AND r.kind = 'purge.done') THEN
    RAISE EXCEPTION 'archive: payload of record % has no purge record', OLD.record_id
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN OLD;
END $$;
"""
ROW_TRIGGER = ("CREATE TRIGGER archive_payload_delete BEFORE DELETE ON archive_payload "
               "FOR EACH ROW EXECUTE FUNCTION archive_payload_delete()")


def per_statement(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in ("DROP TRIGGER IF EXISTS archive_payload_delete ON archive_payload",
                "DROP FUNCTION IF EXISTS archive_payload_delete()",
                guard.PG_PAYLOAD_DELETE_FUNCTION, guard.PG_PAYLOAD_DELETE_TRIGGER):
        schema_editor.execute(sql, params=None)


def per_row(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in ("DROP TRIGGER IF EXISTS archive_payload_delete ON archive_payload",
                "DROP FUNCTION IF EXISTS archive_payload_delete_checked()",
                ROW_FUNCTION, ROW_TRIGGER):
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("archive", "0003_append_only_triggers")]

    operations = [migrations.RunPython(per_statement, per_row)]
