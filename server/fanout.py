"""Socket.IO client managers whose broadcasts queue one packet per recipient directly.

python-socketio's ``AsyncManager.emit`` starts one asyncio task per recipient to put the (already encoded)
packet on that client's send queue, then waits for them all. In a room of 500 that is 500 tasks per chat
message, and creating and running them cost the server more CPU than writing the frames
(``bench/room_fanout.py``). Putting on the queue never blocks, so :class:`DirectEmit` does it in a loop.
Emits with a callback (one ack id per recipient) keep the library's path. :class:`RedisManager` is the same
for several processes: the Redis manager's local delivery goes through :class:`DirectEmit` too.
"""

from __future__ import annotations

import logging
from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet

log = logging.getLogger(__name__)


class DirectEmit(socketio.AsyncManager):
    async def emit(  # type: ignore[no-untyped-def]
        self, event, data, namespace, room=None, skip_sid=None, callback=None, to=None, **kwargs
    ):
        room = to or room
        if callback is not None or namespace not in self.rooms:
            return await super().emit(
                event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs
            )
        args: list[Any] = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        skip = set(skip_sid) if isinstance(skip_sid, list) else {skip_sid}
        encoded = self.server.packet_class(packet.EVENT, namespace=namespace, data=[event, *args]).encode()
        frames = [
            eio_packet.Packet(eio_packet.MESSAGE, p)
            for p in (encoded if isinstance(encoded, list) else [encoded])
        ]
        for sid, eio_sid in list(self.get_participants(namespace, room)):
            if sid in skip:
                continue
            for frame in frames:
                try:
                    await self.server._send_eio_packet(eio_sid, frame)
                except Exception:  # one broken connection must not stop the others' delivery
                    log.exception("socket.io send failed sid=%s event=%s", sid, event)


class RedisManager(socketio.AsyncRedisManager, DirectEmit):
    """python-socketio's Redis manager (across processes) with :class:`DirectEmit` for this process's clients."""
