"""The media service (media/service.py): 1,000 viewer join/leave cycles leave no tasks, threads, peers or memory behind."""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import weakref

from aiortc import RTCPeerConnection

from media.registry import SourceRegistry
from media.service import MediaService
from tests.support.media import wait_for
from tests.support.media_clients import CounterTrack, ToneTrack, Viewer, publisher_offer
from tests.support.server import make_settings

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
