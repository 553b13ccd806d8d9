from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = _("Consent")

    def ready(self) -> None:
        # AppConfig.ready is where an app's modules that use models can first be imported.
        from archive import append_only  # noqa: PLC0415
        from consent import access, triggers  # noqa: F401, PLC0415  (access: registers the rules)

        append_only.protect(triggers.TABLES)
