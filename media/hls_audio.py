"""The audio of an HLS rendition: the source's Opus decoded and encoded once as AAC-LC (what every HLS
player plays; Opus in fMP4 needs a recent Safari), on the video's clock.

RTP timestamps of audio and video are unrelated, so the two are aligned by arrival, as recordings are
(:mod:`media.recording`): audio time zero is where the first audio frame arrived after the first
video keyframe.
"""

from __future__ import annotations

from fractions import Fraction

import av

from media.source import EncodedFrame

AUDIO_RATE = 48000
AUDIO_TIME_BASE = Fraction(1, AUDIO_RATE)


class AacTrack:
    """Adds an AAC stream to ``out`` and muxes the source's Opus frames into it, re-encoded."""

    def __init__(self, out: av.container.OutputContainer, video_arrival: float) -> None:
        self.stream: av.audio.stream.AudioStream = out.add_stream("aac", rate=AUDIO_RATE, layout="stereo")
        self.stream.time_base = AUDIO_TIME_BASE
        self.out = out
        self.video_arrival = video_arrival  # arrival of the video keyframe at file time zero
        self.decoder = av.CodecContext.create("opus", "r")
        self.start: tuple[int, float] | None = None  # (pts, seconds in the file) of the first frame
        self.last = -1

    def mux(self, frame: EncodedFrame) -> int:
        """Re-encode one Opus frame; returns the bytes muxed."""
        src = frame.packet
        assert src.pts is not None and src.time_base is not None
        if self.start is None:
            offset = frame.received_at - self.video_arrival
            if offset < 0:
                return 0  # sent before the first video keyframe
            self.start = (src.pts, offset)
        seconds = float((src.pts - self.start[0]) * src.time_base) + self.start[1]
        pts = round(seconds * AUDIO_RATE)
        if pts <= self.last:
            return 0
        self.last = pts
        written = 0
        for decoded in self.decoder.decode(src):
            decoded.pts, decoded.time_base = pts, AUDIO_TIME_BASE
            for packet in self.stream.encode(decoded):
                self.out.mux(packet)
                written += packet.size
        return written

    def flush(self) -> None:
        for packet in self.stream.encode(None):
            self.out.mux(packet)
