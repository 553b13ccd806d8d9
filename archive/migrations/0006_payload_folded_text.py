"""The folded text of a payload's body for the DPO's search (archive.folding), filled for the
payloads that exist, and on PostgreSQL a trigram index on it so that ``LIKE '%word%'`` reads
the index instead of every payload (docs/archive.md, "Search").

A payload is never updated, so filling the new column sets the payload-update trigger aside
for the duration of this migration and puts it back. On SQLite, adding a NOT NULL column
rebuilds the table, which drops its triggers: both payload triggers are put back as they were
(``archive/triggers.py``).
"""

from django.db import migrations, models

from archive import folding
from archive import triggers as guard

BATCH = 2000
PAYLOAD_TRIGGERS = ("archive_payload_no_update", "archive_payload_delete")


def _drop_update_trigger(schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS archive_payload_no_update ON archive_payload")
    else:
        for name in PAYLOAD_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


def _restore_triggers(schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE TRIGGER archive_payload_no_update BEFORE UPDATE ON archive_payload "
            "FOR EACH ROW EXECUTE FUNCTION archive_refuse()")
        return
    for spec in guard.SQLITE_TRIGGERS:
        if spec[0] in PAYLOAD_TRIGGERS:
            schema_editor.execute(guard._sqlite_refuse(*spec))


def fill_folded(apps, schema_editor):
    Payload = apps.get_model("archive", "Payload")
    _drop_update_trigger(schema_editor)
    last = 0
    while True:
        rows = list(Payload.objects.filter(pk__gt=last, content__has_key="body")
                    .order_by("pk").values_list("pk", "content")[:BATCH])
        if not rows:
            break
        last = rows[-1][0]
        folding.fill(schema_editor.connection, table="archive_payload", key="record_id",
                     column="folded", rows=[(pk, content["body"]) for pk, content in rows
                                            if isinstance(content.get("body"), str)])
    _restore_triggers(schema_editor)


def restore_triggers_after_rebuild(apps, schema_editor):
    # Going back removed the column (on SQLite perhaps by rebuilding the table): triggers back.
    if schema_editor.connection.vendor != "postgresql":
        for name in PAYLOAD_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        _restore_triggers(schema_editor)


def create_index(apps, schema_editor):
    # PostgreSQL only. The extension stays on going back: another table's index may use it.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute("CREATE INDEX archive_payload_folded_trgm ON archive_payload "
                              "USING gin (folded gin_trgm_ops)")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS archive_payload_folded_trgm")


class Migration(migrations.Migration):
    dependencies = [("archive", "0005_retention_category_leavers")]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, restore_triggers_after_rebuild),
        migrations.AddField(
            model_name="payload",
            name="folded",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(fill_folded, migrations.RunPython.noop),
        migrations.RunPython(create_index, drop_index),
    ]
