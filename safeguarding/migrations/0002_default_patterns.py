"""Schools that exist before this app get the default patterns and settings, as new schools
do when they are created (safeguarding.actions.seed_school)."""

from django.db import migrations

from safeguarding.defaults import DEFAULTS


def seed(apps, schema_editor):
    School = apps.get_model("accounts", "School")
    Pattern = apps.get_model("safeguarding", "Pattern")
    Settings = apps.get_model("safeguarding", "SafeguardingSettings")
    for school in School.objects.all():
        Settings.objects.get_or_create(school=school)
        existing = set(Pattern.objects.filter(school=school)
                       .values_list("language", "category", "kind", "text"))
        Pattern.objects.bulk_create([
            Pattern(school=school, language=language, category=category, kind=kind, text=text)
            for language, rows in DEFAULTS.items() for category, kind, text in rows
            if (language, category, kind, text) not in existing])


class Migration(migrations.Migration):
    dependencies = [("safeguarding", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
