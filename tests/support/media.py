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
from tests.support.impair import Impairment, UdpImpairer, rewrite_candidates
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
    relay: UdpImpairer | None = None


class Link:
    """An impaired link between one aiortc client and the server (see ``tests.support.impair``):
    the client's candidates go to the server as the relay's side b, the server's come back as side a."""

    def __init__(self, impairment: Impairment, seed: int = 0) -> None:
        self.relay = UdpImpairer(impairment, seed=seed)

    async def offer(self, sdp: str) -> str:
        await self.relay.start()
        return rewrite_candidates(sdp, self.relay.b_address)

    def answer(self, sdp: str) -> str:
        return rewrite_candidates(sdp, self.relay.a_address)


async def publish(who: Person, room_id: str, *, venue_id: str | None = None, seat: bool = False,
                  screen: bool = False, codec: str | None = None, link: Link | None = None,
                  camera: CounterTrack | None = None) -> Publication:  # fmt: skip
    """Publish a camera (``venue_id`` or ``seat``) or a shared screen (``screen``: ``screen:<user_id>``)."""
    camera = camera or CounterTrack()
    pc = await publisher_offer(camera, ToneTrack(), codec=codec)
    target: dict[str, Any] = (
        {"seat": True} if seat else {"screen": True} if screen else {"venue_id": venue_id}
    )
    sdp = pc.localDescription.sdp if link is None else await link.offer(pc.localDescription.sdp)
    reply = await who.call("media:publish", {"room_id": room_id, **target, "sdp": sdp, "type": "offer"})
    assert reply["ok"], reply
    from aiortc import RTCSessionDescription

    answer = reply["sdp"] if link is None else link.answer(reply["sdp"])
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type=reply["type"]))
    return Publication(pc, camera, reply, link.relay if link else None)


async def watch(
    who: Person,
    room_id: str,
    source: str,
    *,
    audio: bool = True,
    lose_every: int = 0,
    link: Link | None = None,
    viewer: Viewer | None = None,
) -> tuple[Viewer, dict[str, Any]]:
    viewer = viewer or Viewer(audio=audio, lose_every=lose_every)
    offer = await viewer.offer()
    if link is not None:
        offer["sdp"] = await link.offer(offer["sdp"])
    reply = await who.call("media:watch", {"room_id": room_id, "source": source, **offer})
    assert reply["ok"], reply
    await viewer.accept(reply if link is None else {**reply, "sdp": link.answer(reply["sdp"])})
    return viewer, reply


async def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)
