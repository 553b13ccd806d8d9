from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = _("Messaging")

    def ready(self) -> None:
        # AppConfig.ready is where an app's modules that use models can first be imported.
        from accounts.demo import register_part  # noqa: PLC0415
        from accounts.sessions import sessions_ended  # noqa: PLC0415
        from accounts.signals import person_erased, person_left, roster_changed  # noqa: PLC0415
        from consent.signals import consent_changed  # noqa: PLC0415
        from messaging import (  # noqa: PLC0415
            access,  # noqa: F401  (registers the conversation rules)
            dashboard,
            demo,
            retention,
        )
        from messaging.actions import classes  # noqa: PLC0415
        from messaging.erasure import on_person_erased  # noqa: PLC0415
        from messaging.hub import on_sessions_ended  # noqa: PLC0415
        from messaging.tasks import on_consent_changed  # noqa: PLC0415

        # Class conversations follow the roster (inside the change's transaction) and
        # participation consent (after the decision commits); leavers leave every conversation.
        roster_changed.connect(classes.on_roster_changed, dispatch_uid="messaging.sync_classes")
        person_left.connect(classes.on_person_left, dispatch_uid="messaging.leaver_leaves")
        consent_changed.connect(classes.on_consent_changed, dispatch_uid="messaging.sync_class")
        # An erased person's unsent files and plans go, and one-to-one titles take the pseudonym.
        person_erased.connect(on_person_erased, dispatch_uid="messaging.forget_person")
        # Withdrawn photo consent hides the pupil's photos from then on.
        consent_changed.connect(on_consent_changed, dispatch_uid="messaging.hide_photos")
        # A logout or a change of password, role, second factor or active flag ends sessions:
        # their sockets close on every process.
        sessions_ended.connect(on_sessions_ended, dispatch_uid="messaging.close_sockets")
        # What the archive's retention purges.
        retention.register()
        # Unacknowledged announcements on the school admin's overview.
        dashboard.register()
        # The demo school's conversations and their history (manage.py seed_demo).
        register_part("messaging", demo.seed, order=20)
