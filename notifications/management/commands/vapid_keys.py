"""Create the server's VAPID key pair if it does not exist yet, and print its public key.

Safe to run on every start: an existing key is never replaced (a new key would silently end
every browser's subscription). With ``SCHOOLCHAT_VAPID_PRIVATE_KEY`` set there is no file to make.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from notifications import vapid


class Command(BaseCommand):
    help = "Create the VAPID key pair for push notifications when it is missing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", default=None,
                            help="where to write the private key (default: the setting)")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.SCHOOLCHAT_VAPID_PRIVATE_KEY and not options["file"]:
            self.stdout.write("The VAPID key is set in SCHOOLCHAT_VAPID_PRIVATE_KEY.")
        else:
            path = Path(options["file"] or settings.SCHOOLCHAT_VAPID_PRIVATE_KEY_FILE)
            created = vapid.create_key_file(path)
            self.stdout.write(f"{'Created' if created else 'Kept'} the VAPID key in {path}.")
            if options["file"]:
                return
        vapid.server_key.cache_clear()
        self.stdout.write(f"Public key: {vapid.public_key()}")
