from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default = True
    name = "accounts"
    verbose_name = _("People and schools")

    def ready(self) -> None:
        # AppConfig.ready is where an app's modules that use models can first be imported.
        from accounts import (  # noqa: PLC0415
            overview,
            rules,  # noqa: F401  (registers the access rules)
            sessions,
            signin,  # noqa: F401  (connects the sign-in alerts)
            tasks,  # noqa: F401  (hands a confirmed roster import to the worker)
        )
        # Logout, and changes of password, active flag, role or second factor, end sessions.
        sessions.connect()
        # People, classes, leavers and the archive's status on the school admin's overview.
        overview.register()


class OperatorAdminConfig(admin_apps.AdminConfig):
    """The Django admin with the operator-only site (accounts.operator_admin)."""

    default = False  # named in INSTALLED_APPS; accounts' own config stays the default
    default_site = "accounts.operator_admin.OperatorAdminSite"
