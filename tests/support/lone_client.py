"""A python-socketio client in its own process: connects, joins a room, prints ``joined``, then waits.

``python -m tests.support.lone_client URL TOKEN ROOM_ID`` — the presence tests stop it with SIGSTOP to play a
client whose network vanished (its TCP connection stays open, it answers no pings).
"""

from __future__ import annotations

import asyncio
import sys

import socketio


async def main(url: str, token: str, room_id: str) -> None:
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=30)
    reply = await client.call("room:join", {"room_id": room_id}, timeout=30)
    if not reply.get("ok"):
        raise SystemExit(f"join failed: {reply}")
    print("joined", flush=True)
    await client.wait()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
