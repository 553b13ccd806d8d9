from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SsoConfig(AppConfig):
    name = "sso"
    verbose_name = _("Single sign-on")

    def ready(self) -> None:
        # AppConfig.ready is where an app's modules that use models can first be imported.
        from accounts import dashboard  # noqa: PLC0415
        from sso import access, panel  # noqa: PLC0415, F401  (access registers the rules)

        # The school admin's dashboard links to the sign-on page and says whether it is on.
        dashboard.register("sso", panel.build, order=80)
