from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        # AppConfig.ready is where an app's modules that use models can first be imported.
        from api import access  # noqa: F401, PLC0415  (registers the token rules)
