from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    name = "records"
    verbose_name = _("Records")

    def ready(self) -> None:
        # The DPO's and the admin's permission rules, and the task that builds a requested export.
        from accounts.signals import leavers_processed  # noqa: PLC0415
        from records import access, candidates, dashboard, tasks  # noqa: F401, PLC0415

        # The latest changes, as sentences, on the school admin's overview.
        dashboard.register()
        # What a pupil's export gathers for the DPO to review: messages naming the pupil,
        # photos tagging them, consent records (archive.sections; other apps add theirs).
        candidates.register()
        # Leavers whose account the school keeps no longer are anonymised after the daily run.
        leavers_processed.connect(tasks.on_leavers_processed, dispatch_uid="records.anonymise")
