"""ASGI entry point: HTTP through Django, websockets through the messaging consumer (and the
safeguarding lead's queue socket, the lists of absences, parents' evenings and activities).

Served by ``python -m schoolchat.server`` (daphne with request bodies bounded before they are
read); the body limit is applied here too, for any other ASGI server.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schoolchat.settings")
django_asgi_app = get_asgi_application()

# Imported after Django is set up: the routing imports models.
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from absence.routing import websocket_urlpatterns as absence_urlpatterns  # noqa: E402
from activities.routing import websocket_urlpatterns as activities_urlpatterns  # noqa: E402
from meetings.routing import websocket_urlpatterns as meetings_urlpatterns  # noqa: E402
from messaging.routing import websocket_urlpatterns  # noqa: E402
from safeguarding.routing import websocket_urlpatterns as safeguarding_urlpatterns  # noqa: E402
from schoolchat.limits import BodyLimitMiddleware  # noqa: E402
from schoolchat.sockets import SignedInSocket  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": BodyLimitMiddleware(django_asgi_app),
        # Only this site's own origin (scheme, host and port; https only in production) may
        # open a socket: another site, or another port of our host, cannot use our cookie.
        # Then the session cookie's user, read once (schoolchat/sockets.py).
        "websocket": SignedInSocket(
            URLRouter([*websocket_urlpatterns, *safeguarding_urlpatterns, *absence_urlpatterns,
                       *meetings_urlpatterns, *activities_urlpatterns])
        ),
    }
)
