from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0005_user_totp_last_accepted_step"),
    ]

    operations = [
        migrations.AddField(
            model_name="school",
            name="lock_screen_text",
            field=models.CharField(
                choices=[("none", "Sender and conversation only"),
                         ("excerpt", "The start of the message")],
                default="none",
                help_text="Anyone who picks up a parent's phone can read the lock screen.",
                max_length=10,
                verbose_name="text of a message on the lock screen",
            ),
        ),
    ]
