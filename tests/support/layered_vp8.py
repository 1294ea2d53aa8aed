"""A temporally layered VP8 stream recorded from Chromium, for tests that need L1T3 without a browser.

aiortc's VP8 encoder sends one layer, so tests of the relay's layer dropping replay frames Chromium sent:
``tests/support/fixtures/chromium_l1t3.bin`` holds one frame after another as a 12-byte header
(RTP timestamp, temporal layer, layer-sync bit, keyframe bit, length) and the depayloaded VP8 frame.
Chromium drew the :func:`tests.support.media_clients.draw_counter` pattern (320×240, one counter per
canvas frame) and published it with ``scalabilityMode: "L1T3"`` to Moke's :class:`media.peers.PublisherPeer`,
which parsed the layers from the payload descriptors (the same path a live venue takes). Re-record with
``.venv/bin/python -m tests.support.layered_vp8`` (needs /usr/bin/chromium).
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass
from pathlib import Path

FIXTURE = Path(__file__).parent / "fixtures" / "chromium_l1t3.bin"
_HEADER = struct.Struct("!IBBBxI")


@dataclass(frozen=True)
class LayeredFrame:
    timestamp: int  # RTP, 90 kHz
    tid: int
    sync: bool
    keyframe: bool
    data: bytes


def load(path: Path = FIXTURE) -> list[LayeredFrame]:
    blob = path.read_bytes()
    frames, pos = [], 0
    while pos < len(blob):
        timestamp, tid, sync, keyframe, size = _HEADER.unpack_from(blob, pos)
        pos += _HEADER.size
        frames.append(LayeredFrame(timestamp, tid, bool(sync), bool(keyframe), blob[pos : pos + size]))
        pos += size
    return frames


def dump(frames: list[LayeredFrame], path: Path = FIXTURE) -> None:
    path.write_bytes(
        b"".join(_HEADER.pack(f.timestamp, f.tid, f.sync, f.keyframe, len(f.data)) + f.data for f in frames)
    )


# the canvas shows draw_counter's pattern: 12 bits as 16-pixel squares on grey, a shade row below
_PAGE = """async ([seconds, kbps]) => {
  const c = document.createElement('canvas'); c.width = 320; c.height = 240; document.body.appendChild(c);
  const g = c.getContext('2d'); let n = 0;
  const draw = () => {
    g.fillStyle = 'rgb(128,128,128)'; g.fillRect(0, 0, 320, 240);
    for (let bit = 0; bit < 12; bit++) {
      const v = (n >> bit) & 1 ? 235 : 16; g.fillStyle = `rgb(${v},${v},${v})`; g.fillRect(bit * 16, 0, 16, 16);
    }
    const s = (n * 7) % 256; g.fillStyle = `rgb(${s},${s},${s})`; g.fillRect(0, 32, 320, 16);
    n++;
  };
  draw(); setInterval(draw, 1000 / 30);
  const pc = new RTCPeerConnection(); window.pc = pc;
  const t = pc.addTransceiver(c.captureStream(30).getVideoTracks()[0],
    { direction: 'sendonly', sendEncodings: [{ scalabilityMode: 'L1T3', maxBitrate: kbps * 1000 }] });
  t.setCodecPreferences(RTCRtpSender.getCapabilities('video').codecs.filter((x) => /VP8|rtx/.test(x.mimeType)));
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((r) => { pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r(); setTimeout(r, 3000); });
  return pc.localDescription.sdp;
}"""


async def record(seconds: float = 3.0, kbps: int = 200) -> list[LayeredFrame]:
    """``seconds`` of Chromium's L1T3 stream from its first keyframe, as the relay received it."""
    from playwright.async_api import async_playwright

    from media import aiortc_hooks
    from media.peers import PublisherPeer
    from media.registry import SourceRegistry
    from tests.support.media_clients import no_ice
    from tests.support.web import CHROMIUM_ARGS

    aiortc_hooks.use_loopback_candidates(True)
    source = SourceRegistry().ensure("r1", "venue:chromium")
    frames: list[LayeredFrame] = []
    push = source.video.push

    def recording(packet, keyframe, tid=None, sync=False):  # type: ignore[no-untyped-def]
        if (frames or keyframe) and tid is not None:
            frames.append(LayeredFrame(int(packet.pts), tid, sync, keyframe, bytes(packet)))
        push(packet, keyframe, tid, sync)

    source.video.push = recording  # type: ignore[method-assign]
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = await browser.new_page()
        from aiortc import RTCSessionDescription

        offer = await page.evaluate(_PAGE, [seconds, kbps])
        peer = PublisherPeer(source, no_ice(), None, user_id=1)
        answer = await peer.answer(RTCSessionDescription(sdp=offer, type="offer"))
        await page.evaluate("async (sdp) => pc.setRemoteDescription({type: 'answer', sdp})", answer.sdp)
        while not frames or frames[-1].timestamp - frames[0].timestamp < seconds * 90000:
            await asyncio.sleep(0.1)
        await peer.close()
        await browser.close()
    return frames


if __name__ == "__main__":
    recorded = asyncio.run(record())
    dump(recorded)
    print(len(recorded), "frames,", sum(len(f.data) for f in recorded), "bytes,", FIXTURE)
