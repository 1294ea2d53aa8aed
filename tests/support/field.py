"""Field-test helpers: a deployment in network namespaces, a showcase on it, and aiortc peers inside the school."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import socketio

from tests.support.api import Api
from tests.support.coturn import Coturn
from tests.support.netns import SchoolNetwork
from tests.support.tls import TestCA


@dataclass
class Deployment:
    """What the district runs in the server namespace, and how a school PC reaches it."""

    net: SchoolNetwork
    url: str  # the HTTPS origin, as the school sees it
    ca: TestCA
    spki: list[str]  # SPKI hashes of the server's and the TURN server's certificates (Chromium trusts them)
    turn: Coturn
    directory: Path

    def http(self) -> aiohttp.ClientSession:
        """A client session that trusts the test CA (create it inside the loop that uses it)."""
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=self.ca.client_context()))


@dataclass
class Showcase:
    room_id: str
    venue_id: str
    host: dict[str, Any]  # token responses (what the web client keeps as its session)
    presenter: dict[str, Any]
    observer: dict[str, Any]


async def showcase(dep: Deployment) -> Showcase:
    """Over REST: a showcase room with one venue, its presenter, and an observer (a guest)."""
    async with dep.http() as http:
        api = Api(http, dep.url)
        host = await api.register(display_name="教研员")
        presenter = await api.register(display_name="三小执教")
        status, room = await api.call("POST", "/api/rooms", token=host["token"],
                                      json={"title": "网络展示交流", "kind": "showcase"})  # fmt: skip
        assert status == 201, room
        rid = room["id"]
        code = await _invite(api, host, rid, "presenter")
        status, body = await api.call("POST", "/api/invites/redeem", token=presenter["token"],
                                      json={"code": code})  # fmt: skip
        assert status == 200, body
        code = await _invite(api, host, rid, "observer")
        status, observer = await api.call("POST", "/api/auth/guest", json={"code": code,
                                          "display_name": "观课老师", "school": "二小"})  # fmt: skip
        assert status in (200, 201), observer
        status, venue = await api.call("POST", f"/api/rooms/{rid}/venues", token=host["token"],
                                       json={"name": "三小", "presenter_id": presenter["user"]["id"]})  # fmt: skip
        assert status == 201, venue
        return Showcase(rid, venue["id"], host, presenter, observer)


async def _invite(api: Api, host: dict[str, Any], room_id: str, role: str) -> str:
    status, inv = await api.call("POST", f"/api/rooms/{room_id}/invites", token=host["token"],
                                 json={"role": role})  # fmt: skip
    assert status == 201, inv
    return str(inv["code"])


async def wait_live(dep: Deployment, show: Showcase, timeout: float = 30) -> None:
    """Until the server lists the venue as live (its publisher's media arrives)."""
    async with dep.http() as http:
        api = Api(http, dep.url)
        deadline = time.monotonic() + timeout
        while True:
            status, program = await api.call("GET", f"/api/rooms/{show.room_id}/program",
                                             token=show.host["token"])  # fmt: skip
            assert status == 200, program
            if show.venue_id in program["live"]:
                return
            assert time.monotonic() < deadline, f"venue never live: {program}"
            await asyncio.sleep(0.1)


async def connect(
    dep: Deployment, http: aiohttp.ClientSession, session: dict[str, Any]
) -> socketio.AsyncClient:
    """A Socket.IO client signed in as ``session`` (a token response)."""
    sio = socketio.AsyncClient(reconnection=False, handle_sigint=False, http_session=http)
    await sio.connect(dep.url, auth={"token": session["token"]}, transports=["websocket"], wait_timeout=10)
    return sio


async def put_on_program(dep: Deployment, show: Showcase) -> None:
    """Once the venue is live, the host switches the program to it (``venue:switch`` over Socket.IO)."""
    await wait_live(dep, show)
    async with dep.http() as http:
        sio = await connect(dep, http, show.host)
        try:
            joined = await sio.call("room:join", {"room_id": show.room_id}, timeout=10)
            assert joined["ok"], joined
            # epoch 0: nothing has been switched in this fresh room yet
            reply = await sio.call("venue:switch", {"room_id": show.room_id, "venue_id": show.venue_id,
                                                    "epoch": 0}, timeout=10)  # fmt: skip
            assert reply["ok"], reply
        finally:
            await sio.disconnect()
