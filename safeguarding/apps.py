from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SafeguardingConfig(AppConfig):
    name = "safeguarding"
    verbose_name = _("Safeguarding")

    def ready(self) -> None:
        # AppConfig.ready is where an app's modules that use models can first be imported.
        from accounts.demo import register_part  # noqa: PLC0415
        from accounts.signals import school_created  # noqa: PLC0415
        from messaging import screening  # noqa: PLC0415
        from messaging.signals import messages_screened  # noqa: PLC0415
        from safeguarding import (  # noqa: PLC0415
            access,  # noqa: F401  (registers the safeguarding rules)
            actions,
            demo,
            screen,
        )

        # Every message is screened against its school's patterns before it is stored.
        screening.register(screen.screen)
        # What held or flagged becomes a flag for the lead's queue once the send commits.
        messages_screened.connect(actions.on_messages_screened, dispatch_uid="safeguarding.flags")
        # A new school starts with the default patterns and its settings.
        school_created.connect(actions.on_school_created, dispatch_uid="safeguarding.defaults")
        # The demo school's reports and flags (manage.py seed_demo), after its messages.
        register_part("safeguarding", demo.seed, order=30)
