"""A room with people in roles, Socket.IO clients and aiortc peers signalled through the real server."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import socketio

from rooms.models import Venue
from rooms.permissions import Role
from server.db import Database
from tests.support.api import Api, add_member, make_room
from tests.support.media_clients import CounterTrack, ToneTrack, Viewer, publisher_offer
from tests.support.server import RunningServer


@dataclass
class Person:
    user_id: int
    token: str
    sio: socketio.AsyncClient
    events: list[tuple[str, Any]] = field(default_factory=list)

    async def call(self, event: str, data: Any) -> dict[str, Any]:
        reply = await self.sio.call(event, data, timeout=20)
        assert isinstance(reply, dict)
        return reply


async def person(server: RunningServer, api: Api, room_id: str | None, role: Role | None) -> Person:
    reg = await api.register()
    if room_id is not None and role is not None:
        await add_member(server.ctx.db, room_id, reg["user"]["id"], role)
    client = socketio.AsyncClient(reconnection=False)
    p = Person(reg["user"]["id"], reg["token"], client)
    for event in ("media:ended", "media:sources"):
        client.on(event, lambda data, e=event: p.events.append((e, data)))
    await client.connect(server.url, auth={"token": reg["token"]}, transports=["websocket"])
    return p


async def room_with_host(server: RunningServer, api: Api) -> tuple[str, Person]:
    reg = await api.register()
    room_id = await make_room(server.ctx.db, reg["user"]["id"], kind="trial")
    client = socketio.AsyncClient(reconnection=False)
    host = Person(reg["user"]["id"], reg["token"], client)
    await client.connect(server.url, auth={"token": reg["token"]}, transports=["websocket"])
    return room_id, host


async def make_venue(
    server: RunningServer | Database, room_id: str, presenter_id: int | None, name: str = "三小"
) -> str:
    """Insert a venue row (the rooms REST API owns venues; media only reads them)."""
    venue_id = uuid.uuid4().hex[:12]
    db = server if isinstance(server, Database) else server.ctx.db
    async with db.transaction() as session:
        session.add(Venue(id=venue_id, room_id=room_id, name=name, presenter_id=presenter_id, position=0))
    return venue_id


@dataclass
class Publication:
    pc: Any
    camera: CounterTrack
    reply: dict[str, Any]


async def publish(who: Person, room_id: str, *, venue_id: str | None = None, seat: bool = False,
                  codec: str | None = None) -> Publication:  # fmt: skip
    camera = CounterTrack()
    pc = await publisher_offer(camera, ToneTrack(), codec=codec)
    target: dict[str, Any] = {"seat": True} if seat else {"venue_id": venue_id}
    reply = await who.call("media:publish", {"room_id": room_id, **target, "sdp": pc.localDescription.sdp,
                                              "type": "offer"})  # fmt: skip
    assert reply["ok"], reply
    from aiortc import RTCSessionDescription

    await pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type=reply["type"]))
    return Publication(pc, camera, reply)


async def watch(
    who: Person, room_id: str, source: str, *, audio: bool = True, lose_every: int = 0
) -> tuple[Viewer, dict[str, Any]]:
    viewer = Viewer(audio=audio, lose_every=lose_every)
    reply = await who.call("media:watch", {"room_id": room_id, "source": source, **await viewer.offer()})
    assert reply["ok"], reply
    await viewer.accept(reply)
    return viewer, reply


async def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)
