from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0006_school_lock_screen_text"),
    ]

    operations = [
        migrations.AddField(
            model_name="school",
            name="offline_copies",
            field=models.BooleanField(
                default=True,
                help_text="Switch this off where families share phones or computers.",
                verbose_name="keep the last opened conversations on the device for reading offline",
            ),
        ),
    ]
