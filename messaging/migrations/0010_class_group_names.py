"""Class groups no longer store an English name ("4B class group"): the name is made from
the class when it is shown, in the reader's language. Only names the code generated are
cleared; a class group someone renamed keeps its title."""

from django.apps.registry import Apps
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

SUFFIX = " class group"


def clear_generated_names(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Conversation = apps.get_model("messaging", "Conversation")
    rows = Conversation.objects.filter(kind="class", school_class__isnull=False,
                                       title__endswith=SUFFIX).select_related("school_class")
    for conversation in rows:
        if conversation.title == f"{conversation.school_class.name}{SUFFIX}":
            Conversation.objects.filter(pk=conversation.pk).update(title="")


def restore_generated_names(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Conversation = apps.get_model("messaging", "Conversation")
    rows = Conversation.objects.filter(kind="class", school_class__isnull=False,
                                       title="").select_related("school_class")
    for conversation in rows:
        Conversation.objects.filter(pk=conversation.pk).update(
            title=f"{conversation.school_class.name}{SUFFIX}")


class Migration(migrations.Migration):

    dependencies = [
        ('messaging', '0009_acknowledgement_reminders'),
    ]

    operations = [
        migrations.AlterField(
            model_name='conversation',
            name='title',
            field=models.CharField(blank=True, max_length=200, verbose_name='title'),
        ),
        migrations.RunPython(clear_generated_names, restore_generated_names),
    ]
