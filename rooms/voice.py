"""Voice notes: check an uploaded clip (declared type, size, real duration read with PyAV) and keep it on disk."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import secrets
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from server.errors import RateLimited, StorageFull, TooLarge, UnsupportedMediaType, ValidationError, disk_full
from server.workers import BoundedPool

log = logging.getLogger(__name__)
THREAD_PREFIX = "moke-voice"


@dataclass(frozen=True)
class Container:
    """An accepted voice-note type: the MIME type stored, the file extension, the FFmpeg demuxer."""

    mime: str
    ext: str
    demuxer: str


# The only containers a voice note may be, keyed by ``Content-Type`` (parameters such as ``;codecs=opus``
# dropped). The body is opened with exactly this demuxer: FFmpeg never probes an upload, because probing
# lets the bytes pick the demuxer, and some demuxers act on their input (``sdp`` binds UDP sockets and waits
# for RTP, ``concat`` and ``hls`` open the files and URLs the body names).
CONTAINERS: dict[str, Container] = {
    "audio/webm": Container("audio/webm", "webm", "webm"),
    "audio/ogg": Container("audio/ogg", "ogg", "ogg"),
    "audio/mpeg": Container("audio/mpeg", "mp3", "mp3"),
    "audio/mp4": Container("audio/mp4", "m4a", "mp4"),
    "audio/aac": Container("audio/aac", "aac", "aac"),
    "audio/wav": Container("audio/wav", "wav", "wav"),
    "audio/x-wav": Container("audio/x-wav", "wav", "wav"),
    "audio/wave": Container("audio/wave", "wav", "wav"),
}


def container_for(content_type: str) -> Container:
    """The container a ``Content-Type`` declares, else 415 ``unsupported_type``."""
    base = content_type.split(";", 1)[0].strip().lower()
    container = CONTAINERS.get(base)
    if container is None:
        raise UnsupportedMediaType(f"voice notes must be one of {', '.join(sorted(CONTAINERS))}")
    return container


class CheckTimeout(Exception):
    """The clip was not read within its time limit (raised from inside FFmpeg's reads and the demux loop)."""


class _DeadlineReader(io.RawIOBase):
    """The upload as FFmpeg reads it, refusing every read after ``deadline`` (``time.monotonic()``).

    FFmpeg calls back into Python for each read and seek, so a demuxer that spins over the input stops at
    its next read instead of holding its thread."""

    def __init__(self, data: bytes, deadline: float) -> None:
        super().__init__()
        self._buf = io.BytesIO(data)
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        _check(self._deadline)
        return self._buf.readinto(buffer)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        _check(self._deadline)
        return self._buf.seek(offset, whence)

    def tell(self) -> int:
        return self._buf.tell()


def _check(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise CheckTimeout


def probe_duration(data: bytes, demuxer: str, time_limit: float) -> float:
    """Seconds of audio in ``data`` read as ``demuxer``; ValidationError unless it is that container with audio,
    or when reading it takes longer than ``time_limit`` seconds (``too_slow``).

    The container's own duration is not trusted (a header can claim anything): the packets are
    walked and their timestamps summed."""
    import av  # PyAV (about 16 MB resident) only once a voice note is checked, not at start-up

    deadline = time.monotonic() + time_limit
    try:
        with av.open(_DeadlineReader(data, deadline), mode="r", format=demuxer) as container:
            streams = [s for s in container.streams if s.type == "audio"]
            if not streams:
                raise ValidationError("the file has no audio", code="not_audio")
            stream = streams[0]
            end = 0.0
            for packet in container.demux(stream):
                _check(deadline)
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
    except CheckTimeout:
        raise _too_slow(time_limit) from None
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        raise ValidationError(
            f"not a readable {demuxer} audio file ({exc.__class__.__name__})", code="not_audio"
        ) from None


def _too_slow(time_limit: float) -> ValidationError:
    return ValidationError(f"the clip could not be read within {time_limit:g} seconds", code="too_slow")


def _busy() -> RateLimited:
    return RateLimited("the server is busy checking voice notes; try again shortly", code="voice_busy",
                       retry_after=2)  # fmt: skip


class VoiceChecker:
    """Checks uploads in a bounded pool of its own (``rooms_voice_workers`` threads, ``rooms_voice_queue``
    waiting, then 429 ``voice_busy``), each within ``rooms_voice_check_seconds``: a flood of uploads holds
    these threads only, never the default executor the rest of the server shares."""

    def __init__(
        self, workers: int, queue: int, time_limit: float, max_bytes: int, max_seconds: float
    ) -> None:
        self.pool = BoundedPool(THREAD_PREFIX, workers, queue, _busy)
        self.time_limit = time_limit
        self.max_bytes = max_bytes
        self.max_seconds = max_seconds

    async def duration(self, data: bytes, container: Container) -> float:
        """The clip's real duration; ValidationError (``not_audio``, ``too_long``, ``too_slow``), TooLarge,
        RateLimited (``voice_busy``)."""
        if len(data) > self.max_bytes:
            raise TooLarge(f"voice notes are at most {self.max_bytes} bytes", code="too_large")
        if not data:
            raise ValidationError("empty upload", code="not_audio")
        try:
            # the deadline inside the call stops it; the outer one (a second later) answers the caller even if
            # FFmpeg were stuck between two reads
            duration = await self.pool.run(
                partial(probe_duration, data, container.demuxer, self.time_limit),
                time_limit=self.time_limit + 1.0,
            )
        except TimeoutError:
            raise _too_slow(self.time_limit) from None
        if duration <= 0.0:
            raise ValidationError("the clip has no audio frames", code="not_audio")
        if duration > self.max_seconds + 0.5:
            raise ValidationError(
                f"voice notes are at most {self.max_seconds:g} seconds (this one is {duration:.1f})",
                code="too_long",
            )
        return duration

    def close(self) -> None:
        self.pool.close()


def voice_dir(data_dir: Path) -> Path:
    return data_dir / "voice"


async def save_clip(data_dir: Path, data: bytes, ext: str) -> tuple[str, str]:
    """Write the clip durably (fsync) before anyone is told of it; returns (voice_id, filename).

    The clip is written as ``<name>.part`` and renamed only once complete, so a listed file is a whole
    one; when the disk is full the part is removed and 507 ``disk_full`` raised."""
    voice_id = secrets.token_hex(8)
    filename = f"{voice_id}.{ext}"

    def write() -> None:
        folder = voice_dir(data_dir)
        tmp = folder / (filename + ".part")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            tmp.rename(folder / filename)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            if disk_full(exc):
                log.error("voice note %s not saved: %s", voice_id, exc)
                raise StorageFull("the server's disk is full: the voice note was not saved") from None
            raise

    await asyncio.to_thread(write)
    return voice_id, filename


async def remove_clip(data_dir: Path, filename: str) -> None:
    """Delete a saved clip that will not be listed after all (its row could not be stored)."""
    await asyncio.to_thread((voice_dir(data_dir) / filename).unlink, missing_ok=True)
