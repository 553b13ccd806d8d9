"""A local push service, the server's VAPID key in a temporary file, and helpers.

``post_and_publish`` posts through ``messaging.actions.send.post_message`` and runs its
after-commit work, where messaging's publish sends ``messaging.signals.event_committed``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import TestCase
from pytest_django.fixtures import Settings

from accounts.models import User
from messaging.actions import send as send_actions
from messaging.models import Conversation, Message
from notifications import push, tasks, vapid
from notifications.models import Device
from tests.notifications.push_service import FakeDevice, PushService

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# A Wednesday morning: staff are in their office hours, parents are awake.
SCHOOL_MORNING = datetime(2026, 12, 2, 10, 0, tzinfo=AMSTERDAM)
WEEKNIGHT = datetime(2026, 12, 2, 22, 30, tzinfo=AMSTERDAM)
SATURDAY_NOON = datetime(2026, 12, 5, 12, 0, tzinfo=AMSTERDAM)


@pytest.fixture
def push_service(settings: Settings, tmp_path: Path) -> Iterator[PushService]:
    service = PushService().start()
    settings.SCHOOLCHAT_PUSH_SERVICES = [service.origin]
    settings.SCHOOLCHAT_VAPID_PRIVATE_KEY = ""
    settings.SCHOOLCHAT_VAPID_PRIVATE_KEY_FILE = str(tmp_path / "vapid.pem")
    settings.SCHOOLCHAT_VAPID_SUBJECT = "mailto:office@school.invalid"
    vapid.create_key_file(tmp_path / "vapid.pem")
    vapid.server_key.cache_clear()
    push.reset()
    yield service
    push.reset()
    vapid.server_key.cache_clear()
    service.stop()


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Set the sender's clock: ``at(WEEKNIGHT)``; school mornings unless told otherwise."""
    def set_clock(moment: datetime) -> None:
        monkeypatch.setattr("notifications.recipients.timezone",
                            SimpleNamespace(now=lambda: moment))
    set_clock(SCHOOL_MORNING)
    return set_clock


def register(service: PushService, user: User, session_key: str = "") -> tuple[FakeDevice, Device]:
    """A browser of ``user`` subscribed: the fake device and its Device row."""
    fake = service.new_device()
    device = Device.objects.create(user=user, endpoint=fake.endpoint, p256dh=fake.p256dh,
                                   auth=fake.subscription()["keys"]["auth"], label="Firefox on Android",
                                   session_key=session_key)
    return fake, device


def post_and_publish(sender: User, conversation: Conversation, body: str, **options: Any) -> Message:
    """Post through the real action and run what it does after the commit: messaging's
    publish sends ``event_committed``, which queues the push (tasks run in-process here)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        message, _created = send_actions.post_message(sender, conversation, body, **options)
    return message


class Held:
    """The retries the first try queued, held back (as the broker holds them for 30 s) so a
    test can change the message before they run."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.jobs: list[tuple[Any, Any]] = []
        self._queue = tasks.deliver.apply_async
        monkeypatch.setattr(tasks.deliver, "apply_async", self.hold)

    def hold(self, args: Any = (), kwargs: Any = None, **options: Any) -> None:
        self.jobs.append((args, kwargs or {}))

    def run(self) -> None:
        """The held retries, as the worker runs them once their countdown is over."""
        for args, kwargs in self.jobs:
            self._queue(args, kwargs)


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> Held:
    return Held(monkeypatch)
