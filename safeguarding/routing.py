from django.urls import path

from safeguarding.consumers import QueueConsumer

SOCKET_PATH = "/ws/safeguarding/"

websocket_urlpatterns = [
    path(SOCKET_PATH.lstrip("/"), QueueConsumer.as_asgi()),
]
