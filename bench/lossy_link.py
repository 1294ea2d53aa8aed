"""Lossy rural links: one venue published and watched through impaired links, retransmission on and off.

A ``moke serve`` subprocess; in this process an aiortc publisher (frame counter drawn in, 30 fps, a
tone) and an aiortc viewer that decodes every frame of the venue's feed. Each talks to the server
through its own user-space impaired link (``tests/support/impair.py``: the kernel has no netem), both
directions impaired alike. Per configuration it prints the viewer's decoded frame rate, freezes
(gaps > 500 ms between decoded frames), frames never decoded, and the retransmissions of both legs
from the server's own counters (``GET /api/rooms/{id}/media``). Numbers, never pass/fail.

Retransmission modes:

* ``rtx``: what Moke negotiates with browsers: NACK, answered over RTX (RFC 4588) from history.
* ``nack``: no RTX in the offers: NACKs answered by resending on the media SSRC.
* ``off``: nobody repairs anything: the publisher ignores the server's NACKs and the viewer sends none
  (the server still sends its NACKs and keyframe requests; the viewer still sends PLIs).

    python bench/lossy_link.py [--seconds 15] [--loss 0.05] [--delay 0.05] [--jitter 0.02] [--rate 2e6]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription  # noqa: E402

from media import aiortc_hooks  # noqa: E402
from tests.support.api import Api  # noqa: E402
from tests.support.impair import Impairment  # noqa: E402
from tests.support.media import Link  # noqa: E402
from tests.support.media_clients import CounterTrack, ToneTrack, Viewer  # noqa: E402
from tests.support.server import ServerProcess  # noqa: E402
from tests.support.venues import Showcase, person, showcase  # noqa: E402

FREEZE = 0.5  # seconds without a decoded frame
MODES = ("rtx", "nack", "off")


@dataclass
class Result:
    link: str
    mode: str
    fps: float = 0.0
    freezes: int = 0
    frozen: float = 0.0  # seconds spent in freezes
    missing: int = 0  # frames the publisher sent that the viewer never decoded
    up_kbps: float = 0.0
    up_lost: int = 0  # datagrams the links dropped, publisher -> server
    down_lost: int = 0  # server -> viewer
    pub_nacked: int = 0
    pub_rtx: int = 0
    viewer_nacked: int = 0
    resent: int = 0
    keyframe_requests: int = 0
    gaps: int = 0


async def publish(show: Showcase, mode: str, link: Link) -> RTCPeerConnection:
    camera = CounterTrack(fps=30)
    pc = RTCPeerConnection()
    for track in (ToneTrack(), camera):
        transceiver = pc.addTransceiver(track, direction="sendonly")
        if track.kind == "video" and mode != "rtx":
            caps = RTCRtpSender.getCapabilities("video").codecs
            transceiver.setCodecPreferences([c for c in caps if c.mimeType == "video/VP8"])
        if track.kind == "video" and mode == "off":

            async def ignore(sequence_number: int) -> None:
                return None

            transceiver.sender._retransmit = ignore  # type: ignore[method-assign]
    await pc.setLocalDescription(await pc.createOffer())
    venue = next(iter(show.venues.values()))
    reply = await show.host_client.call("media:publish", {
        "room_id": show.room_id, "venue_id": venue,
        "sdp": await link.offer(pc.localDescription.sdp), "type": "offer"})  # fmt: skip
    assert reply["ok"], reply
    await pc.setRemoteDescription(RTCSessionDescription(sdp=link.answer(reply["sdp"]), type=reply["type"]))
    return pc


class BenchViewer(Viewer):
    """The test viewer, with RTX left out of its offer (``nack``) or sending no NACKs at all (``off``)."""

    def __init__(self, mode: str) -> None:
        super().__init__(audio=False)
        self.mode = mode
        if mode != "rtx":
            [transceiver] = self.pc.getTransceivers()
            caps = RTCRtpSender.getCapabilities("video").codecs
            transceiver.setCodecPreferences([c for c in caps if c.mimeType == "video/VP8"])
        if mode == "off":
            [transceiver] = self.pc.getTransceivers()
            transceiver.receiver._RTCRtpReceiver__nack_generator = None  # type: ignore[attr-defined]


async def source_status(api: Api, show: Showcase) -> dict[str, Any]:
    status, body = await api.call("GET", f"/api/rooms/{show.room_id}/media", token=show.host["token"])
    assert status == 200, body
    venue = next(iter(show.venues.values()))
    [src] = [s for s in body["sources"] if s["source"] == f"venue:{venue}"]
    return dict(src)


async def run_one(
    api: Api, url: str, name: str, impairment: Impairment, mode: str, seconds: float, seed: int
) -> Result:
    show = await showcase(api, url, ("red",))
    observer = await person(api, url, show, "observer")
    uplink, downlink = Link(impairment, seed=seed), Link(impairment, seed=seed + 1)
    pc = await publish(show, mode, uplink)
    viewer = BenchViewer(mode)
    try:
        venue = next(iter(show.venues.values()))
        deadline = time.monotonic() + 30
        while (await source_status(api, show))["frames_in"] < 30:  # live before the viewer comes
            assert time.monotonic() < deadline, "the venue never went live"
            await asyncio.sleep(0.1)
        offer = await viewer.offer()
        reply = await observer.call("media:watch", {"room_id": show.room_id, "source": f"venue:{venue}",
                                                    "sdp": await downlink.offer(offer["sdp"]), "type": "offer"})  # fmt: skip
        assert reply["ok"], reply
        await viewer.accept({**reply, "sdp": downlink.answer(reply["sdp"])})
        await asyncio.wait_for(viewer.first_frame.wait(), 30)
        up_bytes = uplink.relay.stats["a->b"].bytes_delivered
        started = time.monotonic()
        await asyncio.sleep(seconds)
        ended = time.monotonic()
        src = await source_status(api, show)
        up_bytes = uplink.relay.stats["a->b"].bytes_delivered - up_bytes
    finally:
        await viewer.close()
        await pc.close()
        uplink.relay.close()
        downlink.relay.close()
        for client in (observer, show.host_client):
            await client.close()
    seen = [(at, n) for at, n in viewer.counters if started <= at <= ended]
    times = [at for at, _ in seen]
    gaps = [b - a for a, b in itertools.pairwise([started, *times, ended])]
    numbers = [n for _, n in seen]
    return Result(
        link=name,
        mode=mode,
        fps=len(seen) / (ended - started),
        freezes=sum(1 for g in gaps if g > FREEZE),
        frozen=sum(g for g in gaps if g > FREEZE),
        missing=(numbers[-1] - numbers[0] + 1 - len(set(numbers))) if numbers else 0,
        up_kbps=up_bytes * 8 / (ended - started) / 1000,
        up_lost=uplink.relay.stats["a->b"].dropped_loss + uplink.relay.stats["a->b"].dropped_queue,
        down_lost=downlink.relay.stats["b->a"].dropped_loss + downlink.relay.stats["b->a"].dropped_queue,
        pub_nacked=src["publisher_nacked"],
        pub_rtx=src["publisher_rtx_received"],
        viewer_nacked=src["viewer_nacked"],
        resent=src["retransmits"],
        keyframe_requests=src["keyframe_requests"],
        gaps=src["publisher_gaps"],
    )


def report(args: argparse.Namespace, results: list[Result]) -> None:
    print(f"\nlossy_link: 1 venue (aiortc, 320x240 VP8 @ 30 fps) -> moke -> 1 decoding viewer, "
          f"{args.seconds:.0f} s per row; impaired = {args.loss:.0%} loss, {args.delay * 1000:.0f} ± "
          f"{args.jitter * 1000:.0f} ms, {args.rate / 1e6:g} Mbit/s cap, both links, both ways\n")  # fmt: skip
    head = (f"{'link':<9}{'repair':<7}{'fps':>6}{'freezes':>8}{'frozen s':>9}{'missing':>8}{'up kb/s':>8}"
            f"{'lost up':>8}{'lost dn':>8}{'NACKed up':>10}{'RTX up':>7}{'NACKed dn':>10}{'resent':>7}{'PLI up':>7}{'gaps up':>8}")  # fmt: skip
    print(head)
    for r in results:
        print(f"{r.link:<9}{r.mode:<7}{r.fps:>6.1f}{r.freezes:>8}{r.frozen:>9.1f}{r.missing:>8}{r.up_kbps:>8.0f}"
              f"{r.up_lost:>8}{r.down_lost:>8}{r.pub_nacked:>10}{r.pub_rtx:>7}{r.viewer_nacked:>10}"
              f"{r.resent:>7}{r.keyframe_requests:>7}{r.gaps:>8}")  # fmt: skip
    print(
        "\nfps: frames decoded per second at the viewer (the publisher sends 30); freezes: gaps > 500 ms;"
        " missing: frames never decoded;\nlost up/dn: datagrams the links dropped (publisher->server,"
        " server->viewer); NACKed up: sequence numbers the server asked the publisher for;\nRTX up:"
        " retransmissions received over RTX; NACKed dn: asked by the viewer; resent: answered from the"
        " server's history;\nPLI up: keyframe requests the server sent the publisher; gaps up: lost packets"
        " the server gave up on (no retransmission within 0.6 s: frames dropped until a keyframe).\n"
        "The viewer is aiortc: its receiver NACKs only when a new gap appears and, with no NACKs (off),"
        " waits for a lost packet until 512 packets pile up (a browser skips and sends a PLI)."
    )


async def run(args: argparse.Namespace) -> None:
    aiortc_hooks.use_loopback_candidates(True)
    links = {
        "clean": Impairment(),
        "impaired": Impairment(loss=args.loss, delay=args.delay, jitter=args.jitter, rate_bps=args.rate),
    }
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {"MOKE_MEDIA_ICE_LOOPBACK": "1", "MOKE_LOG_LEVEL": "WARNING", "MOKE_MEDIA_RTP_TIMEOUT": "60"}
        proc = await ServerProcess(Path(tmp) / "var", env=env).start()
        try:
            async with aiohttp.ClientSession() as session:
                api = Api(session, proc.url)
                for seed, (name, mode) in enumerate(itertools.product(args.links, args.modes)):
                    print(f"{name} / {mode} ...", file=sys.stderr, flush=True)
                    results.append(
                        await run_one(api, proc.url, name, links[name], mode, args.seconds, seed * 2)
                    )
        finally:
            proc.kill()
    report(args, results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="measured seconds per configuration")
    parser.add_argument("--loss", type=float, default=0.05)
    parser.add_argument("--delay", type=float, default=0.05, help="one-way, seconds")
    parser.add_argument("--jitter", type=float, default=0.02, help="uniform ±, seconds")
    parser.add_argument("--rate", type=float, default=2e6, help="bits per second")
    parser.add_argument("--links", nargs="+", default=["clean", "impaired"], choices=["clean", "impaired"])
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
