"""Replay with notes on a real recording: a venue publishes counter-stamped video through aiortc, the host
records it, observers write notes at known moments; at each note's offset the recorded file shows the
frame that was live when the note was written. And the main venue's stretches from the hand-off log."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import av
import pytest
import socketio
from aiortc import RTCPeerConnection

from media import aiortc_hooks
from media.api import RECORDINGS
from media.models import Recording
from server.config import Settings
from tests.support.api import Api
from tests.support.evaluation import lesson
from tests.support.media import Person as MediaPerson
from tests.support.media import make_venue, publish, wait_for
from tests.support.media_clients import read_counter
from tests.support.server import RunningServer, make_settings
from venues.models import Handoff

FPS = 30  # tests.support.media_clients.CounterTrack
# The frame at a note's offset may be the one drawn a little before the note reached the server
# (capture → encode → network → server; slow on a loaded machine), or a frame later (clock rounding).
# A quarter of a second: well under the 18 frames a file that starts KEYFRAME_DELAY late would be off.
TOLERANCE_FRAMES = 8
KEYFRAME_DELAY = 0.6  # 18 frames


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "var", media_ice_loopback=True)


@pytest.fixture(autouse=True)
def loopback_ice() -> Iterator[None]:
    aiortc_hooks.use_loopback_candidates(True)
    yield
    aiortc_hooks.use_loopback_candidates(False)


def slow_keyframes(pc: RTCPeerConnection, delay: float) -> None:
    """The publisher answers keyframe requests ``delay`` seconds late (a long round trip, a busy encoder):
    a recording's file then starts well after the host pressed record."""
    loop = asyncio.get_running_loop()
    for sender in pc.getSenders():
        if sender.track is not None and sender.track.kind == "video":
            answer = sender._send_keyframe

            def late(answer: Callable[[], None] = answer) -> None:
                loop.call_later(delay, answer)

            sender._send_keyframe = late  # type: ignore[method-assign]


@dataclass
class Written:
    text: str
    drawn: tuple[int, int]  # the publisher's counter just before and just after the note was stored


