"""The staff's list socket (``/ws/activities/``): tells an open activity page that replies or
slips changed, so it fetches its list again without a reload (within the moment the commit
takes to reach the hub).

It carries no content: ``{"type": "activity", "id": ...}`` hints go to the user channel of each
member of staff who follows the activity (``activities.hints``), and the page reads the list
over HTTP, where ``activity.manage`` decides. Anyone not signed in is closed with 4401.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from activities.hints import EVENT_TYPE
from messaging import hub
from messaging.wire import Frame

CLOSE_UNAUTHENTICATED = 4401
# Hints waiting for a slow socket; past it they are dropped (one refresh covers them all).
QUEUE_SIZE = 16


class ListConsumer(AsyncJsonWebsocketConsumer):
    user_id: int

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user_id = user.pk
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
        """From the hub: this person's events; only the activity hint is passed on."""
        if event.get("type") == "_disconnect":
            session = event.get("session")
            if session is None or session == self.session_key:
                asyncio.get_running_loop().create_task(self.close(code=CLOSE_UNAUTHENTICATED))
            return
        if event.get("type") != EVENT_TYPE:
            return
        with contextlib.suppress(asyncio.QueueFull):
            self.pending.put_nowait({"type": EVENT_TYPE, "id": event.get("id")})

    async def _send_pending(self) -> None:
        while True:
            event = await self.pending.get()
            await self.send_json(event)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """A ping is answered (the page's liveness check); anything else is ignored."""
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})
