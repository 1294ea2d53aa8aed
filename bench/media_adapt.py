"""Per-viewer temporal layers on capped links: decoded frame rate, freezes, layer and bit rate, adaptation on/off.

Headless Chromium publishes a 640×480 canvas (the counter pattern and a moving band of noise, so the encoder
spends its whole budget) as VP8 L1T3 at ``--kbps`` into the relay's publisher peer, in this process (the
building blocks, no ``moke serve``). Per link cap (user-space ``tests/support/impair.py``, server → viewer,
64 KB queue) and mode, a fresh aiortc viewer watches for ``--seconds``:

* ``adapt``: the viewer's layer follows its RTCP (``media/layers.py``).
* ``off``: the viewer is pinned to the top layer: every frame, as before temporal layers (one layer).

Printed per run: decoded fps, freezes (gaps > 1 s between decoded pictures) and the longest gap, the layer at
the end and its switches, and the bit rate that crossed the cap. Numbers, never pass/fail. Heavy on CPU
(Chromium encodes, the viewer decodes 640×480): run it on a quiet machine.

    python bench/media_adapt.py [--seconds 20] [--kbps 1500] [--caps 0.5 1 2 5] [--modes adapt off]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from media import aiortc_hooks  # noqa: E402
from media.peers import ViewerPeer, parse_offer  # noqa: E402
from media.registry import MediaSource, SourceRegistry  # noqa: E402
from tests.support.impair import Impairment, UdpImpairer  # noqa: E402
from tests.support.layered_vp8 import chromium_publisher  # noqa: E402
from tests.support.media import Link  # noqa: E402
from tests.support.media_clients import Viewer, no_ice  # noqa: E402


async def one_run(source: MediaSource, cap_mbps: float, mode: str, seconds: float) -> dict[str, object]:
    link = Link(Impairment())
    link.relay = UdpImpairer(Impairment(), Impairment(rate_bps=cap_mbps * 1e6), seed=1)
    viewer = Viewer(audio=False)
    peer = ViewerPeer(source, no_ice(), None, user_id=2)
    offer = await viewer.offer()
    answer = await peer.answer(parse_offer(await link.offer(offer["sdp"]), "offer"))
    await viewer.accept({"sdp": link.answer(answer.sdp), "type": "answer"})
    [track] = peer.tracks
    if mode == "off":
        peer.pin_layer(2, None)
    deadline = time.monotonic() + 20
    while not viewer.counters and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    start, bytes0 = time.monotonic(), link.relay.stats["b->a"].bytes_delivered
    await asyncio.sleep(seconds)
    end = time.monotonic()
    times = [start] + [t for t, _ in viewer.counters if start <= t <= end] + [end]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    result: dict[str, object] = {
        "cap": cap_mbps,
        "mode": mode,
        "fps": (len(times) - 2) / seconds,
        "freezes": sum(g > 1.0 for g in gaps),
        "longest": max(gaps),
        "layer": track.layers.current,
        "switches": track.layers.switches,
        "kbps": (link.relay.stats["b->a"].bytes_delivered - bytes0) * 8 / seconds / 1000,
    }
    await viewer.close()
    await peer.close()
    link.relay.close()
    return result


async def run(args: argparse.Namespace) -> None:
    aiortc_hooks.use_loopback_candidates(True)
    source = SourceRegistry().ensure("bench", "venue:chromium")
    results = []
    async with chromium_publisher(source, width=640, height=480, kbps=args.kbps, noise=True):
        await asyncio.sleep(3)  # the encoder reaches its rate
        for cap in args.caps:
            for mode in args.modes:
                results.append(await one_run(source, cap, mode, args.seconds))
                r = results[-1]
                print(f"cap {cap:>4} Mbit/s {mode:>5}: {r['fps']:5.1f} fps, freezes {r['freezes']} "
                      f"(longest {r['longest']:.1f} s), layer {r['layer']} after {r['switches']} switches, "
                      f"{r['kbps']:.0f} kbit/s", flush=True)  # fmt: skip
    print(f"\npublisher ~{args.kbps} kbit/s VP8 L1T3 640x480; {args.seconds:.0f} s measured per run")
    print(
        f"{'cap Mbit/s':>10} | {'adapt: fps  freezes  layer  kbit/s':>36} | {'off: fps  freezes  kbit/s':>27}"
    )
    for cap in args.caps:
        row = {r["mode"]: r for r in results if r["cap"] == cap}
        a, o = row.get("adapt"), row.get("off")
        left = f"{a['fps']:9.1f} {a['freezes']:8} {a['layer']:6} {a['kbps']:7.0f}" if a else ""
        right = f"{o['fps']:9.1f} {o['freezes']:8} {o['kbps']:7.0f}" if o else ""
        print(f"{cap:>10} | {left:>36} | {right:>27}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per run")
    parser.add_argument("--kbps", type=int, default=1500, help="the publisher's VP8 bit rate")
    parser.add_argument("--caps", type=float, nargs="+", default=[0.5, 1.0, 2.0, 5.0], help="Mbit/s")
    parser.add_argument("--modes", nargs="+", default=["adapt", "off"], choices=["adapt", "off"])
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
