"""The day's absence list socket (``/ws/absence/``): tells an open list page that something
changed, so it fetches its list again without a reload.

It carries no content: an ``{"type": "absence_list"}`` hint published, after a report, an
acknowledgement or a pupil marked missing commits (:mod:`absence.actions`), to the user
channels of those who may see that report (:func:`absence.access.watchers`). The page reads
the list over HTTP, where the same rules apply. Anyone without the day's list (``absence.list``)
is closed with 4404, as for a page that is not there; someone signed out with 4401.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from absence.actions import LIST_EVENT
from accounts.access import can
from messaging import hub
from messaging.wire import Frame

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404
# Hints waiting for a slow socket; past it they are dropped (one refresh covers them all).
QUEUE_SIZE = 16


@database_sync_to_async
def _may_list(user: Any) -> bool:
    return user.school_id is not None and can(user, "absence.list", user.school)


class ListConsumer(AsyncJsonWebsocketConsumer):
    user_id: int

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if not await _may_list(user):
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.user_id = user.pk
        # The session the socket was opened with: it closes when that session ends.
        self.session_key: str | None = getattr(self.scope.get("session"), "session_key", None)
        self.pending: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=QUEUE_SIZE)
        await self.accept()
        self.hub = hub.get_hub()
        await self.hub.attach(self)
        self.sender = asyncio.get_running_loop().create_task(self._send_pending())
        await self.send_json({"type": "hello"})

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "user_id"):
            return
        await self.hub.detach(self)
        task = getattr(self, "sender", None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def deliver(self, event: dict[str, Any], frame: Frame | None = None) -> None:
        """From the hub: this person's events; the list hint is the only one kept."""
        if event.get("type") == "_disconnect":
            session = event.get("session")
            if session is None or session == self.session_key:
                asyncio.get_running_loop().create_task(self.close(code=CLOSE_UNAUTHENTICATED))
            return
        if event.get("type") != LIST_EVENT["type"]:
            return
        with contextlib.suppress(asyncio.QueueFull):
            self.pending.put_nowait(event)

    async def _send_pending(self) -> None:
        while True:
            event = await self.pending.get()
            await self.send_json(event)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """A ping is answered (the page's liveness check); anything else is ignored."""
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})
