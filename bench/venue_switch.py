"""Main-venue hand-off benchmark: V venues, N observers on the program feed, H hand-offs.

A ``moke serve`` subprocess; in this process, V aiortc publishers (each its own colour, 30 fps,
frame counter drawn in) and N aiortc observers that decode every frame of the program feed and
classify its colour. A moderator issues ``venue:switch`` H times, round robin over the venues.

Per hand-off and observer it measures the time from sending the command to the first decoded frame
of the new venue, and the longest gap between consecutive decoded frames around the switch, next to
the same observers' normal inter-frame gap. Side by side, the peer: an observer that switches the way
a client without a program feed would — closing its connection and watching the new venue's own
feed on a fresh one (ICE + DTLS + keyframe). Prints numbers, never pass/fail.

Then C quick cue-and-takes ("cue then take after 100 ms"): the moderator cues a venue into preview
(whose switcher asks it for a keyframe) and takes it 100 ms later. The publishers ignore a keyframe
request within 300 ms of the last one they acted on, as libwebrtc's encoder does (Chromium, Safari;
``EncoderRtcpFeedback``), so the take's request is ignored and the cut waits for the server's re-ask.

    python bench/venue_switch.py [--venues 3] [--observers 20] [--handoffs 50] [--every 1.0] [--cue-takes 10]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiortc import RTCPeerConnection  # noqa: E402

from media import aiortc_hooks  # noqa: E402
from tests.support.api import Api  # noqa: E402
from tests.support.program_clients import Observer, Seen  # noqa: E402
from tests.support.rooms import Client  # noqa: E402
from tests.support.server import ServerProcess  # noqa: E402
from tests.support.venues import (  # noqa: E402
    Showcase,
    command,
    person,
    program_listed,
    publish,
    showcase,
    watch_program,
)  # fmt: skip

COLOURS = ("red", "green", "blue")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def reconnect_peer(show: Showcase, viewer, colour: str) -> float:  # type: ignore[no-untyped-def]
    """The peer: a fresh connection to the venue's own feed; seconds until its first decoded frame."""
    started = time.monotonic()
    observer = await watch_program(viewer, show.room_id, f"venue:{show.venues[colour]}")
    try:
        first = await observer.wait_colour(colour, after=started, frames=1, timeout=20)
    except AssertionError:
        return float("inf")  # no frame within 20 s: counted as a failed sample
    finally:
        await observer.close()
    return first - started


async def run(args: argparse.Namespace) -> None:
    aiortc_hooks.use_loopback_candidates(True)
    colours = COLOURS[: args.venues]
    with tempfile.TemporaryDirectory() as tmp:
        # publishers on an overloaded machine can stall for seconds: this measures switching, not loss detection
        env = {"MOKE_MEDIA_ICE_LOOPBACK": "1", "MOKE_LOG_LEVEL": "WARNING", "MOKE_MEDIA_RTP_TIMEOUT": "60"}
        proc = await ServerProcess(Path(tmp) / "var", env=env).start()
        try:
            async with aiohttp.ClientSession() as session:
                await measure(args, Api(session, proc.url), proc.url, colours)
        finally:
            proc.kill()


async def observe(url: str, token: str, room_id: str, count: int) -> None:
    """Worker process: ``count`` observers on the program feed until a line arrives on stdin."""
    aiortc_hooks.use_loopback_candidates(True)
    client = await Client(url, token).connect()
    await client.join(room_id)
    observers = [await watch_program(client, room_id, audio=False) for _ in range(count)]
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    states = [list(o.states) for o in observers]
    frames = [[(f.at, f.colour) for f in o.frames] for o in observers]
    for o in observers:
        await o.close()
    await client.close()
    print(json.dumps({"states": states, "frames": frames}), flush=True)


