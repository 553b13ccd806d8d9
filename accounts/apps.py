from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("People and schools")

    def ready(self) -> None:
        from accounts import actions, rules, sessions  # noqa: F401  (registers the access rules)
        from consent.signals import consent_changed

        consent_changed.connect(actions.on_consent_changed, dispatch_uid="accounts.sync_class")
        # Logout, and changes of password, active flag, role or second factor, end sessions.
        sessions.connect()
