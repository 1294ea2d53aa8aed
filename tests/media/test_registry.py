"""media.registry: named sources per room, their liveness, removal and listeners (pure, no server)."""

from __future__ import annotations

import logging
from fractions import Fraction

import pytest

from media.registry import SourceRegistry, source_name_valid
from media.source import ReaderClosed, make_packet


@pytest.mark.parametrize(
    "name", ["program", "preview", "venue:v1", "seat:42", "venue:a-b-c", "venue:" + "x" * 64]
)
def test_valid_source_names(name: str) -> None:
    assert source_name_valid(name)


@pytest.mark.parametrize(
    "name", ["", "program:1", "venue:", "seat:../x", "camera:1", "venue:" + "x" * 65, "venue:a b"]
)
def test_invalid_source_names(name: str) -> None:
    assert not source_name_valid(name)
    with pytest.raises(ValueError):
        SourceRegistry().ensure("r1", name)


def test_ensure_returns_one_source_per_room_and_name() -> None:
    reg = SourceRegistry(keyframe_interval=0.5)
    venue = reg.ensure("r1", "venue:v1")
    assert reg.ensure("r1", "venue:v1") is venue and reg.get("r1", "venue:v1") is venue
    assert reg.ensure("r2", "venue:v1") is not venue
    assert (
        venue.video.kind == "video" and venue.audio.kind == "audio" and venue.video.keyframe_interval == 0.5
    )
    assert reg.rooms() == {"r1", "r2"} and [s.name for s in reg.in_room("r1")] == ["venue:v1"]
    assert reg.get("r1", "program") is None


def test_a_source_is_live_while_either_track_has_a_publisher() -> None:
    reg = SourceRegistry()
    a, b = reg.ensure("r1", "venue:a"), reg.ensure("r1", "venue:b")
    assert reg.live_names("r1") == []
    b.audio.attach("audio/opus", None)
    a.video.attach("video/VP8", None)
    assert reg.live_names("r1") == ["venue:a", "venue:b"]
    a.video.detach()
    assert reg.live_names("r1") == ["venue:b"] and not a.live


async def test_removing_a_source_ends_its_readers() -> None:
    reg = SourceRegistry()
    src = reg.ensure("r1", "seat:7")
    reader = src.video.subscribe()
    src.video.attach("video/VP8", None)
    src.video.push(make_packet(b"key", 0, Fraction(1, 90000)), keyframe=True)
    assert (await reader.get()).keyframe
    reg.remove("r1", "seat:7")
    assert reg.get("r1", "seat:7") is None
    with pytest.raises(ReaderClosed):
        await reader.get()
    reg.remove("r1", "seat:7")  # removing twice is harmless


async def test_a_failing_listener_is_logged_and_the_others_still_hear(
    caplog: pytest.LogCaptureFixture,
) -> None:
    reg = SourceRegistry()
    heard: list[tuple[str, str, bool]] = []

    async def broken(room_id: str, name: str, live: bool) -> None:
        raise RuntimeError("listener bug")

    async def listener(room_id: str, name: str, live: bool) -> None:
        heard.append((room_id, name, live))

    reg.add_listener(broken)
    reg.add_listener(listener)
    with caplog.at_level(logging.ERROR, logger="media.registry"):
        await reg.notify("r1", "venue:v1", True)
    assert heard == [("r1", "venue:v1", True)]
    assert "source listener failed room=r1 source=venue:v1" in caplog.text


async def test_close_ends_every_source() -> None:
    reg = SourceRegistry()
    reader = reg.ensure("r1", "program").audio.subscribe()
    reg.close()
    assert reg.rooms() == set()
    with pytest.raises(ReaderClosed):
        await reader.get()