async def start_workers(
    args: argparse.Namespace, api: Api, url: str, show: Showcase
) -> list[subprocess.Popen[str]]:
    workers = []
    per = [args.observers // args.procs + (i < args.observers % args.procs) for i in range(args.procs)]
    for count in per:
        user = await person(api, url, show, "observer")
        token = user.token
        await user.close()
        workers.append(subprocess.Popen(
            [sys.executable, __file__, "--worker", url, token, show.room_id, str(count)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True))  # fmt: skip
    loop = asyncio.get_running_loop()
    for w in workers:
        assert w.stdout is not None
        line = await loop.run_in_executor(None, w.stdout.readline)
        assert line.strip() == "ready", line
    return workers


async def collect(workers: list[subprocess.Popen[str]]) -> list[Observer]:
    observers = []
    loop = asyncio.get_running_loop()
    for w in workers:
        assert w.stdin is not None and w.stdout is not None
        w.stdin.write("stop\n")
        w.stdin.flush()
    for w in workers:
        assert w.stdout is not None
        data: dict[str, Any] = json.loads(await loop.run_in_executor(None, w.stdout.read))
        w.wait(30)
        print(f"worker {w.pid}: {len(data['frames'])} observers", file=sys.stderr, flush=True)
        for states, frames in zip(data["states"], data["frames"], strict=True):
            o = Observer.__new__(Observer)
            o.states = states
            o.frames = [Seen(at, colour, -1, 0) for at, colour in frames]
            observers.append(o)
    return observers


KEYFRAME_WINDOW = 0.3  # libwebrtc's kMinKeyframeSendIntervalMs


def throttle_keyframes_like_libwebrtc(pc: RTCPeerConnection) -> None:
    """Make an aiortc publisher ignore a PLI/FIR within 300 ms of the last one it acted on."""
    [sender] = [t.sender for t in pc.getTransceivers() if t.sender.track and t.sender.track.kind == "video"]
    act = sender._send_keyframe
    acted = [-1e9]

    def on_request() -> None:
        now = time.monotonic()
        if now - acted[0] >= KEYFRAME_WINDOW:
            acted[0] = now
            act()

    sender._send_keyframe = on_request  # type: ignore[method-assign]


async def measure(args: argparse.Namespace, api: Api, url: str, colours: tuple[str, ...]) -> None:
    show = await showcase(api, url, colours)
    for colour in colours:
        await publish(show, colour, fps=args.fps)
        throttle_keyframes_like_libwebrtc(show.pcs[colour])
    moderator = await person(api, url, show, "moderator")
    viewer = await person(api, url, show, "observer")
    await program_listed(viewer, show.room_id)
    r = await command(moderator, "venue:switch", show.room_id, venue_id=show.venues[colours[0]], epoch=0)
    epoch, current = r["state"]["epoch"], colours[0]
    print(f"venues publishing; starting {args.observers} observers", file=sys.stderr, flush=True)
    workers = await start_workers(args, api, url, show)
    print("observers ready; hand-offs start", file=sys.stderr, flush=True)
    cuts: list[tuple[float, str]] = []
    cue_takes: list[tuple[float, str]] = []
    refused: list[str] = []
    peers: list[asyncio.Task[float]] = []
    sample_every = max(1, args.handoffs // max(1, args.peer_samples))
    try:
        await asyncio.sleep(3)  # every observer is decoding the first venue
        for i in range(args.handoffs):
            target = colours[(colours.index(current) + 1) % len(colours)]
            if i % sample_every == 0 and len(peers) < args.peer_samples:
                # the peer, under the same load: a fresh connection to the new venue, from the same instant
                peers.append(asyncio.ensure_future(reconnect_peer(show, viewer, target)))
            sent = time.monotonic()
            r = await command(
                moderator, "venue:switch", show.room_id, venue_id=show.venues[target], epoch=epoch
            )
            if not r["ok"]:
                refused.append(r["error"]["code"])
                epoch = r["error"].get("details", {}).get("epoch", epoch)
                current = target
                continue
            epoch, current = r["state"]["epoch"], target
            cuts.append((sent, target))
            await asyncio.sleep(args.every)
        preview: str | None = None
        for _ in range(args.cue_takes):  # cue, then take 100 ms later
            if preview is not None:  # a venue already in preview is not asked again: clear it first
                r = await command(moderator, "venue:switch", show.room_id, venue_id=show.venues[preview],
                                  epoch=epoch)  # fmt: skip
                if r["ok"]:
                    epoch, current, preview = r["state"]["epoch"], preview, None
                await asyncio.sleep(args.every)
            target = colours[(colours.index(current) + 1) % len(colours)]
            r = await command(moderator, "venue:cue", show.room_id, venue_id=show.venues[target], epoch=epoch)
            if not r["ok"]:
                refused.append(r["error"]["code"])
                epoch = r["error"].get("details", {}).get("epoch", epoch)
                continue
            await asyncio.sleep(0.1)
            sent = time.monotonic()
            r = await command(moderator, "venue:take", show.room_id, epoch=r["state"]["epoch"])
            if not r["ok"]:
                refused.append(r["error"]["code"])
                epoch = r["error"].get("details", {}).get("epoch", epoch)
                continue
            epoch, current, preview = r["state"]["epoch"], target, current  # take swaps program and preview
            cue_takes.append((sent, target))
            await asyncio.sleep(args.every)
        print("hand-offs done; collecting", file=sys.stderr, flush=True)
        observers = await collect(workers)
        status, handoffs = await api.call(
            "GET", f"/api/rooms/{show.room_id}/handoffs", token=show.host["token"]
        )
        print("collected; waiting for the reconnect samples", file=sys.stderr, flush=True)
        peer = list(await asyncio.wait_for(asyncio.gather(*peers), 60))
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
        for pc in show.pcs.values():
            await pc.close()
        for client in (moderator, viewer, show.host_client):
            await client.close()
    if refused:
        print(f"hand-offs refused by the controller: {len(refused)} ({', '.join(sorted(set(refused)))})")
    failed = sum(1 for p in peer if p == float("inf"))
    if failed:
        print(f"reconnect samples with no frame within 20 s: {failed} of {len(peer)}")
    report(args, observers, cuts, handoffs if status == 200 else [], [p for p in peer if p != float("inf")],
           cue_takes)  # fmt: skip


def first_frames(observers: list[Observer], cuts: list[tuple[float, str]]) -> list[float]:
    """Per cut and observer: seconds from the command to the first decoded frame of the new venue."""
    return [
        first - sent
        for o in observers
        for sent, target in cuts
        if (first := next((f.at for f in o.frames if f.at >= sent and f.colour == target), None)) is not None
    ]


def report(
    args, observers: list[Observer], cuts: list[tuple[float, str]], handoffs, peer: list[float],
    cue_takes: list[tuple[float, str]],
) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    latencies: list[float] = []
    switch_gaps: list[float] = []
    normal_gaps: list[float] = []
    missed = mixed = 0
    for o in observers:
        frames = o.frames
        mixed += sum(1 for f in frames if f.colour == "mix")
        times = [f.at for f in frames]
        for sent, target in cuts:
            first = next((f.at for f in frames if f.at >= sent and f.colour == target), None)
            if first is None:
                missed += 1
                continue
            latencies.append(first - sent)
            window = [t for t in times if sent - 0.5 <= t <= first + 0.5]
            gaps = [b - a for a, b in itertools.pairwise(window)]
            if gaps:
                switch_gaps.append(max(gaps))
        near = [(sent - 0.5, sent + 1.0) for sent, _ in [*cuts, *cue_takes]]
        for a, b in itertools.pairwise(times):
            if not any(lo <= a <= hi for lo, hi in near):
                normal_gaps.append(b - a)
    wire = [h["switch_ms"] / 1000 for h in handoffs if h.get("switch_ms") is not None and h["epoch"] > 1]
    ms = 1000.0
    print(f"\nvenue_switch: {args.venues} venues @ {args.fps} fps, {args.observers} observers, "
          f"{len(cuts)} hand-offs + {len(cue_takes)} cue-then-takes every {args.every:.1f} s; publishers drop "
          f"keyframe requests within 300 ms of the last they acted on, like libwebrtc (loopback, shared 2-core "
          f"machine)\n")  # fmt: skip
    print(f"{'metric':<58}{'p50':>9}{'p95':>9}{'max':>9}{'n':>7}")
    rows = [
        ("command -> first new-venue frame decoded (program feed)", latencies),
        ("peer: reconnect to the new venue's feed -> first frame", peer),
        ("cue then take after 100 ms: take -> first new frame", first_frames(observers, cue_takes)),
        ("command -> switch on the wire (server, audit switch_ms)", wire),
        ("longest inter-frame gap around a switch", switch_gaps),
        ("normal inter-frame gap (same observers, away from cuts)", normal_gaps),
    ]
    for name, values in rows:
        print(f"{name:<58}{pct(values, .5) * ms:>8.0f}m{pct(values, .95) * ms:>8.0f}m"
              f"{max(values, default=float('nan')) * ms:>8.0f}m{len(values):>7}")  # fmt: skip
    normal = statistics.median(normal_gaps) if normal_gaps else float("nan")
    print(
        f"\nlongest gap at a switch / normal interval: p50 {pct(switch_gaps, 0.5) / normal:.2f}x, "
        f"p95 {pct(switch_gaps, 0.95) / normal:.2f}x, max {max(switch_gaps, default=0) / normal:.2f}x"
    )
    print("targets: p95 command->new frame <= 300 ms; longest gap <= 2x the normal interval")
    print(
        f"mixed frames: {mixed}; hand-offs an observer never saw: {missed}; observers whose connection "
        f"dropped or renegotiated: {sum(o.states != ['connecting', 'connected'] for o in observers)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venues", type=int, default=3)
    parser.add_argument("--observers", type=int, default=20)
    parser.add_argument("--handoffs", type=int, default=50)
    parser.add_argument("--every", type=float, default=1.0, help="seconds between hand-offs")
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--peer-samples", type=int, default=10)
    parser.add_argument("--procs", type=int, default=4, help="observer worker processes")
    parser.add_argument("--cue-takes", type=int, default=10, help="cue, then take 100 ms later, this often")
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        url, token, room_id, count = sys.argv[2:6]
        asyncio.run(observe(url, token, room_id, int(count)))
        return
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
