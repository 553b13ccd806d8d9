"""Consent records are append-only: the database refuses UPDATE and DELETE (see consent.triggers)."""

from django.db import migrations


def create_triggers(apps, schema_editor):
    from consent import triggers as guard

    for sql in guard.create_sql(schema_editor.connection.vendor):
        schema_editor.execute(sql, params=None)


def drop_triggers(apps, schema_editor):
    from consent import triggers as guard

    for sql in guard.drop_sql(schema_editor.connection.vendor):
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("consent", "0002_purposes_requests"),
    ]

    operations = [
        migrations.RunPython(create_triggers, drop_triggers),
    ]
