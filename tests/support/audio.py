"""Voice-note material for tests: real encoded clips, WAV silence, bodies that arrive in pieces, uploads."""

from __future__ import annotations

import asyncio
import io
import math
import struct
import wave
from collections.abc import AsyncIterator
from typing import Any

import av

from tests.support.api import Api

# A session description: probed, FFmpeg's sdp demuxer binds UDP port 40000 and waits for RTP there.
SDP = (
    b"v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=probe\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    b"m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
)


def ffconcat(*names: str) -> bytes:
    """A concat script: probed, FFmpeg opens each named file (relative to the working directory)."""
    return b"ffconcat version 1.0\n" + b"".join(f"file {name}\n".encode() for name in names)


def clip(seconds: float, fmt: str = "ogg", codec: str = "libopus") -> bytes:
    """A real encoded tone of ``seconds`` length."""
    buf = io.BytesIO()
    with av.open(buf, mode="w", format=fmt) as out:
        stream = out.add_stream(codec, rate=48000)
        stream.layout = "mono"  # type: ignore[union-attr]
        samples = int(48000 * seconds)
        for start in range(0, samples, 960):
            pcm = [int(8000 * math.sin(2 * math.pi * 440 * (start + i) / 48000)) for i in range(960)]
            frame = av.AudioFrame(format="s16", layout="mono", samples=960)
            frame.planes[0].update(struct.pack(f"<{len(pcm)}h", *pcm))
            frame.sample_rate = 48000
            frame.pts = start
            for packet in stream.encode(frame):  # type: ignore[union-attr]
                out.mux(packet)
        for packet in stream.encode(None):  # type: ignore[union-attr]
            out.mux(packet)
    return buf.getvalue()


def wav(seconds: float, rate: int = 8000) -> bytes:
    """Silence as 16-bit mono PCM WAV: 60 s at 8 kHz is 960,044 bytes."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\0\0" * int(rate * seconds))
    return buf.getvalue()


async def trickle(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    """The body in pieces that arrive apart, as over a real network (chunked: no Content-Length)."""
    for start in range(0, len(data), size):
        yield data[start : start + size]
        await asyncio.sleep(0.005)


async def upload(api: Api, token: str, rid: str, data: Any, ctype: str, client_id: str) -> tuple[int, Any]:
    """POST a voice note (``data``: bytes or an async iterator of pieces)."""
    return await api.call(
        "POST", f"/api/rooms/{rid}/voice?client_id={client_id}", token=token, data=data,
        headers={"Content-Type": ctype},
    )  # fmt: skip
