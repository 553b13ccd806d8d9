from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = _("Consent")

    def ready(self) -> None:
        # AppConfig.ready is where an app's modules that use models can first be imported.
        import consent  # noqa: PLC0415
        from archive import append_only  # noqa: PLC0415
        from consent import (  # noqa: PLC0415
            access,  # noqa: F401  (registers the access rules)
            services,
            triggers,
        )

        consent.install(services.has_consent)
        append_only.protect(triggers.TABLES)
