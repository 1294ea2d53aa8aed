"""Recording (课堂实录): encoded packets remuxed into WebM (VP8) or Matroska (H.264), never transcoded.

A :class:`Recorder` subscribes to a source like any viewer; a writer thread owns the PyAV container.
Every packet is flushed to the file (``flush_packets``) and clusters close every second, so after
a crash the file plays up to the last written cluster; on the next start such rows are marked
``interrupted`` with the size and duration found in the file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import shutil
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from media.bitstream import vp8_dimensions
from media.models import Recording, RecordingStatus
from media.registry import MediaSource, SourceRegistry
from media.source import EncodedFrame, FrameReader, ReaderClosed
from server.cluster import TaskGroup
from server.db import Database, now
from server.errors import Conflict, NotFound, StorageFull, disk_full

if TYPE_CHECKING:  # PyAV is imported by the writer thread of the first recording, not at start-up
    import av

log = logging.getLogger(__name__)

# room id -> True while another live process carries the room's media (and so its recordings)
RunningElsewhere = Callable[[str], Awaitable[bool]]

FORMATS = {"video/vp8": ("webm", "vp8", "video/webm"), "video/h264": ("matroska", "h264", "video/x-matroska")}
RECORDING_QUEUE_FRAMES = 600
# Free space a recording needs to start: a few minutes of a 2 Mbit/s venue. Below it the start is refused
# (507 ``disk_full``) instead of beginning a file that cannot be finished.
START_FREE_BYTES = 64 * 1024 * 1024


@dataclass
class RecorderResult:
    duration: float
    frames: int
    size: int


class Recorder:
    """Writes one source's audio and video to ``path`` until :meth:`stop`.

    ``on_origin`` is awaited once with :attr:`origin`, the UNIX time of the file's time zero. When the
    file cannot be written (the disk is full), reading stops at once and ``on_failure`` is called on the
    event loop with the error, which stays in :attr:`error`.
    """

    def __init__(
        self,
        source: MediaSource,
        path: Path,
        on_origin: Callable[[float], Awaitable[None]] | None = None,
        tasks: TaskGroup | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
    ) -> None:
        codec = (source.video.codec or "").lower()
        if codec not in FORMATS:
            raise Conflict(f"{source.name} has no recordable video yet", code="not_recordable")
        self.source = source
        self.path = path
        self.format, self.video_codec, self.content_type = FORMATS[codec]
        self.frames = 0
        self.duration = 0.0
        self.origin: float | None = None
        self._on_origin = on_origin
        self._queue: queue.SimpleQueue[tuple[str, EncodedFrame] | None] = queue.SimpleQueue()
        self._subs: list[FrameReader] = []
        self.tasks = tasks if tasks is not None else TaskGroup("media/recorder")
        self._thread = threading.Thread(target=self._write, name=f"recorder-{path.stem}", daemon=True)
        self.error: BaseException | None = None
        self._on_failure = on_failure
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._thread.start()
        for enc in (self.source.video, self.source.audio):
            sub = enc.subscribe(maxsize=RECORDING_QUEUE_FRAMES)
            self._subs.append(sub)
            self.tasks.spawn(self._pump(enc.kind, sub), name=f"recorder-pump:{enc.kind}")

    async def _pump(self, kind: str, sub: FrameReader) -> None:
        with contextlib.suppress(ReaderClosed):
            while True:
                frame = await sub.get()
                self._queue.put((kind, frame))
                if self.origin is None and kind == "video" and frame.keyframe:
                    await self._found_origin(frame)

    async def _found_origin(self, frame: EncodedFrame) -> None:
        # The writer starts the file at this keyframe (a video subscription starts at one) and counts
        # file time from its pts; its arrival, on the wall clock, is the file's time zero.
        self.origin = time.time() - (time.monotonic() - frame.received_at)
        if self._on_origin is not None:
            try:
                await self._on_origin(self.origin)
            except Exception:
                log.exception("recording %s: storing its origin failed", self.path.stem)

    async def stop(self) -> RecorderResult:
        """Stop reading, let the writer finish the file (cues, duration) and report what was written."""
        for sub in self._subs:
            sub.close()
        await self.tasks.close()
        self._queue.put(None)
        await asyncio.to_thread(self._thread.join)
        size = self.path.stat().st_size if self.path.exists() else 0
        return RecorderResult(duration=self.duration, frames=self.frames, size=size)

    # ---- writer thread -------------------------------------------------------------------------
    def _write(self) -> None:
        import av

        out: av.container.OutputContainer | None = None
        streams: dict[str, av.stream.Stream] = {}
        video_start: tuple[int, float] | None = None  # (pts, arrival) of the first keyframe
        audio_start: tuple[int, float] | None = None
        try:
            while (item := self._queue.get()) is not None:
                kind, frame = item
                src = frame.packet
                assert src.pts is not None and src.time_base is not None
                if out is None:
                    if kind != "video" or not frame.keyframe:
                        continue  # the file starts with a video keyframe
                    out, streams = self._open(bytes(src))
                    video_start = (src.pts, frame.received_at)
                if kind == "video":
                    assert video_start is not None
                    seconds = float((src.pts - video_start[0]) * src.time_base)
                else:
                    if "audio" not in streams:
                        continue
                    if audio_start is None:
                        audio_start = (src.pts, frame.received_at)
                    assert video_start is not None
                    # align the two clocks by arrival: RTP timestamps of audio and video are unrelated
                    offset = audio_start[1] - video_start[1]
                    seconds = float((src.pts - audio_start[0]) * src.time_base) + offset
                if seconds < 0:
                    continue
                packet = av.Packet(bytes(src))
                packet.time_base = Fraction(1, 1000)
                packet.pts = packet.dts = round(seconds * 1000)
                packet.is_keyframe = frame.keyframe
                packet.stream = streams[kind]
                out.mux(packet)
                if kind == "video":
                    self.frames += 1
                    self.duration = max(self.duration, seconds)
        except Exception as exc:
            self.error = exc
            if isinstance(exc, OSError) and disk_full(exc):
                log.error("recording %s failed: %s", self.path.name, exc)
            else:
                log.exception("recording %s failed", self.path.name)
        finally:
            if out is not None:
                with contextlib.suppress(Exception):
                    out.close()
        if self.error is not None and self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: the process is going away
                self._loop.call_soon_threadsafe(self._failed, self.error)

    def _failed(self, exc: BaseException) -> None:
        # Nothing reads the queue any more: stop filling it, or it grows with every frame the source sends.
        for sub in self._subs:
            sub.close()
        if self._on_failure is not None:
            self._on_failure(exc)

    def _open(self, keyframe: bytes) -> tuple[av.container.OutputContainer, dict[str, av.stream.Stream]]:
        import av

        width, height = vp8_dimensions(keyframe) or (0, 0)
        out = av.open(
            str(self.path),
            "w",
            format=self.format,
            options={"flush_packets": "1"},
            container_options={"cluster_time_limit": "1000"},
        )
        streams: dict[str, av.stream.Stream] = {
            "video": out.add_mux_stream(self.video_codec, width=width, height=height)
        }
        if (self.source.audio.codec or "").lower() == "audio/opus":
            streams["audio"] = out.add_mux_stream("opus", rate=48000)
        return out, streams


def probe(path: Path) -> tuple[float, int]:
    """Duration (seconds) and video frame count of a possibly unfinished file, by demuxing it."""
    import av

    last = 0.0
    frames = 0
    try:
        with av.open(str(path)) as container:
            for packet in container.demux(video=0):
                if packet.pts is None or packet.time_base is None:
                    continue
                frames += 1
                last = max(last, float(packet.pts * packet.time_base))
    except (av.FFmpegError, OSError, IndexError):
        pass
    return last, frames


class RecordingService:
    """Starts, stops, indexes and recovers recordings of this process's sources."""

    def __init__(
        self, db: Database, registry: SourceRegistry, data_dir: Path, tasks: TaskGroup | None = None
    ) -> None:
        self.db = db
        self.tasks = tasks if tasks is not None else TaskGroup("media")
        self.registry = registry
        self.data_dir = data_dir
        self.active: dict[str, Recorder] = {}
        self._lock = asyncio.Lock()
        self._recheck: asyncio.Future[None] | None = None

    def file_of(self, row: Recording) -> Path:
        return self.data_dir / row.path

    async def recover(
        self, running_elsewhere: RunningElsewhere | None = None, *, recheck_after: float = 8.0
    ) -> int:
        """Rows left ``recording`` by a crash become ``interrupted`` with what their files hold.

        With several processes, a row may belong to a recording that another live process is writing
        (its room's media home): ``running_elsewhere(room_id)`` says so, and such rows are left alone.
        They are looked at once more after ``recheck_after`` seconds (longer than the home's lease), so
        that a crashed process's rows, whose lease was still running at start-up, are not missed."""
        async with self.db.transaction() as session:
            rows = (
                await session.scalars(select(Recording).where(Recording.status == RecordingStatus.RECORDING))
            ).all()
            mine = [
                r for r in rows
                if r.id not in self.active and (running_elsewhere is None or not await running_elsewhere(r.room_id))
            ]  # fmt: skip
            for row in mine:
                path = self.file_of(row)
                duration, frames = await asyncio.to_thread(probe, path)
                row.status = RecordingStatus.INTERRUPTED
                row.duration, row.frames = duration, frames
                row.size = path.stat().st_size if path.exists() else 0
                row.stopped_at = (row.origin or row.started_at) + duration
        if mine:
            log.warning("marked %d unfinished recordings as interrupted", len(mine))
        others = len(rows) - len(mine) - sum(r.id in self.active for r in rows)
        if others:
            log.info("left %d recordings that another process is writing", others)
            if recheck_after > 0 and self._recheck is None:
                self._recheck = self.tasks.spawn(
                    self._recover_later(running_elsewhere, recheck_after), name="recordings-recheck"
                )
        return len(mine)

    async def _recover_later(self, running_elsewhere: RunningElsewhere | None, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            await self.recover(running_elsewhere, recheck_after=0)
        except Exception:
            log.exception("second look at unfinished recordings failed")

    async def start(self, room_id: str, source_name: str, user_id: int) -> Recording:
        async with self._lock:
            source = self.registry.get(room_id, source_name)
            if source is None or not source.live:
                raise Conflict(f"{source_name} is not live", code="not_live")
            if any(r.source is source for r in self.active.values()):
                raise Conflict(f"{source_name} is already being recorded", code="already_recording")
            await self._check_space(room_id)
            rec_id = uuid.uuid4().hex[:16]
            ext = "webm" if (source.video.codec or "").lower() == "video/vp8" else "mkv"
            relative = f"recordings/{room_id}/{rec_id}.{ext}"
            recorder = Recorder(
                source,
                self.data_dir / relative,
                partial(self._set_origin, rec_id),
                self.tasks.child("recorder"),
                partial(self._writer_failed, rec_id),
            )
            row = Recording(
                id=rec_id,
                room_id=room_id,
                source=source_name,
                venue_id=source_name.split(":", 1)[1] if source_name.startswith("venue:") else None,
                started_by=user_id,
                started_at=now(),
                status=RecordingStatus.RECORDING,
                path=relative,
                content_type=recorder.content_type,
            )
            async with self.db.transaction() as session:
                session.add(row)
            await recorder.start()
            self.active[rec_id] = recorder
        log.info("recording %s started room=%s source=%s user=%s", rec_id, room_id, source_name, user_id)
        return row

    async def _set_origin(self, rec_id: str, origin: float) -> None:
        async with self.db.transaction() as session:
            row = await session.get(Recording, rec_id)
            if row is not None:
                row.origin = origin

    async def _check_space(self, room_id: str) -> None:
        """507 ``disk_full`` unless the room's recordings folder can be made and has room to start a file."""
        folder = self.data_dir / "recordings" / room_id

        def free() -> int:
            folder.mkdir(parents=True, exist_ok=True)
            return shutil.disk_usage(folder).free

        try:
            left = await asyncio.to_thread(free)
        except OSError as exc:
            if disk_full(exc):
                raise StorageFull("the server's disk is full: recording cannot start") from None
            raise
        if left < START_FREE_BYTES:
            raise StorageFull(
                f"the server's disk is nearly full ({left // (1024 * 1024)} MiB free): recording cannot start"
            )

    def _writer_failed(self, rec_id: str, exc: BaseException) -> None:
        recorder = self.active.pop(rec_id, None)
        if recorder is not None:  # not already being stopped
            self.tasks.spawn(
                self._finish(rec_id, recorder, RecordingStatus.FAILED), name=f"recording-failed:{rec_id}"
            )

    async def stop(self, rec_id: str) -> Recording:
        recorder = self.active.pop(rec_id, None)
        if recorder is None:
            row = await self.get(rec_id)
            raise Conflict(
                "this recording is not running", code="not_recording", details={"status": row.status}
            )
        return await self._finish(rec_id, recorder, RecordingStatus.DONE)

    async def _finish(self, rec_id: str, recorder: Recorder, status: RecordingStatus) -> Recording:
        """Close the file and store what it holds: ``done``, or ``failed`` when the writer could not write
        (a file cut short by a full disk is never listed as complete)."""
        result = await recorder.stop()
        if recorder.error is not None:
            status = RecordingStatus.FAILED
        async with self.db.transaction() as session:
            found = await session.get(Recording, rec_id)
            if found is None:
                raise NotFound("recording not found", code="recording_not_found")
            found.status = status
            found.stopped_at = now()
            found.origin = recorder.origin
            found.duration, found.frames, found.size = result.duration, result.frames, result.size
            row = found
        log.log(
            logging.ERROR if status == RecordingStatus.FAILED else logging.INFO,
            "recording %s %s room=%s: %.1fs %d frames %d bytes",
            rec_id,
            "failed" if status == RecordingStatus.FAILED else "stopped",
            row.room_id,
            result.duration,
            result.frames,
            result.size,
        )
        return row

    async def get(self, rec_id: str) -> Recording:
        async with self.db.session() as session:
            row = await session.get(Recording, rec_id)
        if row is None:
            raise NotFound("recording not found", code="recording_not_found")
        return row

    async def in_room(self, room_id: str) -> list[Recording]:
        async with self.db.session() as session:
            rows = await session.scalars(
                select(Recording).where(Recording.room_id == room_id).order_by(Recording.started_at)
            )
            return list(rows.all())

    def live_size(self, row: Recording) -> tuple[int, float]:
        """Current size and duration of a recording still being written."""
        recorder = self.active.get(row.id)
        if recorder is None:
            return row.size, row.duration
        path = self.file_of(row)
        return (path.stat().st_size if path.exists() else 0), recorder.duration

    async def stop_all(self) -> None:
        if self._recheck is not None:
            self._recheck.cancel()
            await asyncio.gather(self._recheck, return_exceptions=True)
        for rec_id in list(self.active):
            try:
                await self.stop(rec_id)
            except Exception:
                log.exception("stopping recording %s at shutdown failed", rec_id)
