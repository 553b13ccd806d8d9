from django.urls import path

from activities.consumers import ListConsumer

SOCKET_PATH = "/ws/activities/"

websocket_urlpatterns = [
    path(SOCKET_PATH.lstrip("/"), ListConsumer.as_asgi()),
]
