from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AbsenceConfig(AppConfig):
    name = "absence"
    verbose_name = _("Absences")

    def ready(self) -> None:
        # AppConfig.ready is where an app's modules that use models can first be imported.
        from absence import (  # noqa: PLC0415
            access,  # noqa: F401  (registers the absence rules)
            asking,  # noqa: F401  (registers the first-day call's task)
            calendar,
            demo,
            retention,
            sections,
        )
        from accounts.demo import register_part  # noqa: PLC0415
        from archive.models import Category  # noqa: PLC0415
        from archive.retention import register_purger  # noqa: PLC0415

        register_purger(Category.ABSENCES, retention.ReportPurger())
        register_purger(Category.ABSENCE_HEALTH, retention.HealthReasonPurger())
        # A pupil's subject access export gathers their absences; calendars show them.
        sections.register()
        calendar.register()
        # The demo school's absences (manage.py seed_demo), after its messages.
        register_part("absence", demo.seed, order=40)
