from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = _("Parents' evenings")

    def ready(self) -> None:
        # AppConfig.ready is where an app's modules that use models can first be imported.
        from accounts.demo import register_part  # noqa: PLC0415
        from meetings import (  # noqa: PLC0415
            access,  # noqa: F401  (registers the meetings rules)
            agenda,
            card,
            demo,
            export,
            retention,
            tasks,
        )
        from meetings.signals import families_to_tell  # noqa: PLC0415
        from messaging import cards  # noqa: PLC0415

        # The round's card on the messages that announce it.
        cards.register_card(card.KIND)
        # Each family's and teacher's calendar.
        agenda.register()
        # Retention purges old bookings; a pupil's export gathers theirs.
        retention.register()
        export.register()
        # A moved meeting and tomorrow's reminders reach the families from the worker.
        families_to_tell.connect(tasks.queue_telling, dispatch_uid="meetings.tell")
        # The demo school's open round, after its conversations (manage.py seed_demo).
        register_part("meetings", demo.seed, order=40)
