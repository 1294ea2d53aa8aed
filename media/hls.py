"""HLS for the mass audience (大规模直播): one packager per room and source, CMAF (fMP4) segments.

A :class:`Packager` subscribes to a source like any viewer (the program feed, or a venue on request);
a writer thread owns a PyAV ``hls`` muxer. The video is always H.264, which every player plays
(Safari and iOS natively, WeChat's browser, hls.js through MSE in Chromium and Firefox):

* an H.264 source is remuxed, never transcoded; the packager asks the source for a keyframe once
  per segment so that segments stay short;
* a VP8 source (the program's default codec) is decoded and encoded ONCE per packager with libx264
  (one thread, ``veryfast``/``zerolatency``), whatever the number of viewers; an IDR is forced at
  every segment boundary, so each segment starts with one. Its CPU is counted in
  :attr:`PackagerStats.cpu_seconds`.

Timestamps come from the source: the program output is one continuous timeline across hand-offs
(:mod:`media.continuity`), so the playlist needs no discontinuity tag. A segment file is written under
a temporary name and renamed when complete (ffmpeg's ``temp_file``), so a segment URL never serves
a partial or changing file; segments older than the retention window are deleted by the muxer.
The audio (Opus from WebRTC) is encoded once as AAC (:mod:`media.hls_audio`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from media.registry import MediaSource
from media.source import EncodedFrame, FrameReader, ReaderClosed
from server.cluster import TaskGroup
from server.errors import Conflict

if TYPE_CHECKING:  # PyAV is imported by the writer thread of the first packager, not at start-up (issue #18)
    import av

    from media.hls_audio import AacTrack

log = logging.getLogger(__name__)

PLAYLIST = "playlist.m3u8"
INIT = "init.mp4"
TIME_BASE = Fraction(1, 90000)
QUEUE_FRAMES = 400  # the writer is this far behind: drop to the next keyframe rather than grow
ENCODER_OPTIONS = {"preset": "veryfast", "tune": "zerolatency", "forced-idr": "1", "crf": "25",
                   "threads": "1", "x264-params": "scenecut=0:keyint=600"}  # fmt: skip
CODECS = ("video/vp8", "video/h264")


@dataclass
class PackagerStats:
    segments: int = 0  # segments written
    frames: int = 0  # video frames muxed
    bytes: int = 0  # bytes of segments written
    dropped: int = 0  # frames dropped because the writer fell behind
    cpu_seconds: float = 0.0  # the writer thread's CPU (decode + encode when transcoding)


class Packager:
    """Writes one source's video as an HLS playlist with fMP4 segments in ``directory``."""

    def __init__(
        self,
        source: MediaSource,
        directory: Path,
        *,
        segment_seconds: float,
        window_seconds: float,
        on_end: Callable[[Packager], None] | None = None,
        tasks: TaskGroup | None = None,
    ) -> None:
        codec = (source.video.codec or "").lower()
        if codec not in CODECS:
            raise Conflict(f"{source.name} has no video HLS can carry", code="hls_unsupported")
        self.source = source
        self.directory = directory
        self.session = directory.name
        self.transcode = codec == "video/vp8"
        self.segment_seconds = segment_seconds
        self.list_size = max(3, round(window_seconds / segment_seconds))
        self.stats = PackagerStats()
        self.started_at = time.time()
        self.error: BaseException | None = None
        self._queue: queue.Queue[tuple[str, EncodedFrame] | None] = queue.Queue(QUEUE_FRAMES)
        self._reader: FrameReader | None = None
        self._audio_reader: FrameReader | None = None
        self.with_audio = (source.audio.codec or "").lower() == "audio/opus"
        self._on_end = on_end
        self.tasks = tasks if tasks is not None else TaskGroup("media/hls")
        self._thread = threading.Thread(target=self._write, name=f"hls-{self.session}", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def backlog(self) -> int:
        """Frames waiting for the writer thread."""
        return self._queue.qsize()

    @property
    def playlist(self) -> Path:
        return self.directory / PLAYLIST

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.directory.mkdir(parents=True, exist_ok=True)
        self._thread.start()
        self._reader = self.source.video.subscribe(maxsize=QUEUE_FRAMES)
        self.tasks.spawn(self._pump(self._reader), name=f"hls-pump:{self.session}")
        if self.with_audio:
            self._audio_reader = self.source.audio.subscribe(maxsize=QUEUE_FRAMES)
            self.tasks.spawn(self._pump_audio(self._audio_reader), name=f"hls-audio:{self.session}")
        if not self.transcode:
            self.tasks.spawn(self._ask_keyframes(), name=f"hls-keyframes:{self.session}")

    async def _pump(self, reader: FrameReader) -> None:
        skipping = False
        with contextlib.suppress(ReaderClosed):
            while True:
                frame = await reader.get()
                if skipping and not frame.keyframe:
                    self.stats.dropped += 1
                    continue
                try:
                    self._queue.put_nowait(("video", frame))
                    skipping = False
                except queue.Full:  # the writer is behind (CPU): resume at a keyframe
                    self.stats.dropped += 1
                    skipping = True
                    self.source.video.request_keyframe()
        # the source ended (the program feed was freed): finish the playlist
        if self._on_end is not None:
            self._on_end(self)

    async def _pump_audio(self, reader: FrameReader) -> None:
        with contextlib.suppress(ReaderClosed):
            while True:
                frame = await reader.get()
                try:
                    self._queue.put_nowait(("audio", frame))
                except queue.Full:
                    pass  # the video's drop already counts the writer falling behind

    async def _ask_keyframes(self) -> None:
        """A remuxed stream can only be cut at the publisher's keyframes: ask for one per segment."""
        while True:
            await asyncio.sleep(self.segment_seconds)
            self.source.video.request_keyframe()

    async def stop(self) -> None:
        """Stop reading and let the writer end the playlist (``#EXT-X-ENDLIST``)."""
        for reader in (self._reader, self._audio_reader):
            if reader is not None:
                reader.close()
        await self.tasks.close()
        await asyncio.to_thread(self._enqueue_end)
        await asyncio.to_thread(self._thread.join)

    def _enqueue_end(self) -> None:
        while self._thread.is_alive():
            try:
                self._queue.put(None, timeout=0.5)
                return
            except queue.Full:
                continue

    # ---- writer thread -------------------------------------------------------------------------
    def _write(self) -> None:
        import av
        from av.video.frame import PictureType

        from media.hls_audio import AacTrack

        out: av.container.OutputContainer | None = None
        stream: av.video.stream.VideoStream | None = None
        decoder = av.CodecContext.create("vp8", "r") if self.transcode else None
        audio: AacTrack | None = None
        start: int | None = None  # source pts of the first keyframe
        last = -1
        next_idr = 0
        try:
            while (item := self._queue.get()) is not None:
                kind, frame = item
                if kind == "audio":
                    if audio is not None:
                        self.stats.bytes += audio.mux(frame)
                    continue
                src = frame.packet
                assert src.pts is not None and src.time_base is not None
                if start is None:
                    if not frame.keyframe:
                        continue
                    start = src.pts
                pts = round((src.pts - start) * src.time_base / TIME_BASE)
                if pts <= last:
                    continue  # never backwards: the muxer and the encoder refuse it
                last = pts
                if decoder is None:
                    if out is None:
                        out, stream = self._open(_h264_picture(bytes(src)))
                        audio = AacTrack(out, frame.received_at) if self.with_audio else None
                    assert stream is not None
                    self._mux_copy(out, stream, bytes(src), pts, frame.keyframe)
                    continue
                for picture in decoder.decode(src):
                    if out is None:
                        out, stream = self._open(picture)
                        audio = AacTrack(out, frame.received_at) if self.with_audio else None
                    assert stream is not None
                    if (picture.width, picture.height) != (stream.width, stream.height):
                        picture = picture.reformat(stream.width, stream.height, "yuv420p")
                    picture.pts, picture.time_base = pts, TIME_BASE
                    picture.pict_type = PictureType.I if pts >= next_idr else PictureType.NONE
                    if pts >= next_idr:
                        next_idr = pts + round(self.segment_seconds / TIME_BASE)
                    for packet in stream.encode(picture):
                        self._mux(out, packet)
                self.stats.cpu_seconds = time.thread_time()
            if out is not None and stream is not None and decoder is not None:
                for packet in stream.encode(None):
                    self._mux(out, packet)
            if audio is not None:
                audio.flush()
        except Exception as exc:
            self.error = exc
            log.exception("hls %s failed", self.session)
        finally:
            self.stats.cpu_seconds = time.thread_time()
            if out is not None:
                with contextlib.suppress(Exception):
                    out.close()
        if self.error is not None and self._loop is not None and self._reader is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: the process is going away
                self._loop.call_soon_threadsafe(self._reader.close)  # the pump ends, the service cleans up

    def _open(self, first: av.VideoFrame) -> tuple[av.container.OutputContainer, av.video.stream.VideoStream]:
        """The muxer and its H.264 stream: remuxed (``first`` decoded only for its size) or encoded."""
        import av

        out = av.open(
            str(self.playlist),
            "w",
            format="hls",
            options={
                "hls_time": str(self.segment_seconds),
                "hls_segment_type": "fmp4",
                "hls_list_size": str(self.list_size),
                "hls_delete_threshold": "2",
                "hls_flags": "delete_segments+independent_segments+temp_file+program_date_time",
                "hls_fmp4_init_filename": INIT,
                "hls_segment_filename": str(self.directory / "s%06d.m4s"),
            },
            # a source whose audio stops must not hold the video back in the interleaver (10 s by default)
            container_options={"max_interleave_delta": "500000"},
        )
        if not self.transcode:
            stream: av.video.stream.VideoStream = out.add_mux_stream(  # type: ignore[assignment]
                "h264", width=first.width, height=first.height
            )
        else:
            stream = out.add_stream("libx264", rate=30, options=ENCODER_OPTIONS)
            stream.width, stream.height = first.width // 2 * 2, first.height // 2 * 2
            stream.pix_fmt = "yuv420p"
            stream.codec_context.time_base = TIME_BASE
        stream.time_base = TIME_BASE
        return out, stream

    def _mux_copy(
        self, out: av.container.OutputContainer, stream: av.video.stream.VideoStream, data: bytes,
        pts: int, keyframe: bool,
    ) -> None:  # fmt: skip
        import av

        packet = av.Packet(data)
        packet.time_base = TIME_BASE
        packet.pts = packet.dts = pts
        packet.is_keyframe = keyframe
        packet.stream = stream
        self._mux(out, packet)

    def _mux(self, out: av.container.OutputContainer, packet: av.Packet) -> None:
        if packet.is_keyframe and self.stats.frames:
            self.stats.segments += 1  # approximately: the muxer cuts at the first keyframe past hls_time
        out.mux(packet)
        self.stats.frames += 1
        self.stats.bytes += packet.size


def _h264_picture(keyframe: bytes) -> av.VideoFrame:
    """The first keyframe decoded (its size is the stream's; the muxer needs it before any packet)."""
    import av

    decoder = av.CodecContext.create("h264", "r")
    pictures = [*decoder.decode(av.Packet(keyframe)), *decoder.decode(None)]
    if not pictures:
        raise ValueError("the first H.264 keyframe does not decode")
    picture = pictures[0]
    assert isinstance(picture, av.VideoFrame)
    return picture
