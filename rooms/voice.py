"""Voice notes: check an uploaded clip (type, size, real duration read with PyAV) and keep it on disk."""

from __future__ import annotations

import asyncio
import io
import os
import secrets
from pathlib import Path

import av

from server.errors import TooLarge, ValidationError

ALLOWED_TYPES = {
    "audio/webm": "webm",
    "audio/ogg": "ogg",
    "audio/mpeg": "mp3",
    "audio/mp4": "m4a",
    "audio/aac": "aac",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
}


def content_type_ok(content_type: str) -> str:
    """The file extension for an accepted MIME type, else a 415-style validation error."""
    base = content_type.split(";", 1)[0].strip().lower()
    ext = ALLOWED_TYPES.get(base)
    if ext is None:
        raise ValidationError(
            f"voice notes must be one of {', '.join(sorted(ALLOWED_TYPES))}", code="unsupported_type"
        )
    return ext


def probe_duration(data: bytes) -> float:
    """Seconds of audio in ``data``; ValidationError unless it decodes as a container with audio.

    The container's own duration is not trusted (a header can claim anything): the packets are
    walked and their timestamps summed."""
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            streams = [s for s in container.streams if s.type == "audio"]
            if not streams:
                raise ValidationError("the file has no audio", code="not_audio")
            stream = streams[0]
            end = 0.0
            for packet in container.demux(stream):
                if packet.pts is None or packet.time_base is None:
                    continue
                stop = float((packet.pts + (packet.duration or 0)) * packet.time_base)
                end = max(end, stop)
            if end <= 0.0 and stream.duration and stream.time_base:
                end = float(stream.duration * stream.time_base)
            start = (
                float(stream.start_time * stream.time_base) if stream.start_time and stream.time_base else 0.0
            )
            return max(0.0, end - start)
    except ValidationError:
        raise
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        raise ValidationError(
            f"not a readable audio file ({exc.__class__.__name__})", code="not_audio"
        ) from None


async def check_clip(data: bytes, content_type: str, max_bytes: int, max_seconds: float) -> tuple[str, float]:
    """Validate an upload; returns (extension, duration)."""
    ext = content_type_ok(content_type)
    if len(data) > max_bytes:
        raise TooLarge(f"voice notes are at most {max_bytes} bytes", code="too_large")
    if not data:
        raise ValidationError("empty upload", code="not_audio")
    duration = await asyncio.to_thread(probe_duration, data)
    if duration <= 0.0:
        raise ValidationError("the clip has no audio frames", code="not_audio")
    if duration > max_seconds + 0.5:
        raise ValidationError(
            f"voice notes are at most {max_seconds:g} seconds (this one is {duration:.1f})", code="too_long"
        )
    return ext, duration


def voice_dir(data_dir: Path) -> Path:
    return data_dir / "voice"


async def save_clip(data_dir: Path, data: bytes, ext: str) -> tuple[str, str]:
    """Write the clip durably (fsync) before anyone is told of it; returns (voice_id, filename)."""
    voice_id = secrets.token_hex(8)
    filename = f"{voice_id}.{ext}"

    def write() -> None:
        folder = voice_dir(data_dir)
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / (filename + ".part")
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.rename(folder / filename)

    await asyncio.to_thread(write)
    return voice_id, filename
