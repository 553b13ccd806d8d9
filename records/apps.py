from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    name = "records"
    verbose_name = _("Records")

    def ready(self) -> None:
        # The DPO's and the admin's permission rules, and the task that builds a requested export.
        from records import access, dashboard, tasks  # noqa: F401, PLC0415

        # The latest changes, as sentences, on the school admin's overview.
        dashboard.register()
