"""Temporally layered VP8 from Chromium: a recorded stream for tests without a browser, and live publishers
and viewers in headless Chromium for tests with one.

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
import contextlib
import re
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from media.peers import PublisherPeer, ViewerPeer
    from media.registry import MediaSource
    from tests.support.media import Link

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


# the canvas shows draw_counter's pattern: 12 bits as 16-pixel squares on grey, a shade row below, and with
# ``noise`` a moving band of random pixels under it (costly to encode: the encoder uses its whole bit rate)
_PAGE = """async ([width, height, kbps, noise]) => {
  const c = document.createElement('canvas'); c.width = width; c.height = height; document.body.appendChild(c);
  const g = c.getContext('2d'); let n = 0;
  const grain = document.createElement('canvas'); grain.width = width * 2; grain.height = height;
  const pixels = grain.getContext('2d').createImageData(width * 2, height);
  for (let i = 0; i < pixels.data.length; i++) pixels.data[i] = (i % 4 === 3) ? 255 : Math.random() * 255;
  grain.getContext('2d').putImageData(pixels, 0, 0);
  const draw = () => {
    g.fillStyle = 'rgb(128,128,128)'; g.fillRect(0, 0, width, height);
    if (noise) g.drawImage(grain, (n * 37) % width, 0, width / 2, height / 2, 0, 64, width / 2, height / 2);
    for (let bit = 0; bit < 12; bit++) {
      const v = (n >> bit) & 1 ? 235 : 16; g.fillStyle = `rgb(${v},${v},${v})`; g.fillRect(bit * 16, 0, 16, 16);
    }
    const s = (n * 7) % 256; g.fillStyle = `rgb(${s},${s},${s})`; g.fillRect(0, 32, width, 16);
    n++;
  };
  draw(); setInterval(draw, 1000 / 30);
  const pc = new RTCPeerConnection(); window.pc = pc;
  const t = pc.addTransceiver(c.captureStream(30).getVideoTracks()[0],
    { direction: 'sendonly', sendEncodings: [{ scalabilityMode: 'L1T3', maxBitrate: kbps * 1000 }] });
  // a busy machine must not make the encoder scale the picture down: the counter is read at fixed pixels
  const params = t.sender.getParameters(); params.degradationPreference = 'maintain-resolution';
  await t.sender.setParameters(params);
  t.setCodecPreferences(RTCRtpSender.getCapabilities('video').codecs.filter((x) => /VP8|rtx/.test(x.mimeType)));
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((r) => { pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r(); setTimeout(r, 3000); });
  return pc.localDescription.sdp;
}"""


def _start_at(sdp: str, kbps: int) -> str:
    """The answer with VP8's start and minimum bit rate for Chromium (x-google-*): without them it starts at
    300 kbit/s and climbs on the relay's REMB for many seconds."""
    match = re.search(r"a=rtpmap:(\d+) VP8/90000", sdp)
    if match is None:
        return sdp
    line = f"a=fmtp:{match[1]} x-google-start-bitrate={kbps};x-google-min-bitrate={kbps * 3 // 4}\r\n"
    at = sdp.index("\r\n", match.end()) + 2
    return sdp[:at] + line + sdp[at:]


@contextlib.asynccontextmanager
async def chromium_publisher(
    source: MediaSource, *, width: int = 320, height: int = 240, kbps: int = 200, noise: bool = False
) -> AsyncIterator[PublisherPeer]:
    """Headless Chromium publishing a canvas (the counter pattern) as VP8 L1T3 to ``source`` through the
    relay's :class:`PublisherPeer` (skips the test without Chromium); needs loopback ICE candidates."""
    from aiortc import RTCSessionDescription
    from playwright.async_api import async_playwright

    from media.peers import PublisherPeer
    from tests.support.media_clients import no_ice
    from tests.support.services import require_chromium
    from tests.support.web import CHROMIUM_ARGS

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=require_chromium(), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            offer = await page.evaluate(_PAGE, [width, height, kbps, noise])
            peer = PublisherPeer(source, no_ice(), None, user_id=1)
            answer = await peer.answer(RTCSessionDescription(sdp=offer, type="offer"))
            sdp = _start_at(answer.sdp, kbps)
            await page.evaluate("async (sdp) => pc.setRemoteDescription({type: 'answer', sdp})", sdp)
            try:
                yield peer
            finally:
                await peer.close()
        finally:
            await browser.close()


