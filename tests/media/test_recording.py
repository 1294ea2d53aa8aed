"""Recording: remuxed WebM that PyAV plays back with the expected frames; range requests; crash safety."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import aiohttp
import av
import pytest
import socketio
from sqlalchemy import select

from media.api import RECORDINGS
from media.models import Recording, RecordingStatus
from media.recording import START_FREE_BYTES, RecordingService
from media.registry import SourceRegistry
from rooms.permissions import Role
from server.config import Settings
from server.db import Database
from tests.support.api import Api, make_room
from tests.support.disk import fill, small_disk
from tests.support.media import Person, make_venue, person, publish, room_with_host, wait_for, watch
from tests.support.media_clients import read_counter
from tests.support.program_clients import classify
from tests.support.server import RunningServer, ServerProcess, make_settings, running_server
from tests.support.venues import command, handoffs_when, showcase
from tests.support.venues import person as venue_person
from tests.support.venues import publish as publish_venue


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "var", media_ice_loopback=True)


def decoded_counters(path: Path) -> tuple[list[int], float, int]:
    """Counters drawn in the video frames, the video duration and the number of audio packets."""
    with av.open(str(path)) as container:
        counters = [read_counter(f) for f in container.decode(video=0)]
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        times = [float(p.pts * p.time_base) for p in container.demux(video) if p.pts is not None]
    with av.open(str(path)) as container:
        audio_packets = sum(1 for p in container.demux(audio=0) if p.size)
    return counters, max(times) - min(times), audio_packets


async def test_record_stop_list_and_play_back(server: RunningServer, api: Api, settings: Settings) -> None:
    room_id, host = await room_with_host(server, api)
    observer = await person(server, api, room_id, Role.OBSERVER)
    venue = await make_venue(server, room_id, host.user_id)
    source = f"venue:{venue}"
    status, body = await api.call(
        "POST", f"/api/rooms/{room_id}/recordings", token=host.token, json={"source": source}
    )
    assert status == 409 and body["error"]["code"] == "not_live"
    pub = await publish(host, room_id, venue_id=venue)
    registry = server.app[RECORDINGS].registry
    await wait_for(lambda: source in registry.live_names(room_id))

    status, body = await api.call("POST", f"/api/rooms/{room_id}/recordings", token=observer.token,
                                  json={"source": source})  # fmt: skip
    assert status == 403
    status, rec = await api.call(
        "POST", f"/api/rooms/{room_id}/recordings", token=host.token, json={"source": source}
    )
    assert status == 201, rec
    assert rec["status"] == "recording" and rec["venue_id"] == venue and rec["content_type"] == "video/webm"
    status, body = await api.call(
        "POST", f"/api/rooms/{room_id}/recordings", token=host.token, json={"source": source}
    )
    assert status == 409 and body["error"]["code"] == "already_recording"
    recorder = server.app[RECORDINGS].active[rec["id"]]
    await wait_for(lambda: recorder.frames >= 90, timeout=15)  # about three seconds
    status, done = await api.call("POST", f"/api/recordings/{rec['id']}/stop", token=host.token)
    assert status == 200, done
    assert done["status"] == "done" and done["frames"] >= 90 and done["size"] > 0
    assert done["origin"] >= done["started_at"]  # the file starts at the first keyframe after the request
    status, listed = await api.call("GET", f"/api/rooms/{room_id}/recordings", token=observer.token)
    assert [r["id"] for r in listed] == [rec["id"]]

    path = settings.data_dir / "recordings" / room_id / f"{rec['id']}.webm"
    counters, duration, audio_packets = await asyncio.to_thread(decoded_counters, path)
    assert len(counters) == done["frames"]
    assert counters == sorted(counters)
    # every frame from the first keyframe on, at the camera's rate: duration matches the counters
    assert counters[-1] - counters[0] + 1 - len(counters) <= 3
    assert abs(duration - (counters[-1] - counters[0]) / 30) < 0.25
    assert abs(duration - done["duration"]) < 0.1
    assert audio_packets > 100  # the tone, 20 ms per packet

    # HTTP range requests, as a <video> element seeking makes them, with its short-lived URL token
    path = f"/api/recordings/{rec['id']}/file"
    status, scoped = await api.call("POST", "/api/url-token", token=observer.token, json={"path": path})
    assert status == 200, scoped
    url = f"{path}?t={scoped['token']}"
    status, head = await api.call("GET", url, headers={"Range": "bytes=0-99"})
    assert status == 206 and len(head) == 100 and head[:4] == b"\x1a\x45\xdf\xa3"  # EBML magic
    async with api.http.get(api.base + url, headers={"Range": "bytes=100-"}) as resp:
        assert resp.status == 206 and resp.headers["Content-Type"] == "video/webm"
        assert resp.headers["Content-Range"] == f"bytes 100-{done['size'] - 1}/{done['size']}"
        assert len(await resp.read()) == done["size"] - 100
    status, _ = await api.call("GET", f"/api/recordings/{rec['id']}/file")
    assert status == 401
    await pub.pc.close()
    for p in (host, observer):
        await p.sio.disconnect()


async def test_a_shared_screen_is_recorded_like_any_source(
    server: RunningServer, api: Api, settings: Settings
) -> None:
    room_id, host = await room_with_host(server, api)
    presenter = await person(server, api, room_id, Role.PRESENTER)
    source = f"screen:{presenter.user_id}"
    pub = await publish(presenter, room_id, screen=True)
    registry = server.app[RECORDINGS].registry
    await wait_for(lambda: source in registry.live_names(room_id))
    status, rec = await api.call(
        "POST", f"/api/rooms/{room_id}/recordings", token=host.token, json={"source": source}
    )
    assert status == 201, rec
    assert rec["source"] == source and rec["venue_id"] is None and rec["status"] == "recording"
    recorder = server.app[RECORDINGS].active[rec["id"]]
    await wait_for(lambda: recorder.frames >= 45, timeout=15)
    status, done = await api.call("POST", f"/api/recordings/{rec['id']}/stop", token=host.token)
    assert status == 200 and done["status"] == "done", done
    path = settings.data_dir / "recordings" / room_id / f"{rec['id']}.webm"
    counters, _duration, audio_packets = await asyncio.to_thread(decoded_counters, path)
    assert len(counters) == done["frames"] and counters == sorted(counters)
    assert audio_packets > 20
    await pub.pc.close()
    for p in (host, presenter):
        await p.sio.disconnect()


async def test_crash_mid_recording_leaves_a_playable_file(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    proc = await ServerProcess(data_dir, env={"MOKE_MEDIA_ICE_LOOPBACK": "1"}).start()
    try:
        async with aiohttp.ClientSession() as session:
            api = Api(session, proc.url)
            reg = await api.register()
            db = Database(f"sqlite+aiosqlite:///{data_dir / 'moke.db'}")
            await db.start(migrate=False)
            room_id = await make_room(db, reg["user"]["id"], kind="trial")
            venue = await make_venue(db, room_id, reg["user"]["id"])
            client = socketio.AsyncClient(reconnection=False)
            await client.connect(proc.url, auth={"token": reg["token"]}, transports=["websocket"])
            host = Person(reg["user"]["id"], reg["token"], client)
            pub = await publish(host, room_id, venue_id=venue)
            for _ in range(100):
                status, rec = await api.call("POST", f"/api/rooms/{room_id}/recordings", token=host.token,
                                             json={"source": f"venue:{venue}"})  # fmt: skip
                if status != 409:
                    break
                await asyncio.sleep(0.1)
            assert status == 201, rec
            for _ in range(300):  # until two seconds are in the file (a few one-second clusters)
                status, listed = await api.call("GET", f"/api/rooms/{room_id}/recordings", token=host.token)
                if listed[0]["duration"] >= 2.0:
                    break
                await asyncio.sleep(0.1)
            proc.kill()  # SIGKILL: no shutdown hook, the file is never finished
            await client.disconnect()
            await pub.pc.close()

            path = data_dir / "recordings" / room_id / f"{rec['id']}.webm"
            counters, duration, _ = await asyncio.to_thread(decoded_counters, path)
            assert len(counters) >= 30 and duration >= 1.0  # playable up to the last written cluster
            assert counters == sorted(counters)

            proc = await proc.restart()
            api = Api(session, proc.url)
            status, listed = await api.call("GET", f"/api/rooms/{room_id}/recordings", token=host.token)
            assert status == 200
            [row] = listed
            assert row["status"] == "interrupted" and row["size"] == path.stat().st_size
            assert row["duration"] >= 1.0 and row["frames"] == len(counters)
            # stored with the first keyframe, so replay can place notes on an interrupted recording too
            assert row["origin"] >= row["started_at"]
            assert row["stopped_at"] == pytest.approx(row["origin"] + row["duration"])
            await db.stop()
    finally:
        proc.kill()


def decoded_colours(path: Path) -> tuple[list[tuple[float, str]], int]:
    """(seconds, colour) of every video frame of the file, and its number of audio packets."""
    with av.open(str(path)) as container:
        frames = [(float(f.time), classify(f)) for f in container.decode(video=0) if f.time is not None]
    with av.open(str(path)) as container:
        audio_packets = sum(1 for p in container.demux(audio=0) if p.size)
    return frames, audio_packets


async def test_recording_the_program_across_a_hand_off(
    server: RunningServer, api: Api, settings: Settings
) -> None:
    show = await showcase(api, server.url, ("red", "green"))
    await publish_venue(show, "red")
    await publish_venue(show, "green")
    moderator = await venue_person(api, server.url, show, "moderator")
    r = await command(moderator, "venue:switch", show.room_id, venue_id=show.venues["red"], epoch=0)
    assert r["ok"], r
    status, rec = await api.call("POST", f"/api/rooms/{show.room_id}/recordings", token=show.host["token"],
                                 json={"source": "program"})  # fmt: skip
    assert status == 201, rec
    assert rec["source"] == "program" and rec["venue_id"] is None and rec["content_type"] == "video/webm"
    recorder = server.app[RECORDINGS].active[rec["id"]]
    await wait_for(lambda: recorder.frames >= 30, timeout=30)  # two seconds of red at 15 fps
    before = recorder.frames
    r = await command(moderator, "venue:switch", show.room_id, venue_id=show.venues["green"], epoch=1)
    assert r["ok"], r
    await wait_for(lambda: recorder.frames >= before + 30, timeout=30)
    status, done = await api.call("POST", f"/api/recordings/{rec['id']}/stop", token=show.host["token"])
    assert status == 200 and done["status"] == "done", done
    handoffs = await handoffs_when(
        api, show, lambda rows: len(rows) == 2 and all(h["switched"] for h in rows)
    )
    for pc in show.pcs.values():
        await pc.close()

    path = settings.data_dir / "recordings" / show.room_id / f"{rec['id']}.webm"
    frames, audio_packets = await asyncio.to_thread(decoded_colours, path)
    colours = [c for _, c in frames]
    runs = [c for i, c in enumerate(colours) if i == 0 or colours[i - 1] != c]
    assert runs == ["red", "green"], runs  # both venues, in order, never a mixed or broken frame
    times = [t for t, _ in frames]
    assert times == sorted(times) and len(frames) == done["frames"]
    assert abs(times[-1] - done["duration"]) < 0.1
    assert done["duration"] <= done["stopped_at"] - done["started_at"] + 0.5  # never longer than recorded
    assert len(frames) >= done["duration"] * 15 / 4  # near the venues' 15 fps (a loaded machine drops some)
    assert audio_packets >= done["duration"] * 50 / 4  # the venues' audio (20 ms packets) follows the cut
    # the hand-off audit says which venue was main when: map file time onto the wall clock
    red, green = handoffs
    assert (red["to_venue"], green["from_venue"], green["to_venue"]) == (
        show.venues["red"], show.venues["red"], show.venues["green"])  # fmt: skip
    assert red["on_air_until"] == green["switched_at"]  # the picture changed when the wire switched
    first_green = next(t for t, c in frames if c == "green")
    last_red = max(t for t, c in frames if c == "red")
    cut_in_file = done["started_at"] + (last_red + first_green) / 2
    assert green["requested_at"] - 1.0 <= cut_in_file <= green["switched_at"] + 1.0


async def test_recovery_leaves_recordings_another_process_writes_and_looks_again_after_its_lease(
    server: RunningServer, api: Api, settings: Settings
) -> None:
    """Several processes share the table: a starting process must not mark a live process's recording
    interrupted; a row whose process died (its lease still running at start-up) is caught on the second look."""
    reg = await api.register()
    live_room = await make_room(server.ctx.db, reg["user"]["id"], kind="trial")
    dead_room = await make_room(server.ctx.db, reg["user"]["id"], kind="trial")
    rows = {
        room: Recording(id=uuid.uuid4().hex[:16], room_id=room, source="program", started_at=time.time(),
                        status=RecordingStatus.RECORDING, path=f"recordings/{room}/gone.webm",
                        content_type="video/webm")
        for room in (live_room, dead_room)
    }  # fmt: skip
    async with server.ctx.db.transaction() as session:
        session.add_all(rows.values())
    service = RecordingService(server.ctx.db, SourceRegistry(), settings.data_dir)
    lapsed: set[str] = set()

    async def running_elsewhere(room: str) -> bool:
        return room not in lapsed

    async def statuses() -> dict[str, str]:
        async with server.ctx.db.session() as session:
            return {r.room_id: r.status for r in await session.scalars(
                select(Recording).where(Recording.id.in_([r.id for r in rows.values()])))}  # fmt: skip

    assert await service.recover(running_elsewhere, recheck_after=0.2) == 0
    assert await statuses() == {live_room: "recording", dead_room: "recording"}
    lapsed.add(dead_room)  # the dead process's lease runs out before the second look
    assert service._recheck is not None
    await service._recheck
    assert await statuses() == {live_room: "recording", dead_room: "interrupted"}
    await service.stop_all()


async def test_a_full_disk_fails_the_recording_and_the_room_goes_on(tmp_path: Path) -> None:
    """The data directory fills up mid-recording: the recording is listed ``failed`` (never ``done``) with
    what reached the disk, the recorder lets go of the source, viewers keep their picture, chat and REST
    keep working, a new start is refused with 507 ``disk_full`` — and works again once space is back."""
    with small_disk(tmp_path / "data", size_mib=START_FREE_BYTES // (1024 * 1024) + 16) as data_dir:
        settings = make_settings(
            data_dir, media_ice_loopback=True, database_url=f"sqlite+aiosqlite:///{tmp_path / 'moke.db'}"
        )
        async with running_server(settings) as server, aiohttp.ClientSession() as http:
            api = Api(http, server.url)
            room_id, host = await room_with_host(server, api)
            observer = await person(server, api, room_id, Role.OBSERVER)
            venue = await make_venue(server, room_id, host.user_id)
            source = f"venue:{venue}"
            pub = await publish(host, room_id, venue_id=venue)
            service = server.app[RECORDINGS]
            await wait_for(lambda: source in service.registry.live_names(room_id))
            viewer, _ = await watch(observer, room_id, source, audio=False)
            live = service.registry.get(room_id, source)
            assert live is not None
            readers = len(live.video.subscribers)
            try:
                status, rec = await api.call("POST", f"/api/rooms/{room_id}/recordings", token=host.token,
                                             json={"source": source})  # fmt: skip
                assert status == 201, rec
                recorder = service.active[rec["id"]]
                await wait_for(lambda: recorder.frames >= 30, timeout=15)
                filler = await asyncio.to_thread(fill, data_dir)
                await wait_for(lambda: rec["id"] not in service.active, timeout=15)
                status, listed = await api.call("GET", f"/api/rooms/{room_id}/recordings", token=host.token)
                assert status == 200
                [row] = listed
                assert row["status"] == "failed" and row["stopped_at"] is not None and row["frames"] >= 30
                path = data_dir / "recordings" / room_id / f"{rec['id']}.webm"
                assert row["size"] == path.stat().st_size > 0
                assert len(live.video.subscribers) == readers  # the recorder let go of the source
                # the room goes on: the viewer's picture keeps coming, chat is answered
                seen = len(viewer.counters)
                await wait_for(lambda: len(viewer.counters) >= seen + 30)
                assert (await observer.call("room:join", {"room_id": room_id}))["ok"]
                reply = await observer.call(
                    "chat:send", {"room_id": room_id, "client_id": "c1", "text": "还在录吗"}
                )
                assert reply["ok"], reply
                # no new file is begun on a full disk; stopping the failed one says what it is
                status, err = await api.call("POST", f"/api/rooms/{room_id}/recordings", token=host.token,
                                             json={"source": source})  # fmt: skip
                assert status == 507 and err["error"]["code"] == "disk_full", err
                status, err = await api.call("POST", f"/api/recordings/{rec['id']}/stop", token=host.token)
                assert status == 409 and err["error"]["details"] == {"status": "failed"}
                filler.unlink()
                status, again = await api.call("POST", f"/api/rooms/{room_id}/recordings", token=host.token,
                                               json={"source": source})  # fmt: skip
                assert status == 201, again
                await wait_for(lambda: service.active[again["id"]].frames >= 10, timeout=15)
                status, done = await api.call("POST", f"/api/recordings/{again['id']}/stop", token=host.token)
                assert status == 200 and done["status"] == "done"
            finally:
                await viewer.close()
                await pub.pc.close()
                for p in (host, observer):
                    await p.sio.disconnect()
