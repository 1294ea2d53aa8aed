"""What HLS costs the origin per room: the packager's CPU per second of video, VP8 transcoded once to H.264
(the default program codec) beside H.264 remuxed (its peer: no decoder, no encoder).

Feeds a :class:`media.hls.Packager` with S seconds of encoded camera-like video (moving gradient and
noise, keyframe every 2 s) as fast as the writer takes it, and reads the writer thread's CPU time.
The cost does not depend on the number of HLS viewers (they fetch files; an HTTP cache in front
serves them). Prints numbers, never pass/fail.

    python bench/hls_transcode.py [--seconds 10] [--sizes 640x360,1280x720] [--fps 30]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from media.hls import Packager
from media.registry import SourceRegistry


def encoded(codec: str, width: int, height: int, fps: int, seconds: float) -> list[tuple[av.Packet, bool]]:
    enc = av.CodecContext.create("libvpx" if codec == "vp8" else "libx264", "w")
    assert isinstance(enc, av.VideoCodecContext)
    enc.width, enc.height, enc.pix_fmt = width, height, "yuv420p"
    enc.time_base, enc.framerate, enc.gop_size = Fraction(1, 90000), Fraction(fps), 2 * fps
    enc.bit_rate = 1_500_000
    enc.options = {"deadline": "realtime", "cpu-used": "8"} if codec == "vp8" else {"preset": "ultrafast"}
    rng = np.random.default_rng(1)
    ramp = np.linspace(0, 200, width, dtype=np.float32)[None, :].repeat(height, 0)
    out: list[tuple[av.Packet, bool]] = []
    for i in range(round(seconds * fps)):
        luma = (np.roll(ramp, i * 4, axis=1) + rng.integers(0, 30, (height, width))).astype(np.uint8)
        frame = av.VideoFrame.from_ndarray(np.stack([luma] * 3, axis=2), format="rgb24").reformat(
            format="yuv420p"
        )
        frame.pts, frame.time_base = i * 90000 // fps, enc.time_base
        out += [(p, p.is_keyframe) for p in enc.encode(frame)]
    return out


async def measure(codec: str, packets: list[tuple[av.Packet, bool]], folder: Path) -> tuple[float, int]:
    registry = SourceRegistry(keyframe_interval=0.0)
    source = registry.ensure("bench", "program")
    source.video.attach(f"video/{codec.upper()}", None)
    packager = Packager(source, folder, segment_seconds=1.0, window_seconds=30)
    await packager.start()
    for packet, keyframe in packets:
        source.video.push(packet, keyframe)
        await asyncio.sleep(0)
        while packager.backlog > 30:
            await asyncio.sleep(0.002)
    await packager.stop()
    return packager.stats.cpu_seconds, packager.stats.bytes


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--sizes", default="640x360,1280x720")
    parser.add_argument("--fps", type=int, default=30)
    args = parser.parse_args()
    print(f"{'size':>10} {'path':>22} {'CPU % of a core':>16} {'H.264 kbit/s':>13}")
    for size in args.sizes.split(","):
        width, height = (int(n) for n in size.split("x"))
        for codec, label in (("vp8", "VP8 -> H.264 (Moke)"), ("h264", "H.264 remux (peer)")):
            packets = encoded(codec, width, height, args.fps, args.seconds)
            with tempfile.TemporaryDirectory() as tmp:
                cpu, size_bytes = await measure(codec, packets, Path(tmp) / "hls")
            print(f"{size:>10} {label:>22} {100 * cpu / args.seconds:>15.1f}% "
                  f"{size_bytes * 8 / args.seconds / 1000:>13.0f}")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
