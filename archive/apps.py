from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = _("Archive")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from archive import access, guard  # noqa: F401  (registers the access rules)

        connection_created.connect(guard.register_sqlite_function,
                                   dispatch_uid="archive_sqlite_guard")
        guard.allow_flush()
