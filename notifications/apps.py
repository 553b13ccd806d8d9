from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # AppConfig.ready is where an app's modules that use models can first be imported.
        from accounts.sessions import sessions_ended  # noqa: PLC0415
        from accounts.signals import person_erased  # noqa: PLC0415
        from messaging.digest import register_already_told  # noqa: PLC0415
        from messaging.signals import (  # noqa: PLC0415
            acknowledgement_reminder_sent,
            event_committed,
        )
        from notifications import (  # noqa: PLC0415
            access,  # noqa: F401  (registers the notification rules)
            digest,
            receivers,
        )

        # Every committed conversation event may notify the members who are not looking.
        event_committed.connect(receivers.on_event_committed, dispatch_uid="notifications.push")
        # An acknowledgement reminder is pushed to the reminded guardians' devices too.
        acknowledgement_reminder_sent.connect(receivers.on_acknowledgement_reminder,
                                              dispatch_uid="notifications.ack_reminder")
        # A logout removes that browser's device; a deactivated account (a leaver) loses all.
        sessions_ended.connect(receivers.on_sessions_ended, dispatch_uid="notifications.devices")
        # An erased person's devices, subscriptions and mutes go.
        person_erased.connect(receivers.on_person_erased, dispatch_uid="notifications.forget")
        # The e-mail digest leaves out what a push already told the person.
        register_already_told(digest.already_pushed)
