from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = _("Activities")

    def ready(self) -> None:
        # AppConfig.ready is where an app's modules that use models can first be imported.
        from accounts.demo import register_part  # noqa: PLC0415
        from activities import (  # noqa: PLC0415
            access,  # noqa: F401  (registers the access rules)
            agenda,
            card,
            demo,
            exports,
            retention,
            tasks,
        )
        from activities.signals import reminder_sent  # noqa: PLC0415

        # The card on the message that announces an activity (messaging/cards.py).
        card.register()
        # Each person's calendar, and the trip list's absences.
        agenda.register()
        # What a pupil's subject access export gathers, the audit lines of the activity
        # records, and what retention purges (Category.ACTIVITIES).
        exports.register()
        retention.register()
        # A reminder's pushes are queued after its commit.
        reminder_sent.connect(tasks.on_reminder_sent, dispatch_uid="activities.reminder_push")
        # A trip with a slip and an event with replies in 4B (manage.py seed_demo).
        register_part("activities", demo.seed, order=30)
