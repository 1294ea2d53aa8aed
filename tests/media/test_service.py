"""The media service (media/service.py): what clients see of its sockets (the announced address in the
answers' candidates, every socket inside the configured UDP port range while real peers connect), and
1,000 viewer join/leave cycles that leave no tasks, threads, peers or memory behind."""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import weakref
from pathlib import Path

import aiohttp
import socketio
from aiortc import RTCPeerConnection
from aiortc.sdp import SessionDescription

from media.registry import SourceRegistry
from media.service import MediaService
from rooms.permissions import Role
from tests.support.api import Api
from tests.support.coturn import free_port
from tests.support.media import Person, make_venue, person, publish, room_with_host, wait_for, watch
from tests.support.media_clients import CounterTrack, ToneTrack, Viewer, publisher_offer
from tests.support.server import ServerProcess, make_settings, running_server

CYCLES = int(os.environ.get("CYC", "1000"))
CONNECTED_CYCLES = 10


async def test_thousand_viewer_join_leave_cycles_leak_nothing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path / "var", media_ice_loopback=True, media_rtp_timeout=600.0)
    told: list[tuple[str, str]] = []

    async def notify(sid: str, event: str, payload: dict[str, object]) -> None:
        told.append((sid, event))

    service = MediaService(settings, SourceRegistry(), notify)
    await service.start()
    client = await publisher_offer(CounterTrack(), ToneTrack())
    answer, _ = await service.publish("pub", 1, "r1", "venue:v1", client.localDescription.sdp, "offer")
    await client.setRemoteDescription(answer)
    source = service.registry.get("r1", "venue:v1")
    assert source is not None
    await wait_for(lambda: source.video.frames_in > 10)

    # warm-up, then the baseline
    offer_pc = RTCPeerConnection()
    offer_pc.addTransceiver("video", direction="recvonly")
    offer_pc.addTransceiver("audio", direction="recvonly")
    await offer_pc.setLocalDescription(await offer_pc.createOffer())
    offer = offer_pc.localDescription.sdp
    for _ in range(5):
        _, sub = await service.watch("v", 2, "r1", "venue:v1", offer, "offer")
        await service.unwatch("v", sub)
    await asyncio.sleep(0.2)
    gc.collect()
    tasks_before = len(asyncio.all_tasks())
    threads_before = _threads()
    mem_before = _rss()

    refs: list[weakref.ref[object]] = []
    # connected viewers that really receive media, then leave
    for _ in range(CONNECTED_CYCLES):
        viewer = Viewer()
        reply, sub = await service.watch("v", 2, "r1", "venue:v1", **_offer(await viewer.offer()))
        await viewer.accept({"sdp": reply.sdp, "type": reply.type})
        await asyncio.wait_for(viewer.first_frame.wait(), 10)
        refs.append(weakref.ref(service.viewers[sub]))
        await service.unwatch("v", sub)
        await viewer.close()
    # negotiated-only viewers (offer/answer, ICE never completes), the bulk of the 1,000; the
    # in-process camera pauses so its encoder does not slow the loop (the publisher stays attached)
    for t in client.getTransceivers():
        t.sender.replaceTrack(None)
    bulk = CYCLES - CONNECTED_CYCLES
    mem_mid = 0
    for i in range(bulk):
        if i == bulk // 2:
            gc.collect()
            mem_mid = _rss()
        _, sub = await service.watch("v", 2, "r1", "venue:v1", offer, "offer")
        refs.append(weakref.ref(service.viewers[sub]))
        await service.unwatch("v", sub)

    await asyncio.sleep(0.5)
    gc.collect()
    mem_after = _rss()
    assert service.viewers == {} and service.sid_of.keys() == {next(iter(service.publishers))}
    assert source.video.subscribers == set() and source.audio.subscribers == set()
    assert sum(r() is not None for r in refs) == 0, "viewer peers are still referenced"
    assert _threads() <= threads_before
    assert len(asyncio.all_tasks()) <= tasks_before + 2
    # the allocator settles in the first cycles; the second half of the cycles must not grow it
    late_growth = mem_after - mem_mid
    assert late_growth < 3 * 1024 * 1024, f"{late_growth / 1e6:.1f} MB more over the last {bulk // 2} cycles"
    assert mem_after - mem_before < 32 * 1024 * 1024
    assert source.video.frames_in > 0

    await service.stop()
    await client.close()
    await offer_pc.close()


def _offer(offer: dict[str, str]) -> dict[str, str]:
    return {"sdp": offer["sdp"], "type_": offer["type"]}


def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _threads() -> int:
    """Threads other than the loop's default executor (the in-process publisher encodes there)."""
    return sum(1 for t in threading.enumerate() if not t.name.startswith("asyncio_"))


def candidates(sdp: str) -> list[tuple[str, int, str]]:
    """``(address, port, type)`` of every candidate in every media section."""
    return [(c.ip, c.port, c.type) for m in SessionDescription.parse(sdp).media for c in m.ice_candidates]


async def test_answers_carry_the_announced_address(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path / "var", media_ice_loopback=True, media_announced_address="203.0.113.10"
    )
    async with running_server(settings) as server, aiohttp.ClientSession() as http:
        api = Api(http, server.url)
        room_id, host = await room_with_host(server, api)
        venue = await make_venue(server, room_id, host.user_id)
        publication = await publish(host, room_id, venue_id=venue)
        observer = await person(server, api, room_id, Role.OBSERVER)
        viewer, reply = await watch(observer, room_id, f"venue:{venue}")
        for answer in (publication.reply["sdp"], reply["sdp"]):
            found = candidates(answer)
            assert found and {(a, t) for a, _, t in found} == {("203.0.113.10", "host")}, found
            assert "127.0.0.1" not in answer
        await viewer.close()
        await publication.pc.close()
        for p in (host, observer):
            await p.sio.disconnect()


async def test_server_media_sockets_bind_inside_the_port_range(tmp_path: Path) -> None:
    low = min(free_port(), 65535 - 15)
    ports = (low, low + 15)
    srv = ServerProcess(
        tmp_path / "var",
        env={"MOKE_MEDIA_ICE_LOOPBACK": "1", "MOKE_MEDIA_UDP_PORTS": f"{ports[0]}-{ports[1]}"},
    )
    await srv.start()
    try:
        async with aiohttp.ClientSession() as http:
            api = Api(http, srv.url)
            reg = await api.register()
            token = reg["token"]
            status, room = await api.call(
                "POST", "/api/rooms", token=token, json={"title": "网络展示交流", "kind": "showcase"}
            )
            assert status == 201, room
            status, venue = await api.call(
                "POST",
                f"/api/rooms/{room['id']}/venues",
                token=token,
                json={"name": "三小", "presenter_id": reg["user"]["id"]},
            )
            assert status == 201, venue
            client = socketio.AsyncClient(reconnection=False)
            await client.connect(srv.url, auth={"token": token}, transports=["websocket"])
            host = Person(reg["user"]["id"], token, client)
            publication = await publish(host, room["id"], venue_id=venue["id"])
            viewer, reply = await watch(host, room["id"], f"venue:{venue['id']}")
            await wait_for(lambda: len(viewer.counters) >= 10, timeout=30)  # media flows through them
            for answer in (publication.reply["sdp"], reply["sdp"]):
                found = candidates(answer)
                assert found and all(ports[0] <= port <= ports[1] for _, port, _ in found), (ports, found)
            await viewer.close()
            await publication.pc.close()
            await client.disconnect()
    except BaseException:
        srv.kill()  # a failure above may leave peers open: do not wait for them
        raise
    assert srv.terminate() == 0
