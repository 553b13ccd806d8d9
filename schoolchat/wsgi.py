"""WSGI entry point (HTTP only; the app is normally served by daphne over ASGI)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schoolchat.settings")
application = get_wsgi_application()
