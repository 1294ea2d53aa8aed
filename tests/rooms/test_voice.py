"""Reading a voice note: only as the declared container, within a time limit, in a bounded pool of its own."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import av
import pytest

from rooms.voice import CONTAINERS, VoiceChecker, container_for, probe_duration, save_clip
from server.errors import RateLimited, TooLarge, UnsupportedMediaType, ValidationError
from tests.support.audio import SDP, clip, ffconcat, wav


def test_every_accepted_type_names_a_plain_audio_demuxer() -> None:
    for mime, container in CONTAINERS.items():
        assert mime.startswith("audio/") and container.mime == mime
        names = set(av.format.ContainerFormat(container.demuxer, "r").name.split(","))
        # none of the demuxers that open what their input names (sdp: sockets; concat, hls: files, URLs)
        assert not names & {"sdp", "rtsp", "rtp", "concat", "hls", "image2", "lavfi"}, (mime, names)
    assert container_for("audio/webm;codecs=opus").demuxer == "webm"
    assert container_for(" Audio/MPEG ").ext == "mp3"
    for refused in ("application/sdp", "audio/x-mpegurl", "video/mp4", "", "audio/*"):
        with pytest.raises(UnsupportedMediaType) as caught:
            container_for(refused)
        assert caught.value.status == 415 and caught.value.code == "unsupported_type"


@pytest.mark.parametrize(("ctype", "data", "seconds"), [
    ("audio/ogg", clip(1.0), 1.0), ("audio/webm", clip(1.0, "webm"), 1.0), ("audio/mp4", clip(1.0, "mp4", "aac"), 1.0),
    ("audio/mpeg", clip(1.0, "mp3", "libmp3lame"), 1.0), ("audio/wav", wav(2.0), 2.0),
])  # fmt: skip
def test_real_clips_read_in_their_declared_container(ctype: str, data: bytes, seconds: float) -> None:
    assert probe_duration(data, container_for(ctype).demuxer, 5.0) == pytest.approx(seconds, abs=0.1)


def test_a_clip_declared_as_another_container_is_not_audio() -> None:
    with pytest.raises(ValidationError) as caught:
        probe_duration(clip(1.0), container_for("audio/wav").demuxer, 5.0)  # Ogg bytes sent as WAV
    assert caught.value.code == "not_audio"


def test_sdp_is_not_probed_into_a_network_session() -> None:
    """Probed, this body became an RTP session on UDP 40000; read as declared it is simply not audio."""
    for ctype in ("audio/mpeg", "audio/ogg", "audio/webm", "audio/mp4", "audio/aac", "audio/wav"):
        with pytest.raises(ValidationError) as caught:
            probe_duration(SDP, container_for(ctype).demuxer, 5.0)
        assert caught.value.code == "not_audio"


def test_ffconcat_does_not_open_files_next_to_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Probed, a concat script naming a file in the working directory was read as that file: an upload of
    a few bytes was accepted with the duration of a file on the server (and a refusal said it was absent)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lesson.ogg").write_bytes(clip(2.0))
    script = ffconcat("lesson.ogg")
    for ctype in ("audio/ogg", "audio/mpeg", "audio/wav"):
        with pytest.raises(ValidationError) as caught:
            probe_duration(script, container_for(ctype).demuxer, 5.0)
        assert caught.value.code == "not_audio"


def test_reading_stops_at_the_time_limit() -> None:
    with pytest.raises(ValidationError) as caught:
        probe_duration(wav(10.0), "wav", 0.0)  # the deadline has passed before the first read
    assert caught.value.code == "too_slow"


async def test_the_checker_bounds_its_own_pool_and_answers_busy() -> None:
    checker = VoiceChecker(workers=1, queue=1, time_limit=5.0, max_bytes=500_000, max_seconds=3.0)
    release = threading.Event()
    try:
        holders = [asyncio.ensure_future(checker.pool.run(release.wait)) for _ in range(2)]
        while checker.pool.admitted < 2:
            await asyncio.sleep(0.01)
        with pytest.raises(RateLimited) as caught:
            await checker.duration(clip(1.0), container_for("audio/ogg"))
        assert caught.value.code == "voice_busy" and caught.value.retry_after >= 1
        release.set()
        await asyncio.gather(*holders)
        assert await checker.duration(clip(1.0), container_for("audio/ogg")) == pytest.approx(1.0, abs=0.1)
        with pytest.raises(ValidationError) as too_long:
            await checker.duration(clip(4.0), container_for("audio/ogg"))
        assert too_long.value.code == "too_long"
        with pytest.raises(TooLarge):
            await checker.duration(b"\0" * 500_001, container_for("audio/ogg"))
        assert checker.pool.admitted == 0
    finally:
        release.set()
        checker.close()


async def test_a_saved_clip_is_complete_under_its_name(tmp_path: Path) -> None:
    data = clip(0.5)
    voice_id, filename = await save_clip(tmp_path, data, "ogg")
    assert filename == f"{voice_id}.ogg"
    assert [p.name for p in (tmp_path / "voice").iterdir()] == [filename]
    assert (tmp_path / "voice" / filename).read_bytes() == data
