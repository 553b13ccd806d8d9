"""Database-enforced immutability of the archive (see archive/triggers.py and docs/archive.md)."""

from django.db import migrations

from archive import triggers as guard


def create(apps, schema_editor):
    for sql in guard.create_sql(schema_editor.connection.vendor):
        schema_editor.execute(sql, params=None)


def drop(apps, schema_editor):
    for sql in guard.drop_sql(schema_editor.connection.vendor):
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("archive", "0002_hardening")]

    operations = [migrations.RunPython(create, drop)]
