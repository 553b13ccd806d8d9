"""Celery wiring. The broker is Redis with REDIS_URL, else a folder in var/celery (settings)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schoolchat.settings")

app = Celery("schoolchat")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
