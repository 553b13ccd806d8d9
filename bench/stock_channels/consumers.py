"""The tutorial consumer: ``group_add`` on subscribe, ``group_send`` on send.

It speaks the same protocol core as Schoolchat (hello, subscribe/subscribed, send/ack, message)
so the same load generator drives it. ``seq`` is a per-process counter: there is no database.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

_seq = itertools.count(1)


class RoomConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.groups_joined: set[str] = set()
        await self.accept()
        await self.send_json({"type": "hello", "user": {"id": 0, "name": "stock"}})

    async def disconnect(self, code: int) -> None:
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        conversation = int(content.get("conversation", 0))
        group = f"conv{conversation}"
        if content.get("type") == "subscribe":
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.add(group)
            await self.send_json({"type": "subscribed", "conversation": conversation, "seq": 0})
        elif content.get("type") == "send":
            seq = next(_seq)
            event = {"type": "message", "conversation": conversation, "seq": seq, "id": seq,
                     "client_id": content.get("client_id"), "sender": {"id": 0},
                     "body": content.get("body"), "created_at": datetime.now(UTC).isoformat()}
            await self.channel_layer.group_send(group, {"type": "chat.message", "event": event})
            await self.send_json({"type": "ack", "client_id": content.get("client_id"),
                                  "conversation": conversation, "id": seq, "seq": seq})

    async def chat_message(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])
