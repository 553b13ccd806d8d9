from django.urls import path

from meetings.consumers import RoundConsumer

SOCKET_PREFIX = "/ws/meetings/"


def socket_path(round_id: int) -> str:
    """Where a round page's socket connects."""
    return f"{SOCKET_PREFIX}{round_id}/"


websocket_urlpatterns = [
    path(f"{SOCKET_PREFIX.lstrip('/')}<int:round_id>/", RoundConsumer.as_asgi()),
]
