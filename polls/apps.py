from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PollsConfig(AppConfig):
    name = "polls"
    verbose_name = _("Polls")

    def ready(self) -> None:
        # AppConfig.ready is where an app's modules that use models can first be imported.
        from accounts.demo import register_part  # noqa: PLC0415
        from archive.chain import register_row_key  # noqa: PLC0415
        from polls import (  # noqa: PLC0415
            access,  # noqa: F401  (registers the access rules)
            card,
            demo,
            retention,
            sentences,
            starter,
        )

        card.register()
        starter.register()
        sentences.register()
        # A poll's records carry its id: retention purges their payloads with the poll.
        register_row_key(retention.RECORD_PREFIX, "poll")
        retention.register()
        # After the conversations (messaging's part, order 20).
        register_part("polls", demo.seed, order=40)
