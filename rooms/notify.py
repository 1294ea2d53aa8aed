"""Tell the sockets of a room that something changed through REST (every process, via sio's manager)."""

from __future__ import annotations

from typing import Any

import socketio

from server.realtime import channel


def room_channel(room_id: str) -> str:
    """Socket.IO room of everyone who joined ``room_id``."""
    return channel("room", room_id)


def mod_channel(room_id: str) -> str:
    """Socket.IO room of the host and moderators of ``room_id``."""
    return channel("room", room_id, "mod")


async def to_room(sio: socketio.AsyncServer, room_id: str, event: str, data: dict[str, Any]) -> None:
    await sio.emit(event, {"room_id": room_id, **data}, room=room_channel(room_id))
