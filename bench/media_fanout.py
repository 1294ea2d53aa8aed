"""Media fan-out: Moke's forwarding relay vs aiortc's stock MediaRelay, same load, same run.

One 640×480 30 fps VP8 publisher (pre-encoded at about 1.4 Mbit/s, so the publisher costs little)
sends to a relay server process; N viewers receive it. Viewers are cheap so the machine can hold
many: an aiortc peer per viewer, but its receiver only notes when each frame's last (marker) packet
arrives and drops the packet (no depayloading, jitter buffer, NACK or decoding), 25 viewers per
process. For each N and each relay:

* server CPU (% of one core, from /proc over the measurement window) and per viewer,
* client CPU (publisher + viewer processes), total and per viewer,
* received frame rate per viewer (median and worst),
* end-to-end latency publisher → viewer (median, p95): from the publisher handing the frame to its
  sender to the frame's last packet arriving at the viewer,
* relay-added latency: end-to-end minus the first hop (the same frame's last packet arriving at the
  server), i.e. the time a frame spends inside the relay plus the loopback hop,
* loss: frames sent but never complete at a viewer (no retransmission: viewers send no NACKs).

Viewers connect first; the publisher starts sending once all are connected, so every viewer's first
frame is frame 0 and (RTP timestamp − first timestamp) / 3000 is the frame number everywhere
(CLOCK_MONOTONIC is shared by the processes of one machine).

The full run: N = 1,5,10,25,50,100, both relays, 5–10 minutes. Each relay runs every N up to 25; past
that, a relay already below half the frame rate is not run for larger N (the row says where it saturated)::

    .venv/bin/python bench/media_fanout.py
    .venv/bin/python bench/media_fanout.py --counts 5,10 --seconds 4       # smoke test
    .venv/bin/python bench/media_fanout.py --counts 50 --modes forward --py-spy 50
        # where the forwarding server's CPU goes at N=50 (py-spy, sampled, by category)
    .venv/bin/python bench/media_fanout.py --counts 10 --modes forward --aiortc-jitter-buffer
        # the forwarding server with aiortc's own jitter buffer (frames wait for the next frame)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
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
    RTCRtpReceiver,
    RTCSessionDescription,
)
from aiortc.contrib.media import MediaRelay  # noqa: E402
from aiortc.jitterbuffer import JitterBuffer  # noqa: E402
from aiortc.rtp import RtpPacket  # noqa: E402

from media import aiortc_hooks  # noqa: E402
from media.peers import PublisherPeer, ViewerPeer, parse_offer  # noqa: E402
from media.registry import SourceRegistry  # noqa: E402

FPS = 30
WIDTH, HEIGHT = 640, 480
LOOP_FRAMES = 150
TICKS = 90000 // FPS
CLK_TCK = os.sysconf("SC_CLK_TCK")
PER_PROCESS = 25  # viewers per viewer process


class FrameClock:
    """Notes when each frame's last (marker) packet reaches ``receiver``, keyed by frame number.

    ``passthrough``: hand the packet on to aiortc (the server's publisher leg) or drop it (viewers).
    """

    def __init__(self, receiver: RTCRtpReceiver, passthrough: bool) -> None:
        self.ssrc: int | None = None
        self.first_ts = 0
        self.arrivals: dict[int, float] = {}
        self.passthrough = passthrough
        self._handle = receiver._handle_rtp_packet
        receiver._handle_rtp_packet = self._on_packet  # type: ignore[method-assign]

    async def _on_packet(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        if self.ssrc is None:
            self.ssrc, self.first_ts = packet.ssrc, packet.timestamp
        if packet.marker and packet.ssrc == self.ssrc:  # RTX (another SSRC) only after a NACK
            frame = ((packet.timestamp - self.first_ts) & 0xFFFFFFFF) // TICKS
            self.arrivals.setdefault(frame, time.monotonic())
        if self.passthrough:
            await self._handle(packet, arrival_time_ms)


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
    clocks: list[FrameClock] = []
    async with ClientSession() as http:
        for _ in range(count):
            pc = RTCPeerConnection(no_ice())
            receiver = pc.addTransceiver("video", direction="recvonly").receiver
            clocks.append(FrameClock(receiver, passthrough=False))
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
    print(json.dumps({"arrivals": [c.arrivals for c in clocks]}), flush=True)
    for pc in pcs:
        await pc.close()


# ---- relay servers -----------------------------------------------------------------------------
async def run_server(mode: str, aiortc_jitter_buffer: bool) -> None:
    aiortc_hooks.use_loopback_candidates(True)
    registry = SourceRegistry()
    source = registry.ensure("bench", "venue:v1")
    first_hop: list[FrameClock] = []
    relay = MediaRelay()
    upstream: list[MediaStreamTrack] = []
    pcs: list[RTCPeerConnection] = []

    async def publish(request: web.Request) -> web.Response:
        body = await request.json()
        if mode == "forward":
            peer = PublisherPeer(source, no_ice(), None, user_id=1, rtp_timeout=600)
            answer = await peer.answer(parse_offer(body["sdp"], body["type"]))
            receiver = peer.receivers["video"]
            if aiortc_jitter_buffer:  # undo media.aiortc_hooks.release_complete_frames, for comparison
                buffer = JitterBuffer(capacity=512, is_video=True)
                receiver._RTCRtpReceiver__jitter_buffer = buffer  # type: ignore[attr-defined]
            first_hop.append(FrameClock(receiver, passthrough=True))
        else:
            pc = RTCPeerConnection(no_ice())
            pcs.append(pc)
            pc.on("track", lambda track: upstream.append(track))
            await pc.setRemoteDescription(RTCSessionDescription(**body))
            first_hop.append(FrameClock(pc.getTransceivers()[0].receiver, passthrough=True))
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

    async def hops(request: web.Request) -> web.Response:
        return web.json_response({str(k): v for k, v in first_hop[0].arrivals.items()} if first_hop else {})

    app = web.Application()
    app.router.add_post("/publish", publish)
    app.router.add_post("/watch", watch)
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


# Where the server's time goes: each py-spy sample is charged to the first of these functions found
# walking its stack from the innermost frame outwards (so SRTP inside the send path counts as SRTP).
CATEGORIES: list[tuple[str, set[str]]] = [
    ("UDP sendto (kernel; on loopback incl. delivery)", {"_SelectorDatagramTransport.sendto"}),
    ("SRTP/SRTCP protect + unprotect", {"Session.protect", "Session.unprotect", "Session.protect_rtcp",
                                        "Session.unprotect_rtcp", "Session.__process"}),
    ("RTCP (SR, RR, NACK, REMB; send + handle)", {"RTCRtpSender._run_rtcp", "RTCRtpSender._handle_rtcp_packet",
                                                  "RTCRtpReceiver._run_rtcp", "RTCRtpReceiver._handle_rtcp_packet",
                                                  "RTCDtlsTransport._handle_rtcp_data"}),
    ("RTP packets: payloads, headers, serialize", {"Packer.pack", "RtpPacket.serialize", "RtpPacket.__init__",
                                                   "current_ntp_time", "HeaderExtensionsMap.set", "pack_header_extensions",
                                                   "payloads_for", "SharedPayloads.get"}),
    ("publisher leg in (ICE, DTLS, jitter buffer, push)", {"RTCRtpReceiver._handle_rtp_packet", "EncodedSource.push",
                                                           "RTCDtlsTransport._handle_rtp_data"}),
    ("per-viewer send path (tasks, queue, ICE send)", {"RTCRtpSender._run_rtp", "RTCRtpSender._next_encoded_frame",
                                                        "ForwardTrack.recv", "FrameReader.get", "FrameReader.offer",
                                                        "Connection.send", "RTCDtlsTransport._send_rtp"}),
    ("receive path (ICE/DTLS demux)", {"RTCDtlsTransport._recv_next", "StunProtocol.datagram_received",
                                       "_SelectorDatagramTransport._read_ready"}),
    ("event loop (epoll wait, scheduling)", {"EpollSelector.select", "BaseEventLoop._run_once"}),
]  # fmt: skip


def spy_breakdown(raw: str) -> list[tuple[str, float]]:
    """Share of py-spy samples per category (raw = py-spy's collapsed-stack output)."""
    counts: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        names = [f.split(" (")[0] for f in stack.split(";")]
        category = next((c for name in reversed(names) for c, fns in CATEGORIES if name in fns), "other")
        counts[category] += int(n)
    total = sum(counts.values()) or 1
    return [(c, counts[c] / total) for c in [*(c for c, _ in CATEGORIES), "other"] if counts[c]]


async def one_run(mode: str, n: int, args: argparse.Namespace, spy: bool = False) -> dict[str, Any]:
    extra = ["--aiortc-jitter-buffer"] if args.aiortc_jitter_buffer else []
    server = Proc("--role", "server", "--mode", mode, *extra)
    url = f"http://127.0.0.1:{server.read()['port']}"
    publisher = Proc("--role", "publisher", "--url", url)
    bitrate = publisher.read()["bitrate"]
    procs = -(-n // args.per_process)
    viewers = [Proc("--role", "viewers", "--url", url, "--count", str(n // procs + (i < n % procs)))
               for i in range(procs)]  # fmt: skip
    connected = sum(v.read()["connected"] for v in viewers)
    publisher.say("GO")
    await asyncio.sleep(2.0)  # warm-up: first keyframe, queues settle
    seconds = args.seconds
    spy_out = Path(tempfile.mkstemp(suffix=".txt")[1])
    spy_proc = None
    if spy:
        exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        spy_proc = subprocess.Popen([exe, "record", "-p", str(server.p.pid), "-d", str(int(seconds)), "-r", "100",
                                     "-f", "raw", "-o", str(spy_out), "--nonblocking"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    vcpu0, pcpu0, cpu0, t0 = sum(v.cpu() for v in viewers), publisher.cpu(), server.cpu(), time.monotonic()
    await asyncio.sleep(seconds)
    vcpu1, pcpu1, cpu1, t1 = sum(v.cpu() for v in viewers), publisher.cpu(), server.cpu(), time.monotonic()
    breakdown: list[tuple[str, float]] = []
    if spy_proc is not None:
        await asyncio.get_running_loop().run_in_executor(None, spy_proc.wait, 60)
        breakdown = spy_breakdown(spy_out.read_text())
    spy_out.unlink()
    async with ClientSession() as http, http.get(f"{url}/first_hop") as r:
        first_hop: dict[str, float] = await r.json()
    publisher.say("STOP")
    sent = publisher.read()["sent"]
    arrivals: list[dict[str, float]] = []
    for v in viewers:
        v.say("STOP")
        arrivals.extend(v.read()["arrivals"])
    for p in [*viewers, publisher, server]:
        p.end()

    rates, lat, lost, expected = [], [], 0, 0
    sent_in = [i for i, t in enumerate(sent) if t0 <= t <= t1]
    for got in arrivals:
        seqs = {int(s): a for s, a in got.items()}
        rates.append(sum(1 for a in seqs.values() if t0 <= a <= t1) / (t1 - t0))
        for i in sent_in:
            expected += 1
            if i in seqs:
                lat.append(seqs[i] - sent[i])
            else:
                lost += 1
    hop = [first_hop[str(i)] - sent[i] for i in sent_in if str(i) in first_hop]
    window = t1 - t0
    return {
        "mode": mode, "n": n, "connected": connected, "bitrate": bitrate,
        "server_cpu": 100 * (cpu1 - cpu0) / window,
        "viewer_cpu": 100 * (vcpu1 - vcpu0) / window, "publisher_cpu": 100 * (pcpu1 - pcpu0) / window,
        "fps_median": statistics.median(rates) if rates else 0.0, "fps_worst": min(rates) if rates else 0.0,
        "lat_median": statistics.median(lat) * 1000 if lat else float("nan"),
        "lat_p95": statistics.quantiles(lat, n=20)[18] * 1000 if len(lat) > 20 else float("nan"),
        "first_hop": statistics.median(hop) * 1000 if hop else float("nan"),
        "loss": lost / expected if expected else 1.0, "breakdown": breakdown,
        "pub_fps": len(sent_in) / window, "hop_fps": sum(1 for i in sent_in if str(i) in first_hop) / window,
    }  # fmt: skip


def cells(r: dict[str, Any] | None, why: str) -> str:
    if r is None:
        return f"{why:^63}"
    added = r["lat_median"] - r["first_hop"]
    return (f"{r['server_cpu']:6.1f} {r['server_cpu'] / r['n']:6.2f} {r['fps_median']:5.1f}/{r['fps_worst']:4.1f} "
            f"{added:7.1f} {r['lat_p95']:7.1f} {100 * r['loss']:6.2f} {r['viewer_cpu'] / r['n']:6.2f}")  # fmt: skip


async def orchestrate(args: argparse.Namespace) -> None:
    counts = [int(c) for c in args.counts.split(",")]
    modes = args.modes.split(",")
    results: dict[tuple[str, int], dict[str, Any]] = {}
    saturated: dict[str, int] = {}
    started = time.monotonic()
    for n in counts:
        for mode in modes:
            if mode in saturated:
                continue
            r = await one_run(mode, n, args, spy=mode == "forward" and n == args.py_spy)
            results[mode, n] = r
            print(f"  {mode:8} N={n:3}  server {r['server_cpu']:6.1f}%  viewers {r['viewer_cpu']:6.1f}%  "
                  f"publisher {r['publisher_cpu']:5.1f}%  fps {r['fps_median']:5.1f}/{r['fps_worst']:5.1f}  "
                  f"e2e {r['lat_median']:7.1f} ms (first hop {r['first_hop']:5.1f})  loss {100 * r['loss']:5.2f}%  "
                  f"sent {r['pub_fps']:.1f} fps, at server {r['hop_fps']:.1f} fps, {r['connected']}/{n} connected  "
                  f"[{time.monotonic() - started:.0f} s]", flush=True)  # fmt: skip
            if r["fps_median"] < FPS / 2 and n >= args.always_up_to:
                saturated[mode] = n  # far below full rate: larger N only take longer to say the same
    first = next(iter(results.values()))
    print(f"\npublisher: {WIDTH}x{HEIGHT} {FPS} fps VP8, {first['bitrate'] / 1e6:.2f} Mbit/s; {args.seconds:.0f} s "
          f"window per run; {os.cpu_count()} CPUs; load average before: {args.load}; after: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
    print("CPU % = % of one core; /viewer = that / N; fps = received frame rate per viewer (median/worst);")
    print(
        "added = relay-added latency, ms (median end-to-end − median first hop publisher→server, both to the"
    )
    print(
        "frame's last packet); p95 = end-to-end 95th percentile, ms; loss = frames never complete at a viewer;"
    )
    print("client = viewer processes' CPU % per viewer (cheap viewers: no depayloading, no decoding).\n")
    sub = f"{'CPU %':>6} {'/viewer':>6} {'fps':>10} {'added':>7} {'p95':>7} {'loss %':>6} {'client':>6}"
    print(f"{'':>4} | {'forwarding relay (Moke)':^63} | {'stock aiortc MediaRelay (decode + re-encode)':^63}")
    print(f"{'N':>4} | {sub} | {sub}")
    print("-" * (4 + 3 + 63 + 3 + 63))
    for n in counts:
        row = []
        for mode in ("forward", "stock"):
            why = f"saturated at N={saturated[mode]}: not run" if mode in saturated else "not run"
            row.append(cells(results.get((mode, n)), why))
        print(f"{n:>4} | {row[0]} | {row[1]}")
    for (_mode, n), r in results.items():
        if r["breakdown"]:
            print(f"\nwhere the forwarding server's CPU goes at N={n} ({r['server_cpu']:.1f}% of a core, "
                  f"{r['server_cpu'] / n:.2f}% per viewer; py-spy samples by category):")  # fmt: skip
            for category, share in r["breakdown"]:
                print(
                    f"  {100 * share:5.1f}%  {share * r['server_cpu'] / n:5.3f}% of a core per viewer  {category}"
                )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--role", default="orchestrate", choices=["orchestrate", "server", "publisher", "viewers"]
    )
    ap.add_argument("--mode", default="forward", choices=["forward", "stock"])
    ap.add_argument("--url", default="")
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--counts", default="1,5,10,25,50,100")
    ap.add_argument("--modes", default="forward,stock", help="relays to run: forward, stock or both")
    ap.add_argument("--seconds", type=float, default=8.0, help="measurement window per run")
    ap.add_argument("--always-up-to", type=int, default=25,
                    help="run every relay up to this N; beyond it, skip a relay once below half frame rate")  # fmt: skip
    ap.add_argument("--per-process", type=int, default=PER_PROCESS, help="viewers per viewer process")
    ap.add_argument("--py-spy", type=int, default=0, help="profile the forwarding server at this N (py-spy)")
    ap.add_argument("--aiortc-jitter-buffer", action="store_true",
                    help="forwarding server keeps aiortc's jitter buffer (frames wait for the next frame)")  # fmt: skip
    args = ap.parse_args()
    if args.role != "orchestrate":
        aiortc_hooks.use_loopback_candidates(True)
    if args.role == "server":
        asyncio.run(run_server(args.mode, args.aiortc_jitter_buffer))
    elif args.role == "publisher":
        asyncio.run(run_publisher(args.url))
    elif args.role == "viewers":
        asyncio.run(run_viewers(args.url, args.count))
    else:
        args.load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        asyncio.run(orchestrate(args))


if __name__ == "__main__":
    main()
