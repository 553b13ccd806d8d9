from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = _("Consent")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from consent import access, guard  # noqa: F401  (registers the access rules)

        connection_created.connect(guard.register_sqlite_function,
                                   dispatch_uid="consent_sqlite_guard")
        guard.allow_flush()