_VIEWER = """async () => {
  const pc = new RTCPeerConnection(); window.pc = pc;
  pc.addTransceiver('video', { direction: 'recvonly' });
  const video = document.createElement('video'); video.muted = true; document.body.appendChild(video);
  pc.ontrack = (e) => { video.srcObject = new MediaStream([e.track]); video.play(); };
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((r) => { pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r(); setTimeout(r, 3000); });
  return pc.localDescription.sdp;
}"""
_INBOUND = """async () => {
  for (const s of (await pc.getStats()).values()) if (s.type === 'inbound-rtp' && s.kind === 'video') return s;
  return null;
}"""


class ChromiumViewer:
    """A headless Chromium page watching through a :class:`ViewerPeer`; ``inbound()`` is its video
    ``inbound-rtp`` stats (framesDecoded, keyFramesDecoded, pliCount, nackCount, freezeCount...)."""

    def __init__(self, page: Any, peer: ViewerPeer) -> None:
        self.page = page
        self.peer = peer

    async def inbound(self) -> dict[str, Any]:
        return dict(await self.page.evaluate(_INBOUND) or {})


@contextlib.asynccontextmanager
async def chromium_viewer(source: MediaSource, link: Link | None = None) -> AsyncIterator[ChromiumViewer]:
    """Headless Chromium (libwebrtc's VP8 receiver: it checks picture ids and TL0PICIDX) watching ``source``,
    through ``link`` (an impaired relay) when given."""
    from aiortc import RTCSessionDescription
    from playwright.async_api import async_playwright

    from media.peers import ViewerPeer, parse_offer
    from tests.support.media_clients import no_ice
    from tests.support.services import require_chromium
    from tests.support.web import CHROMIUM_ARGS

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=require_chromium(), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            offer = await page.evaluate(_VIEWER)
            if link is not None:
                offer = await link.offer(offer)
            peer = ViewerPeer(source, no_ice(), None, user_id=2)
            answer: RTCSessionDescription = await peer.answer(parse_offer(offer, "offer"))
            sdp = answer.sdp if link is None else link.answer(answer.sdp)
            await page.evaluate("async (sdp) => pc.setRemoteDescription({type: 'answer', sdp})", sdp)
            try:
                yield ChromiumViewer(page, peer)
            finally:
                await peer.close()
        finally:
            await browser.close()


async def record(seconds: float = 3.0, kbps: int = 200) -> list[LayeredFrame]:
    """``seconds`` of Chromium's L1T3 stream from its first keyframe, as the relay received it."""
    from media import aiortc_hooks
    from media.registry import SourceRegistry

    aiortc_hooks.use_loopback_candidates(True)
    source = SourceRegistry().ensure("r1", "venue:chromium")
    frames: list[LayeredFrame] = []
    push = source.video.push

    def recording(packet, keyframe, tid=None, sync=False):  # type: ignore[no-untyped-def]
        if (frames or keyframe) and tid is not None:
            frames.append(LayeredFrame(int(packet.pts), tid, sync, keyframe, bytes(packet)))
        push(packet, keyframe, tid, sync)

    source.video.push = recording  # type: ignore[method-assign]
    async with chromium_publisher(source, kbps=kbps):
        while not frames or frames[-1].timestamp - frames[0].timestamp < seconds * 90000:
            await asyncio.sleep(0.1)
    return frames


if __name__ == "__main__":
    recorded = asyncio.run(record())
    dump(recorded)
    print(len(recorded), "frames,", sum(len(f.data) for f in recorded), "bytes,", FIXTURE)
