"""The floor: a raw ``websockets`` broadcast server speaking the same protocol core.

No authentication, no permission check, no database, no Redis: a ``send`` gets the room's next
``seq`` in memory and is broadcast to every subscribed socket. Nothing real can be faster on
this machine; Schoolchat's latency is judged against it.

    python bench/floor_server.py --port 8765
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import defaultdict
from datetime import UTC, datetime

from websockets.asyncio.server import ServerConnection, broadcast, serve

rooms: dict[int, set[ServerConnection]] = defaultdict(set)
seqs: dict[int, int] = defaultdict(int)


async def handler(socket: ServerConnection) -> None:
    await socket.send(json.dumps({"type": "hello", "user": {"id": 0, "name": "floor"}}))
    joined: set[int] = set()
    try:
        async for raw in socket:
            content = json.loads(raw)
            kind = content.get("type")
            conversation = int(content.get("conversation", 0))
            if kind == "subscribe":
                rooms[conversation].add(socket)
                joined.add(conversation)
                await socket.send(json.dumps({"type": "subscribed", "conversation": conversation,
                                              "seq": seqs[conversation]}))
            elif kind == "send":
                seqs[conversation] += 1
                seq = seqs[conversation]
                event = {"type": "message", "conversation": conversation, "seq": seq, "id": seq,
                         "client_id": content.get("client_id"), "sender": {"id": 0},
                         "body": content.get("body"), "created_at": datetime.now(UTC).isoformat()}
                broadcast(rooms[conversation], json.dumps(event))
                await socket.send(json.dumps({"type": "ack", "client_id": content.get("client_id"),
                                              "conversation": conversation, "id": seq,
                                              "seq": seq}))
    finally:
        for conversation in joined:
            rooms[conversation].discard(socket)


async def main(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, ping_interval=None, max_queue=None) as server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(main(parser.parse_args().port))
