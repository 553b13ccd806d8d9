"""A round page's socket (``/ws/meetings/<round id>/``): tells an open page that the round's
slots or bookings changed, so it fetches its slot list again without a reload.

It carries no content: a ``{"type": "meetings_round", "round": id}`` hint published to each
person who may see the round after a booking, a cancellation, a block or a move commits
(:mod:`meetings.live`). The page reads the list over HTTP, where the same rules apply. Anyone
who may not see the round is closed with 4404, as for a round that does not exist.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.access import can
from meetings.live import ROUND_EVENT
from meetings.models import MeetingRound
from messaging import hub
from messaging.wire import Frame

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404
# Hints waiting for a slow socket; past it they are dropped (one refresh covers them all).
QUEUE_SIZE = 16


@database_sync_to_async
def _may_view(user: Any, round_id: int) -> bool:
    round_ = MeetingRound.objects.filter(pk=round_id).first()
    return round_ is not None and can(user, "meetings.view_round", round_)


class RoundConsumer(AsyncJsonWebsocketConsumer):
    user_id: int

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.round_id = int(self.scope.get("url_route", {}).get("kwargs", {}).get("round_id", 0))
        if not await _may_view(user, self.round_id):
            await self.close(code=CLOSE_NOT_FOUND)
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
        """From the hub: this person's events; only this round's hint is kept."""
        if event.get("type") == "_disconnect":
            session = event.get("session")
            if session is None or session == self.session_key:
                asyncio.get_running_loop().create_task(self.close(code=CLOSE_UNAUTHENTICATED))
            return
        if event.get("type") != ROUND_EVENT or event.get("round") != self.round_id:
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
