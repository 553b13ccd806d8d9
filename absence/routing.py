from django.urls import path

from absence.consumers import ListConsumer

SOCKET_PATH = "/ws/absence/"

websocket_urlpatterns = [
    path(SOCKET_PATH.lstrip("/"), ListConsumer.as_asgi()),
]
