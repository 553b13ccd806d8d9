from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = _("Consent")

    def ready(self) -> None:
        # AppConfig.ready is where an app's modules that use models can first be imported.
        from accounts.demo import register_part  # noqa: PLC0415
        from accounts.signals import school_created  # noqa: PLC0415
        from archive import append_only  # noqa: PLC0415
        from consent import (  # noqa: PLC0415
            access,  # noqa: F401  (registers the access rules)
            actions,
            dashboard,
            demo,
            triggers,
        )

        # A new school starts with the default consent purposes.
        school_created.connect(actions.on_school_created, dispatch_uid="consent.purposes")
        append_only.protect(triggers.TABLES)
        # Coverage per class on the school admin's overview.
        dashboard.register()
        # The consent forms and records of the demo school (manage.py seed_demo).
        register_part("consent", demo.seed, order=10)
