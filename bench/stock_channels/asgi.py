"""ASGI entry point of the stock Channels server."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.stock_channels.settings")
django.setup()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from bench.stock_channels.consumers import RoomConsumer  # noqa: E402

application = ProtocolTypeRouter({"websocket": URLRouter([path("ws/", RoomConsumer.as_asgi())])})
