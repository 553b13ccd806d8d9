from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgendaConfig(AppConfig):
    name = "agenda"
    verbose_name = _("Calendar")

    def ready(self) -> None:
        # AppConfig.ready is where an app's modules that use models can first be imported.
        from agenda import (  # noqa: PLC0415
            access,  # noqa: F401  (registers the access rules)
            holidays,
        )

        holidays.register()
