"""HLS origin cost per viewer, and how late a segment appears, straight against the origin (no cache).

A ``moke serve`` subprocess; one venue (aiortc, 30 fps) on the program feed, HLS turned on (VP8 program:
one H.264 encode in the server). Then, for each count in ``--viewers``, that many simulated HLS players
(aiohttp, one process) poll the playlist once per target duration and fetch every new segment for
``--seconds``. Prints origin segment requests per segment (without a cache: one per viewer) and playlist requests, and the server's CPU per viewer above the
idle packager (read from /proc). Segment availability: the time from a segment's end (its
``EXT-X-PROGRAM-DATE-TIME`` plus ``EXTINF``) to the first poll that lists it; a player holding three
target durations back from the live edge (hls.js's default, Safari's) plays that plus about 3 s behind.

Not measured here (see docs/media.md): the same through an nginx caching proxy (Debian's ``nginx`` is
not installed in this environment) and glass-to-glass latency against the WebRTC path.

    python bench/hls_fanout.py [--viewers 10,100,300] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from media import aiortc_hooks  # noqa: E402
from tests.support.api import Api  # noqa: E402
from tests.support.server import ServerProcess  # noqa: E402
from tests.support.venues import command, person, publish, showcase  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
_SEGMENT = re.compile(r"#EXTINF:([\d.]+),\n#EXT-X-PROGRAM-DATE-TIME:(\S+)\n(\S+)")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class Origin:
    def __init__(self, listed: set[str]) -> None:
        self.requests = 0
        self.segment_requests = 0
        self.bytes = 0
        self.listed = listed  # segments listed before the run (their availability is not this run's)
        self.segments: set[str] = set()  # segments that appeared during the run
        self.available: list[float] = []  # seconds from a segment's end to its first listing


async def player(http: aiohttp.ClientSession, url: str, origin: Origin, until: float) -> None:
    folder = url.rsplit("/", 1)[0] + "/"
    fetched: set[str] = set()
    await asyncio.sleep(hash(id(fetched)) % 1000 / 1000)  # players do not poll in lockstep
    while time.monotonic() < until:
        async with http.get(url) as resp:
            text = await resp.text()
            origin.requests += 1
            origin.bytes += len(text)
        now = time.time()
        for duration, pdt, name in _SEGMENT.findall(text):
            if name not in origin.segments and name not in origin.listed:
                origin.segments.add(name)
                end = datetime.datetime.fromisoformat(pdt).timestamp() + float(duration)
                origin.available.append(now - end)
            if name in fetched or name in origin.listed:
                continue
            fetched.add(name)
            async with http.get(folder + name) as resp:
                origin.bytes += len(await resp.read())
                origin.requests += 1
                origin.segment_requests += 1
        await asyncio.sleep(1.0)


async def measure(args: argparse.Namespace, url: str, pid: int) -> None:
    async with aiohttp.ClientSession() as session:
        api = Api(session, url)
        show = await showcase(api, url, ("red",))
        await publish(show, "red", fps=30)
        moderator = await person(api, url, show, "moderator")
        await command(moderator, "venue:switch", show.room_id, venue_id=show.venues["red"], epoch=0)
        status, hls = await api.call(
            "POST", f"/api/rooms/{show.room_id}/hls", token=show.host["token"], json={}
        )
        assert status == 200, hls
        await asyncio.sleep(5)
        idle_start = cpu_seconds(pid)
        await asyncio.sleep(args.seconds / 2)
        idle = (cpu_seconds(pid) - idle_start) / (args.seconds / 2)
        print(f"server CPU with the packager and no HLS viewer: {100 * idle:.1f}% of a core")
        print(f"{'viewers':>8} {'segment req/segment':>20} {'playlist req/s':>15} {'origin MB':>10} {'CPU %/viewer':>13} "
              f"{'availability p50/p95 s':>23}")  # fmt: skip
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as http:
            for count in (int(n) for n in args.viewers.split(",")):
                async with http.get(url + hls["url"]) as resp:
                    origin = Origin({name for _, _, name in _SEGMENT.findall(await resp.text())})
                start = cpu_seconds(pid)
                until = time.monotonic() + args.seconds
                await asyncio.gather(*(player(http, url + hls["url"], origin, until) for _ in range(count)))
                cpu = (cpu_seconds(pid) - start) / args.seconds - idle
                avail = sorted(origin.available) or [float("nan")]
                playlists = (origin.requests - origin.segment_requests) / args.seconds
                print(f"{count:>8} {origin.segment_requests / max(1, len(origin.segments)):>20.1f} {playlists:>15.1f} "
                      f"{origin.bytes / 1e6:>10.1f} {100 * cpu / count:>12.3f}% "
                      f"{statistics.median(avail):>11.2f}/{avail[int(0.95 * (len(avail) - 1))]:.2f}")  # fmt: skip
        for pc in show.pcs.values():
            await pc.close()
        await moderator.close()
        await show.host_client.close()


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--viewers", default="10,100,300")
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    aiortc_hooks.use_loopback_candidates(True)
    with tempfile.TemporaryDirectory() as tmp:
        env = {"MOKE_MEDIA_ICE_LOOPBACK": "1", "MOKE_LOG_LEVEL": "WARNING", "MOKE_MEDIA_RTP_TIMEOUT": "60"}
        proc = await ServerProcess(Path(tmp) / "var", env=env).start()
        try:
            assert proc.proc is not None
            await measure(args, proc.url, proc.proc.pid)
        finally:
            proc.kill()


if __name__ == "__main__":
    asyncio.run(main())
