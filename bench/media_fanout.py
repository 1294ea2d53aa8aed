"""Media fan-out: Moke's forwarding relay vs aiortc's stock MediaRelay, same load, same run.

One 640×480 30 fps VP8 publisher (pre-encoded at about 1.4 Mbit/s, so the publisher costs little)
sends to a relay server process; N viewers (aiortc peers that do not decode: they count depayloaded
frames through media.aiortc_hooks) in up to 5 viewer processes receive it. For each N and each relay:

* server CPU (% of one core, from /proc over the measurement window) and per viewer,
* client CPU (publisher + viewer processes),
* received frame rate per viewer (median and worst),
* end-to-end latency publisher → viewer (median, p95) and the relay-added part: that minus the
  publisher → server first hop (measured in the forwarding server at the same time),
* loss: frames sent but never received, over all viewers.

Viewers connect first; the publisher starts sending once all are connected, so every viewer's first
frame is frame 0 and RTP timestamp / 3000 is the frame number on both sides (CLOCK_MONOTONIC is
shared by the processes of one machine).

    .venv/bin/python bench/media_fanout.py [--counts 1,5,10,25,50,100] [--stock-max 25] [--seconds 8]
        [--profile 50]   # also profile the forwarding server at N=50 and print where the time goes
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import av  # noqa: E402
from aiohttp import ClientSession, web  # noqa: E402
from aiortc import (  # noqa: E402
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.contrib.media import MediaRelay  # noqa: E402

from media import aiortc_hooks  # noqa: E402
from media.peers import PublisherPeer, ViewerPeer, parse_offer  # noqa: E402
from media.registry import SourceRegistry  # noqa: E402

FPS = 30
WIDTH, HEIGHT = 640, 480
LOOP_FRAMES = 150
TICKS = 90000 // FPS
CLK_TCK = os.sysconf("SC_CLK_TCK")


def no_ice() -> RTCConfiguration:
    return RTCConfiguration(iceServers=[])


# ---- publisher ---------------------------------------------------------------------------------
def encode_loop() -> list[tuple[bytes, bool]]:
    """LOOP_FRAMES VP8 frames of a moving pattern with a noise band, about 1.4 Mbit/s."""
    enc = av.CodecContext.create("libvpx", "w")
    enc.width, enc.height, enc.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    enc.time_base = Fraction(1, FPS)
    enc.framerate = FPS
    enc.bit_rate = 1_400_000
    enc.gop_size = FPS  # a keyframe every second: a viewer or the server recovers from loss quickly
    enc.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    out: list[tuple[bytes, bool]] = []
    for i in range(LOOP_FRAMES):
        frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
        luma = bytearray((x + i * 4) & 0xFF for x in range(WIDTH)) * HEIGHT
        band = os.urandom(WIDTH * 40)
        start = (i * 8 % (HEIGHT - 40)) * WIDTH
        luma[start : start + len(band)] = band
        frame.planes[0].update(bytes(luma))
        frame.planes[1].update(bytes([128]) * (WIDTH * HEIGHT // 4))
        frame.planes[2].update(bytes([128]) * (WIDTH * HEIGHT // 4))
        frame.pts = i
        if i == 0:
            frame.pict_type = av.video.frame.PictureType.I
        for p in enc.encode(frame):
            out.append((bytes(p), p.is_keyframe))
    return out


class LoopTrack(MediaStreamTrack):
    """Yields the pre-encoded loop as av.Packet at 30 fps once started; logs send times."""

    kind = "video"

    def __init__(self, frames: list[tuple[bytes, bool]]) -> None:
        super().__init__()
        self.frames = frames
        self.go = asyncio.Event()
        self.seq = 0
        self.sent: list[float] = []
        self.t0 = 0.0

    async def recv(self) -> av.Packet:  # type: ignore[override]
        await self.go.wait()
        if not self.t0:
            self.t0 = time.monotonic()
        delay = self.t0 + self.seq / FPS - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        data, _ = self.frames[self.seq % len(self.frames)]
        packet = av.Packet(data)
        packet.pts = self.seq * TICKS
        packet.time_base = Fraction(1, 90000)
        self.sent.append(time.monotonic())
        self.seq += 1
        return packet


async def run_publisher(url: str) -> None:
    frames = encode_loop()
    track = LoopTrack(frames)
    pc = RTCPeerConnection(no_ice())
    pc.addTransceiver(track, direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    async with ClientSession() as http:
        async with http.post(f"{url}/publish", json={"sdp": pc.localDescription.sdp, "type": "offer"}) as r:
            answer = await r.json()
    await pc.setRemoteDescription(RTCSessionDescription(**answer))
    bits = sum(len(d) for d, _ in frames) * 8 * FPS / len(frames)
    print(json.dumps({"ready": True, "bitrate": bits}), flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.readline)  # GO
    track.go.set()
    await loop.run_in_executor(None, sys.stdin.readline)  # STOP
    print(json.dumps({"sent": track.sent}), flush=True)
    await pc.close()


# ---- viewers -----------------------------------------------------------------------------------
async def run_viewers(url: str, count: int) -> None:
    pcs: list[RTCPeerConnection] = []
    arrivals: list[list[tuple[int, float]]] = []
    async with ClientSession() as http:
        for _ in range(count):
            pc = RTCPeerConnection(no_ice())
            pc.addTransceiver("video", direction="recvonly")
            got: list[tuple[int, float]] = []
            arrivals.append(got)

            def on_track(track: MediaStreamTrack, pc: RTCPeerConnection = pc, got: list[Any] = got) -> None:
                for t in pc.getTransceivers():
                    if t.receiver.track is track:
                        aiortc_hooks.tap_receiver(
                            t.receiver,
                            lambda c, f, got=got: got.append((f.timestamp // TICKS, time.monotonic())),
                        )

            pc.on("track", on_track)
            await pc.setLocalDescription(await pc.createOffer())
            async with http.post(f"{url}/watch", json={"sdp": pc.localDescription.sdp, "type": "offer"}) as r:
                answer = await r.json()
            await pc.setRemoteDescription(RTCSessionDescription(**answer))
            pcs.append(pc)
    deadline = time.monotonic() + 60
    while any(pc.connectionState != "connected" for pc in pcs) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    print(
        json.dumps({"ready": True, "connected": sum(pc.connectionState == "connected" for pc in pcs)}),
        flush=True,
    )
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # STOP
    print(json.dumps({"arrivals": arrivals}), flush=True)
    for pc in pcs:
        await pc.close()


# ---- relay servers -----------------------------------------------------------------------------
async def run_server(mode: str) -> None:
    aiortc_hooks.use_loopback_candidates(True)
    registry = SourceRegistry()
    source = registry.ensure("bench", "venue:v1")
    first_hop: dict[int, float] = {}
    relay = MediaRelay()
    upstream: list[MediaStreamTrack] = []
    pcs: list[RTCPeerConnection] = []
    profiler = cProfile.Profile()

    async def publish(request: web.Request) -> web.Response:
        body = await request.json()
        if mode == "forward":
            peer = PublisherPeer(source, no_ice(), None, user_id=1, rtp_timeout=600)
            answer = await peer.answer(parse_offer(body["sdp"], body["type"]))
            sub = source.video.subscribe(maxsize=10_000)

            async def first_hop_times() -> None:
                while True:
                    frame = await sub.get()
                    assert frame.packet.pts is not None
                    first_hop[frame.packet.pts // TICKS] = frame.received_at

            request.app["tasks"].append(asyncio.ensure_future(first_hop_times()))
        else:
            pc = RTCPeerConnection(no_ice())
            pcs.append(pc)
            pc.on("track", lambda track: upstream.append(track))
            await pc.setRemoteDescription(RTCSessionDescription(**body))
            await pc.setLocalDescription(await pc.createAnswer())
            answer = pc.localDescription
        return web.json_response({"sdp": answer.sdp, "type": answer.type})

    async def watch(request: web.Request) -> web.Response:
        body = await request.json()
        if mode == "forward":
            peer = ViewerPeer(source, no_ice(), None, user_id=2)
            answer = await peer.answer(parse_offer(body["sdp"], body["type"]))
        else:
            pc = RTCPeerConnection(no_ice())
            pcs.append(pc)
            pc.addTrack(relay.subscribe(upstream[0], buffered=False))
            await pc.setRemoteDescription(RTCSessionDescription(**body))
            await pc.setLocalDescription(await pc.createAnswer())
            answer = pc.localDescription
        return web.json_response({"sdp": answer.sdp, "type": answer.type})

    async def profile(request: web.Request) -> web.Response:
        if request.match_info["what"] == "start":
            profiler.enable()
            return web.json_response({})
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        return web.json_response({"text": out.getvalue()})

    async def hops(request: web.Request) -> web.Response:
        return web.json_response({str(k): v for k, v in first_hop.items()})

    app = web.Application()
    app["tasks"] = []
    app.router.add_post("/publish", publish)
    app.router.add_post("/watch", watch)
    app.router.add_post("/profile/{what}", profile)
    app.router.add_get("/first_hop", hops)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(json.dumps({"port": port}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # STOP


# ---- orchestration -----------------------------------------------------------------------------
class Proc:
    def __init__(self, *args: str) -> None:
        self.p = subprocess.Popen(
            [sys.executable, __file__, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )

    def read(self) -> dict[str, Any]:
        assert self.p.stdout is not None
        line = self.p.stdout.readline()
        if not line:
            raise RuntimeError(f"process {self.p.args} ended")
        return dict(json.loads(line))

    def say(self, text: str = "") -> None:
        assert self.p.stdin is not None
        self.p.stdin.write(text + "\n")
        self.p.stdin.flush()

    def cpu(self) -> float:
        with open(f"/proc/{self.p.pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def end(self) -> None:
        try:
            self.say()
        except BrokenPipeError:
            pass
        try:
            self.p.wait(20)
        except subprocess.TimeoutExpired:
            self.p.kill()


async def one_run(mode: str, n: int, seconds: float, profile: bool) -> dict[str, Any]:
    server = Proc("--role", "server", "--mode", mode)
    url = f"http://127.0.0.1:{server.read()['port']}"
    publisher = Proc("--role", "publisher", "--url", url)
    bitrate = publisher.read()["bitrate"]
    procs = min(n, 5)
    viewers = [Proc("--role", "viewers", "--url", url, "--count", str(n // procs + (i < n % procs)))
               for i in range(procs)]  # fmt: skip
    connected = sum(v.read()["connected"] for v in viewers)
    publisher.say("GO")
    await asyncio.sleep(2.0)  # warm-up: first keyframe, queues settle
    clients = [publisher, *viewers]
    cpu0, ccpu0, t0 = server.cpu(), sum(c.cpu() for c in clients), time.monotonic()
    async with ClientSession() as http:
        if profile:
            await http.post(f"{url}/profile/start")
        await asyncio.sleep(seconds)
        cpu1, ccpu1, t1 = server.cpu(), sum(c.cpu() for c in clients), time.monotonic()
        prof_text = ""
        if profile:
            async with http.post(f"{url}/profile/stop") as r:
                prof_text = (await r.json())["text"]
        first_hop: dict[str, float] = {}
        if mode == "forward":
            async with http.get(f"{url}/first_hop") as r:
                first_hop = await r.json()
    publisher.say("STOP")
    sent = publisher.read()["sent"]
    arrivals: list[list[list[float]]] = []
    for v in viewers:
        v.say("STOP")
        arrivals.extend(v.read()["arrivals"])
    for p in [*viewers, publisher, server]:
        p.end()

    window = (t0, t1)
    rates, lat, lost, expected = [], [], 0, 0
    sent_in = [i for i, t in enumerate(sent) if window[0] <= t <= window[1]]
    for got in arrivals:
        seqs = {int(s): a for s, a in got}
        rates.append(sum(1 for s, a in seqs.items() if window[0] <= a <= window[1]) / (t1 - t0))
        for i in sent_in:
            expected += 1
            if i in seqs:
                lat.append(seqs[i] - sent[i])
            else:
                lost += 1
    hop = [first_hop[str(i)] - sent[i] for i in sent_in if str(i) in first_hop]
    return {
        "mode": mode, "n": n, "connected": connected, "bitrate": bitrate,
        "server_cpu": 100 * (cpu1 - cpu0) / (t1 - t0), "client_cpu": 100 * (ccpu1 - ccpu0) / (t1 - t0),
        "fps_median": statistics.median(rates) if rates else 0.0, "fps_worst": min(rates) if rates else 0.0,
        "lat_median": statistics.median(lat) * 1000 if lat else float("nan"),
        "lat_p95": statistics.quantiles(lat, n=20)[18] * 1000 if len(lat) > 20 else float("nan"),
        "first_hop": statistics.median(hop) * 1000 if hop else float("nan"),
        "loss": lost / expected if expected else 1.0, "profile": prof_text,
        "pub_fps": len(sent_in) / (t1 - t0),
        "hop_fps": sum(1 for i in sent_in if str(i) in first_hop) / (t1 - t0),
    }  # fmt: skip


async def orchestrate(args: argparse.Namespace) -> None:
    counts = [int(c) for c in args.counts.split(",")]
    results: list[dict[str, Any]] = []
    for n in counts:
        for mode in ("forward", "stock"):
            if mode == "stock" and n > args.stock_max:
                continue
            r = await one_run(mode, n, args.seconds, profile=False)
            results.append(r)
            print(f"  {mode:8} N={n:3}  server {r['server_cpu']:6.1f}%  fps {r['fps_median']:5.1f}/{r['fps_worst']:5.1f}"
                  f"  latency {r['lat_median']:7.1f} ms  loss {100 * r['loss']:5.2f}%  sent {r['pub_fps']:.1f} fps,"
                  f" at server {r['hop_fps']:.1f} fps, {r['connected']} connected", flush=True)  # fmt: skip
    hop = next((r["first_hop"] for r in results if r["mode"] == "forward" and r["n"] == counts[0]), 0.0)
    print(f"\npublisher: {WIDTH}x{HEIGHT} {FPS} fps VP8, {results[0]['bitrate'] / 1e6:.2f} Mbit/s; "
          f"{args.seconds:.0f} s window; first hop publisher→server median {hop:.1f} ms")  # fmt: skip
    print(
        "relay-added latency = end-to-end median − first-hop median (both include one jitter-buffer frame)\n"
    )
    head = (f"{'N':>4} | {'relay':8} | {'server CPU %':>12} | {'per viewer':>10} | {'client CPU %':>12} | "
            f"{'fps med/worst':>13} | {'e2e ms med/p95':>15} | {'relay-added ms':>14} | {'loss %':>6}")  # fmt: skip
    print(head)
    print("-" * len(head))
    for r in results:
        added = r["lat_median"] - (r["first_hop"] if r["mode"] == "forward" else hop)
        print(f"{r['n']:>4} | {r['mode']:8} | {r['server_cpu']:12.1f} | {r['server_cpu'] / r['n']:10.2f} | "
              f"{r['client_cpu']:12.1f} | {r['fps_median']:6.1f}/{r['fps_worst']:6.1f} | "
              f"{r['lat_median']:7.1f}/{r['lat_p95']:7.1f} | {added:14.1f} | {100 * r['loss']:6.2f}")  # fmt: skip
    if args.profile:
        r = await one_run("forward", args.profile, args.seconds, profile=True)
        print(
            f"\nprofile of the forwarding server at N={args.profile} ({r['server_cpu']:.1f}% CPU), top by own time:"
        )
        print(r["profile"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--role", default="orchestrate", choices=["orchestrate", "server", "publisher", "viewers"]
    )
    ap.add_argument("--mode", default="forward", choices=["forward", "stock"])
    ap.add_argument("--url", default="")
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--counts", default="1,5,10,25,50,100")
    ap.add_argument("--stock-max", type=int, default=25, help="largest N for the stock relay (it saturates)")
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--profile", type=int, default=0, help="also profile the forwarding server at this N")
    args = ap.parse_args()
    if args.role != "orchestrate":
        aiortc_hooks.use_loopback_candidates(True)
    if args.role == "server":
        asyncio.run(run_server(args.mode))
    elif args.role == "publisher":
        asyncio.run(run_publisher(args.url))
    elif args.role == "viewers":
        asyncio.run(run_viewers(args.url, args.count))
    else:
        asyncio.run(orchestrate(args))


if __name__ == "__main__":
    main()
