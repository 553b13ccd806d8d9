"""A message's live text folded for the chat search (archive.folding), filled for the messages
that exist, and on PostgreSQL a trigram index on it so that ``LIKE '%word%'`` can read the
index (docs/archive.md, "Search")."""

from django.db import migrations, models

from archive import folding

BATCH = 2000


def fill_folded(apps, schema_editor):
    Message = apps.get_model("messaging", "Message")
    last = 0
    while True:
        rows = list(Message.objects.filter(pk__gt=last).exclude(body="")
                    .order_by("pk").values_list("pk", "body")[:BATCH])
        if not rows:
            break
        last = rows[-1][0]
        folding.fill(schema_editor.connection, table="messaging_message", key="id",
                     column="body_folded", rows=rows)


def create_index(apps, schema_editor):
    # PostgreSQL only. The extension stays on going back: another table's index may use it.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute("CREATE INDEX messaging_message_body_folded_trgm "
                              "ON messaging_message USING gin (body_folded gin_trgm_ops)")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS messaging_message_body_folded_trgm")


class Migration(migrations.Migration):
    dependencies = [("messaging", "0012_policy")]

    operations = [
        migrations.AddField(
            model_name="message",
            name="body_folded",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(fill_folded, migrations.RunPython.noop),
        migrations.RunPython(create_index, drop_index),
    ]
