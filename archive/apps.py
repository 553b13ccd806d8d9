from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = _("Archive")

    def ready(self) -> None:
        # AppConfig.ready is where an app's modules that use models can first be imported.
        from archive import append_only, tasks, triggers  # noqa: F401, PLC0415

        append_only.protect(triggers.TABLES)
        append_only.enforce()