def counter_at(path: Path, offset: float) -> int:
    """Seek the recording to ``offset`` seconds as a player would and read the counter of the frame shown."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.time_base is not None
        container.seek(int(offset / stream.time_base), stream=stream, backward=True)
        shown: av.VideoFrame | None = None
        for frame in container.decode(stream):
            if frame.time is not None and frame.time > offset + 0.5 / FPS:
                break
            shown = frame
        assert shown is not None, f"no frame at {offset:.3f}s"
        return read_counter(shown)


async def test_a_note_seeks_the_recording_to_the_frame_live_when_it_was_written(
    api: Api, server: RunningServer, settings: Settings
) -> None:
    les = await lesson(server, api)
    room_id = les.room_id
    venue = await make_venue(server, room_id, les.host.user_id)
    source = f"venue:{venue}"
    async with AsyncExitStack() as stack:
        sio = socketio.AsyncClient(reconnection=False)
        await sio.connect(server.url, auth={"token": les.host.token}, transports=["websocket"])
        stack.push_async_callback(sio.disconnect)
        host = MediaPerson(les.host.user_id, les.host.token, sio)
        pub = await publish(host, room_id, venue_id=venue)
        stack.push_async_callback(pub.pc.close)
        camera = pub.camera
        registry = server.app[RECORDINGS].registry
        await wait_for(lambda: source in registry.live_names(room_id), timeout=30)
        # the publisher runs a while first, so the recording starts mid-stream as it does in a lesson
        await wait_for(lambda: camera.count >= FPS, timeout=30)
        slow_keyframes(pub.pc, KEYFRAME_DELAY)
        status, rec = await api.call(
            "POST", f"/api/rooms/{room_id}/recordings", token=les.host.token, json={"source": source}
        )
        assert status == 201, rec
        recorder = server.app[RECORDINGS].active[rec["id"]]

        written: list[Written] = []
        for i, frames_in in enumerate((20, 55, 90)):
            await wait_for(lambda: recorder.frames >= frames_in, timeout=30)  # noqa: B023 (awaited here)
            observer = les.observers[i % len(les.observers)]
            before = camera.count - 1
            status, note = await api.call("POST", f"/api/rooms/{room_id}/notes", token=observer.token,
                                          json={"client_id": f"n{i}", "text": f"第{i + 1}条记录", "shared": True,
                                                "kind": "positive"})  # fmt: skip
            assert status == 201, note
            written.append(Written(note["text"], (before, camera.count - 1)))
        await wait_for(lambda: recorder.frames >= 110, timeout=30)
        status, done = await api.call("POST", f"/api/recordings/{rec['id']}/stop", token=les.host.token)
        assert status == 200 and done["status"] == "done", done
        assert done["origin"] - done["started_at"] > 0.3, (
            "the scenario: the file starts well after the request"
        )

    status, replay = await api.call(
        "GET", f"/api/rooms/{room_id}/replay?recording_id={rec['id']}", token=les.observers[1].token
    )
    assert status == 200, replay
    assert [p["note"]["text"] for p in replay["notes"]] == [w.text for w in written]
    path = settings.data_dir / "recordings" / room_id / f"{rec['id']}.webm"
    shown = [await asyncio.to_thread(counter_at, path, p["offset"]) for p in replay["notes"]]
    for w, placed, counter in zip(written, replay["notes"], shown, strict=True):
        low, high = w.drawn
        assert low - TOLERANCE_FRAMES <= counter <= high + TOLERANCE_FRAMES, (
            f"{w.text} at {placed['offset']:.3f}s shows frame {counter}, live were {low}..{high}"
        )
    # the replay's end is the file's: the last note lies inside it
    assert replay["until"] - replay["origin"] >= replay["notes"][-1]["offset"]


async def test_replay_shows_which_venue_was_main_when(api: Api, server: RunningServer) -> None:
    les = await lesson(server, api)
    sanxiao = await make_venue(server, les.room_id, None, name="三小")
    yixiao = await make_venue(server, les.room_id, None, name="一小")
    now = time.time()  # one clock reading: every moment below is exact relative to the others
    origin = now - 600
    async with server.ctx.db.transaction() as session:
        session.add(Recording(id="rec2", room_id=les.room_id, source="program", venue_id=None, started_by=les.host.user_id,
                              started_at=origin - 0.4, origin=origin, stopped_at=origin + 301, duration=300.0, size=0,
                              frames=0, status="done", path="recordings/rec2.webm", content_type="video/webm"))  # fmt: skip
        for epoch, (ago, venue, switched, on_wire) in enumerate([
            (700, sanxiao, True, 0.5),  # on air before the recording began
            (500, yixiao, True, 1.5),  # the picture changed 1.5 s after the moderator's take
            (450, sanxiao, False, None),  # a cut that never happened on the wire
            (400, None, None, None),  # the slate; the wire has not reported yet
            (100, yixiao, True, 0.5),  # after the recording
        ]):  # fmt: skip
            at = now - ago
            session.add(Handoff(room_id=les.room_id, epoch=epoch + 1, kind="switch", actor_id=les.host.user_id,
                                from_venue=None, to_venue=venue, requested_at=at, switched=switched,
                                switched_at=at + on_wire if on_wire is not None else None))  # fmt: skip
    status, body = await api.call(
        "GET", f"/api/rooms/{les.room_id}/replay?recording_id=rec2", token=les.observers[0].token
    )
    assert status == 200, body
    stretches = [(b["venue_name"], round(b["start"], 1), round(b["end"], 1)) for b in body["on_air"]]
    assert stretches == [("三小", 0.0, 101.5), ("一小", 101.5, 200.0), (None, 200.0, 300.0)]


async def test_replay_places_notes_on_the_recording_timeline(api: Api, server: RunningServer) -> None:
    les = await lesson(server, api)
    # One clock reading for the recording and every note: with a reading per note, a loaded machine that
    # took over half a second between them placed a note at 701 s instead of 700.
    now = time.time()
    started = now - 1000  # a recording that ran from 1000 s ago to 100 s ago
    for i, (ago, shared) in enumerate([(1200, True), (900, True), (400, False), (300, True), (50, True)]):
        status, _ = await api.call("POST", f"/api/rooms/{les.room_id}/notes", token=les.observers[i % 2].token,
                                   json={"client_id": f"r{i}", "text": f"记录{i}", "at": now - ago, "shared": shared})  # fmt: skip
        assert status == 201
    url = f"/api/rooms/{les.room_id}/replay?origin={started}&until={started + 900}"
    status, body = await api.call("GET", url, token=les.observers[1].token)
    assert status == 200
    # observer 2 sees the shared notes inside the recording, not observer 1's draft (note 2)
    assert [p["note"]["text"] for p in body["notes"]] == ["记录1", "记录3"]
    assert [round(p["offset"]) for p in body["notes"]] == [100, 700]
    status, own = await api.call("GET", url, token=les.observers[0].token)
    assert [p["note"]["text"] for p in own["notes"]] == ["记录1", "记录2", "记录3"]
    status, err = await api.call("GET", f"/api/rooms/{les.room_id}/replay", token=les.observers[0].token)
    assert status == 422 and err["error"]["code"] == "bad_query"
    for bad in ["origin=nan", "origin=inf", f"origin={started}&until=-inf", "origin=1e999"]:
        status, err = await api.call(
            "GET", f"/api/rooms/{les.room_id}/replay?{bad}", token=les.observers[0].token
        )
        assert status == 422 and err["error"]["code"] == "bad_query", (bad, err)


async def test_replay_on_a_recording(api: Api, server: RunningServer) -> None:
    from media.models import Recording

    les = await lesson(server, api)
    now = time.time()  # one clock reading for the recording and the notes (see above)
    started = now - 600
    async with server.ctx.db.transaction() as session:
        session.add(Recording(id="rec1", room_id=les.room_id, source="program", venue_id=None, started_by=les.host.user_id,
                              started_at=started, stopped_at=started + 500, duration=500.0, size=0, frames=0,
                              status="done", path="recordings/rec1.webm", content_type="video/webm"))  # fmt: skip
    for i, ago in enumerate([700, 450, 200, 50]):
        status, _ = await api.call("POST", f"/api/rooms/{les.room_id}/notes", token=les.observers[0].token,
                                   json={"client_id": f"q{i}", "text": f"实录{i}", "at": now - ago, "shared": True})  # fmt: skip
        assert status == 201
    status, body = await api.call(
        "GET", f"/api/rooms/{les.room_id}/replay?recording_id=rec1", token=les.observers[1].token
    )
    assert status == 200, body
    assert body["recording_url"] == "/api/recordings/rec1/file" and body["origin"] == started
    assert [(p["note"]["text"], round(p["offset"])) for p in body["notes"]] == [
        ("实录1", 150),
        ("实录2", 400),
    ]
    status, err = await api.call(
        "GET", f"/api/rooms/{les.room_id}/replay?recording_id=nope", token=les.observers[1].token
    )
    assert status == 404 and err["error"]["code"] == "recording_not_found"
