"""A showcase room with coloured venues publishing through the real server, moderators and observers."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCPeerConnection, RTCSessionDescription

from media.continuity import RTP_TS_MOD, signed_delta
from tests.support.api import Api
from tests.support.media_clients import ToneTrack, publisher_offer
from tests.support.program_clients import ColourTrack, Observer
from tests.support.rooms import Client, create_room, member


@dataclass
class Showcase:
    room_id: str
    host: dict[str, Any]
    venues: dict[str, str]  # colour -> venue id
    host_client: Client
    api: Api  # REST of the server the venues publish to
    pcs: dict[str, RTCPeerConnection] = field(default_factory=dict)  # colour -> publishing peer
    publications: dict[str, str] = field(default_factory=dict)

    def colour_of(self, venue_id: str | None) -> str:
        return next(c for c, v in self.venues.items() if v == venue_id) if venue_id else "slate"


async def showcase(
    api: Api, url: str, colours: tuple[str, ...], agenda: tuple[str | None, ...] = ()
) -> Showcase:
    host = await api.register(display_name="教研员")
    room = await create_room(api, host["token"], kind="showcase", title="网络展示交流")
    rid = room["id"]
    venues: dict[str, str] = {}
    for colour in colours:
        status, v = await api.call(
            "POST", f"/api/rooms/{rid}/venues", token=host["token"], json={"name": colour}
        )
        assert status == 201, v
        venues[colour] = v["id"]
    if agenda:
        segments = [
            {"title": f"第{i + 1}段", "venue_id": venues[c] if c else None, "duration_minutes": 10}
            for i, c in enumerate(agenda)
        ]
        status, body = await api.call("PUT", f"/api/rooms/{rid}/agenda", token=host["token"],
                                      json={"segments": segments})  # fmt: skip
        assert status == 200, body
    client = await Client(url, host["token"]).connect()
    await client.join(rid)
    return Showcase(rid, host, venues, client, api)


async def publish(
    show: Showcase, colour: str, timeout: float = 30, fps: int = 15, codec: str | None = None
) -> None:
    """The host publishes the venue of ``colour`` (hosts may publish any venue of their room; ``codec``:
    the video codec to send, e.g. ``"video/H264"``); returns once the server reports the venue live
    (``GET …/program`` lists it), so it can be taken at once."""
    pc = await publisher_offer(ColourTrack(colour, fps=fps), ToneTrack(), codec=codec)
    reply = await show.host_client.call("media:publish", {
        "room_id": show.room_id, "venue_id": show.venues[colour],
        "sdp": pc.localDescription.sdp, "type": "offer"})  # fmt: skip
    assert reply["ok"], reply
    await pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type=reply["type"]))
    show.pcs[colour] = pc
    show.publications[colour] = reply["publication_id"]
    await live_when(show, lambda live: show.venues[colour] in live, timeout)


async def share_screen(
    show: Showcase, client: Client, colour: str, fps: int = 15
) -> tuple[str, RTCPeerConnection, str]:
    """``client`` shares a screen (课件演示) drawn in ``colour``; returns its target ``screen:<user_id>``,
    the publishing peer and the publication id once the server reports it live (it can be taken then)."""
    pc = await publisher_offer(ColourTrack(colour, fps=fps), ToneTrack())
    reply = await client.call("media:publish", {
        "room_id": show.room_id, "screen": True, "sdp": pc.localDescription.sdp, "type": "offer"})  # fmt: skip
    assert reply["ok"], reply
    await pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type=reply["type"]))
    screen = str(reply["source"])
    await live_when(show, lambda live: screen in live)
    return screen, pc, str(reply["publication_id"])


async def live_when(show: Showcase, pred: Callable[[list[str]], bool], timeout: float = 30) -> list[str]:
    """The venues the server reports live (``GET /api/rooms/{id}/program``) once ``pred`` holds."""
    deadline = time.monotonic() + timeout
    while True:
        status, program = await show.api.call(
            "GET", f"/api/rooms/{show.room_id}/program", token=show.host["token"]
        )
        assert status == 200, program
        if pred(program["live"]):
            return list(program["live"])
        assert time.monotonic() < deadline, f"venues live: {program['live']}"
        await asyncio.sleep(0.05)


async def unpublish(show: Showcase, colour: str) -> None:
    reply = await show.host_client.call("media:unpublish", {"publication_id": show.publications.pop(colour)})
    assert reply["ok"], reply
    await show.pcs.pop(colour).close()


async def person(api: Api, url: str, show: Showcase, role: str) -> Client:
    user = await member(api, show.host["token"], show.room_id, role)
    client = await Client(url, user["token"]).connect()
    await client.join(show.room_id)
    return client


async def watch_program(
    client: Client, room_id: str, source: str = "program", audio: bool = True
) -> Observer:
    observer = Observer(audio=audio)
    offer = await observer.offer()
    reply = await client.call("media:watch", {"room_id": room_id, "source": source,
                                              "sdp": offer.sdp, "type": offer.type})  # fmt: skip
    assert reply["ok"], reply
    await observer.accept(RTCSessionDescription(sdp=reply["sdp"], type=reply["type"]))
    return observer


async def command(client: Client, event: str, room_id: str, **body: Any) -> dict[str, Any]:
    reply = await client.call(event, {"room_id": room_id, **body})
    assert isinstance(reply, dict)
    return reply


def assert_clean(observer: Observer) -> None:
    """Never a mixed frame, one connection that never dropped, and timestamps that never go back."""
    assert "mix" not in {s.colour for s in observer.frames}
    assert observer.states == ["connecting", "connected"], observer.states
    pts = [s.pts for s in observer.frames]
    assert all(signed_delta(b, a, RTP_TS_MOD) > 0 for a, b in itertools.pairwise(pts)), "time went back"


async def program_listed(client: Client, room_id: str) -> None:
    """Wait until ``media:sources`` lists the program feed."""
    while True:
        reply = await client.call("media:sources", {"room_id": room_id})
        if "program" in reply["sources"]:
            return
        await client.wait_for("media:sources", lambda d: "program" in d["sources"])


async def handoffs_when(
    api: Api, show: Showcase, pred: Callable[[list[dict[str, Any]]], bool], timeout: float = 10
) -> list[dict[str, Any]]:
    """The hand-off audit once ``pred`` holds (the owner writes wire times after the switch happened)."""
    deadline = time.monotonic() + timeout
    while True:
        status, rows = await api.call("GET", f"/api/rooms/{show.room_id}/handoffs", token=show.host["token"])
        assert status == 200, rows
        if pred(rows) or time.monotonic() > deadline:
            return list(rows)
        await asyncio.sleep(0.05)
