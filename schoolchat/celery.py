"""Celery wiring. Without REDIS_URL the tasks run in-process (CELERY_TASK_ALWAYS_EAGER)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schoolchat.settings")

app = Celery("schoolchat")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
