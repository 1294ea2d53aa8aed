"""The main-venue controller end to end: real server, Socket.IO moderators, aiortc venues and observers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from media import aiortc_hooks
from media.api import PROGRAM_MEDIA, SOURCES
from media.program import ProgramPlane
from server.config import Settings
from tests.support.api import Api
from tests.support.program_clients import Observer
from tests.support.server import RunningServer, make_settings, running_server
from tests.support.venues import (
    assert_clean,
    command,
    handoffs_when,
    person,
    program_listed,
    publish,
    share_screen,
    showcase,
    unpublish,
    watch_program,
)  # fmt: skip


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "var", media_ice_loopback=True, media_fallback_delay=0.5)


@pytest.fixture(autouse=True)
def loopback_ice() -> object:
    aiortc_hooks.use_loopback_candidates(True)
    yield
    aiortc_hooks.use_loopback_candidates(False)


async def see_all(observers: list[Observer], colour: str, after: float) -> None:
    await asyncio.gather(*(o.wait_colour(colour, after=after) for o in observers))


async def test_hand_offs_follow_the_agenda_on_one_connection(api: Api, server: RunningServer) -> None:
    show = await showcase(
        api, server.url, ("red", "green", "blue"), agenda=("red", "green", "blue", None, "red")
    )
    for colour in show.venues:
        await publish(show, colour)
    moderator = await person(api, server.url, show, "moderator")
    viewers = [await person(api, server.url, show, "observer") for _ in range(2)]
    await program_listed(viewers[0], show.room_id)
    observers = [await watch_program(v, show.room_id) for v in viewers]
    try:
        epoch = 0
        for step, colour in enumerate(("red", "green", "blue", "blue", "red")):
            started = time.monotonic()
            reply = await command(moderator, "venue:next", show.room_id, epoch=epoch)
            assert reply["ok"], reply
            state = reply["state"]
            assert state["agenda_index"] == step and state["epoch"] == epoch + 1
            assert show.colour_of(state["program"]) == colour
            epoch = state["epoch"]
            # everyone in the room hears the new state, and sees the venue
            for v in viewers:
                await v.wait_for("venue:state", lambda d, e=epoch: d["epoch"] == e)
            await see_all(observers, colour, after=started)
        reply = await command(moderator, "venue:next", show.room_id, epoch=epoch)
        assert reply["error"]["code"] == "agenda_end"
        # an observer may not switch; a reconnecting client gets the state in room:join
        reply = await command(
            viewers[0], "venue:switch", show.room_id, venue_id=show.venues["green"], epoch=epoch
        )
        assert reply["error"]["code"] == "forbidden"
        state = await viewers[1].join(show.room_id)
        assert state["program"]["epoch"] == epoch and state["program"]["program"] == show.venues["red"]
        for o in observers:
            assert_clean(o)
            # after each cut the observer saw only the new venue: colour runs in agenda order
            runs = [
                c for i, c in enumerate(s.colour for s in o.frames) if i == 0 or o.frames[i - 1].colour != c
            ]
            assert runs == ["red", "green", "blue", "red"], runs
        handoffs = await handoffs_when(
            api, show, lambda rows: len(rows) == 4 and all(h["switched"] for h in rows)
        )
        assert [(h["from_venue"], h["to_venue"], h["epoch"]) for h in handoffs] == [
            (None, show.venues["red"], 1), (show.venues["red"], show.venues["green"], 2),
            (show.venues["green"], show.venues["blue"], 3), (show.venues["blue"], show.venues["red"], 5),
        ]  # fmt: skip
        assert all(h["switched"] and h["switch_ms"] is not None and h["actor_id"] for h in handoffs)
        assert handoffs[0]["on_air_until"] == handoffs[1]["switched_at"]
    finally:
        for o in observers:
            await o.close()
        for pc in show.pcs.values():
            await pc.close()


async def test_concurrent_switches_one_wins_and_all_observers_agree(api: Api, server: RunningServer) -> None:
    show = await showcase(api, server.url, ("red", "green", "blue"))
    for colour in show.venues:
        await publish(show, colour)
    mods = [await person(api, server.url, show, "moderator") for _ in range(2)]
    viewers = [await person(api, server.url, show, "observer") for _ in range(2)]
    await program_listed(viewers[0], show.room_id)
    observers = [await watch_program(v, show.room_id) for v in viewers]
    preview = await watch_program(mods[1], show.room_id, "preview")  # the moderator checks before taking
    try:
        # cue then take
        reply = await command(mods[0], "venue:cue", show.room_id, venue_id=show.venues["red"], epoch=0)
        assert reply["ok"] and reply["state"]["preview"] == show.venues["red"]
        await preview.wait_colour("red")
        await preview.close()
        reply = await command(mods[0], "venue:take", show.room_id, epoch=1)
        assert reply["ok"] and reply["state"]["program"] == show.venues["red"]
        await see_all(observers, "red", after=0)
        for _ in range(2):
            epoch = reply["state"]["epoch"] if reply["ok"] else reply["error"]["details"]["epoch"]
            started = time.monotonic()
            replies = await asyncio.gather(
                command(mods[0], "venue:switch", show.room_id, venue_id=show.venues["green"], epoch=epoch),
                command(mods[1], "venue:switch", show.room_id, venue_id=show.venues["blue"], epoch=epoch),
            )
            ok = [r for r in replies if r["ok"]]
            lost = [r for r in replies if not r["ok"]]
            assert len(ok) == 1 and len(lost) == 1, replies
            assert lost[0]["error"]["code"] == "conflict"
            assert lost[0]["error"]["details"]["epoch"] == epoch + 1
            winner = show.colour_of(ok[0]["state"]["program"])
            await see_all(observers, winner, after=started)
            for v in viewers:
                state = await v.wait_for("venue:state", lambda d, e=epoch: d["epoch"] == e + 1)
                assert state["program"] == ok[0]["state"]["program"]
            reply = ok[0]
            # a switch back so the next round starts from red again
            r = await command(mods[0], "venue:switch", show.room_id, venue_id=show.venues["red"],
                              epoch=reply["state"]["epoch"])  # fmt: skip
            assert r["ok"]
            await see_all(observers, "red", after=time.monotonic())
            reply = r
        for o in observers:
            assert_clean(o)
        status, program = await api.call(
            "GET", f"/api/rooms/{show.room_id}/program", token=show.host["token"]
        )
        assert status == 200 and program["program"] == show.venues["red"]
    finally:
        for o in observers:
            await o.close()
        for pc in show.pcs.values():
            await pc.close()


async def test_refusals_dark_venue_bad_input(api: Api, server: RunningServer) -> None:
    show = await showcase(api, server.url, ("red", "green"))
    await publish(show, "red")
    moderator = await person(api, server.url, show, "moderator")
    reply = await command(moderator, "venue:switch", show.room_id, venue_id=show.venues["green"], epoch=0)
    assert reply["error"]["code"] == "venue_not_live" and reply["error"]["event"] == "venue:switch"
    reply = await command(moderator, "venue:switch", show.room_id, venue_id="nowhere", epoch=0)
    assert reply["error"]["code"] == "venue_not_found"
    reply = await command(moderator, "venue:take", show.room_id, epoch=0)
    assert reply["error"]["code"] == "nothing_cued"
    reply = await command(moderator, "venue:switch", show.room_id, epoch=-1)
    assert reply["error"]["code"] == "validation"
    reply = await moderator.call("venue:fallback", "not an object")
    assert reply["error"]["code"] == "validation"
    status, _err = await api.call("GET", f"/api/rooms/{show.room_id}/program")
    assert status == 401
    for pc in show.pcs.values():
        await pc.close()


async def test_publisher_loss_falls_back_then_slate_and_alerts_moderators(
    api: Api, server: RunningServer
) -> None:
    show = await showcase(api, server.url, ("red", "green", "blue"))
    for colour in show.venues:
        await publish(show, colour)
    moderator = await person(api, server.url, show, "moderator")
    viewer = await person(api, server.url, show, "observer")
    await program_listed(viewer, show.room_id)
    observer = await watch_program(viewer, show.room_id)
    try:
        r = await command(moderator, "venue:fallback", show.room_id, venue_id=show.venues["red"], epoch=0)
        assert r["ok"] and r["state"]["fallback"] == show.venues["red"]
        r = await command(moderator, "venue:switch", show.room_id, venue_id=show.venues["green"], epoch=1)
        assert r["ok"]
        await observer.wait_colour("green")
        lost_at = time.monotonic()
        await unpublish(show, "green")
        alert = await moderator.wait_for("venue:alert", lambda d: d["kind"] == "signal_lost")
        assert alert["venue_id"] == show.venues["green"] and "中断" in alert["message"]
        state = await viewer.wait_for("venue:state", lambda d: d["on_air"] == "fallback")
        assert state["program"] == show.venues["red"] and state["lost"] == show.venues["green"]
        await moderator.wait_for("venue:alert", lambda d: d["kind"] == "fallback")
        await observer.wait_colour("red", after=lost_at)
        assert "venue:alert" not in viewer.events  # alerts go to moderators only
        # the fallback venue drops too: the slate
        await unpublish(show, "red")
        state = await viewer.wait_for("venue:state", lambda d: d["slate"] is True)
        assert state["program"] is None and state["lost"] == show.venues["red"]
        await observer.wait_colour("slate", frames=3)
        # the slate keeps the program's audio flowing: half a second of it decoded while the slate shows
        heard = observer.audio_frames
        await until(lambda: observer.audio_frames >= heard + 25)
        assert observer.colour() == "slate"
        # the lost venue comes back: the moderator is told and decides
        await publish(show, "green")
        await moderator.wait_for("venue:alert", lambda d: d["kind"] == "signal_back")
        r = await command(moderator, "venue:switch", show.room_id, venue_id=show.venues["green"],
                          epoch=state["epoch"])  # fmt: skip
        assert r["ok"] and r["state"]["slate"] is False
        await observer.wait_colour("green", after=time.monotonic())
        assert_clean(observer)
        handoffs = await handoffs_when(api, show, lambda rows: len(rows) == 4)
        kinds = [(h["kind"], h["actor_id"] is None) for h in handoffs]
        assert kinds == [("switch", False), ("lost", True), ("lost", True), ("switch", False)]
    finally:
        await observer.close()
        for pc in show.pcs.values():
            await pc.close()


async def test_a_shared_screen_goes_on_the_program_at_its_keyframe_and_falls_back_when_it_stops(
    api: Api, server: RunningServer
) -> None:
    """课件演示 on the program: cue and take a screen share like a venue (same connection, no mixed frame,
    time never goes back), its hand-off audited; when the share stops the fallback venue takes over."""
    show = await showcase(api, server.url, ("red",))
    await publish(show, "red")
    presenter = await person(api, server.url, show, "presenter")
    viewer = await person(api, server.url, show, "observer")
    await program_listed(viewer, show.room_id)
    observer = await watch_program(viewer, show.room_id)
    pcs = []
    try:
        red = show.venues["red"]
        r = await command(show.host_client, "venue:fallback", show.room_id, venue_id=red, epoch=0)
        r = await command(show.host_client, "venue:switch", show.room_id, venue_id=red, epoch=1)
        assert r["ok"], r
        await observer.wait_colour("red")
        r = await command(show.host_client, "venue:cue", show.room_id, venue_id="screen:999999", epoch=2)
        assert r["error"]["code"] == "screen_not_live"  # a screen nobody shares cannot be cued
        screen, pc, publication = await share_screen(show, presenter, "blue")
        pcs.append(pc)
        r = await command(show.host_client, "venue:cue", show.room_id, venue_id=screen, epoch=2)
        assert r["ok"] and r["state"]["preview"] == screen, r
        taken_at = time.monotonic()
        r = await command(show.host_client, "venue:take", show.room_id, epoch=3)
        assert r["ok"] and r["state"]["program"] == screen and r["state"]["preview"] == red, r
        await observer.wait_colour("blue", after=taken_at)
        # the presenter stops sharing: signal lost, then the fallback venue is on air
        stopped_at = time.monotonic()
        assert (await presenter.call("media:unpublish", {"publication_id": publication}))["ok"]
        state = await viewer.wait_for("venue:state", lambda d: d["on_air"] == "fallback")
        assert state["program"] == red and state["lost"] == screen
        await observer.wait_colour("red", after=stopped_at)
        assert_clean(observer)
        runs = [
            c
            for i, c in enumerate(s.colour for s in observer.frames)
            if i == 0 or observer.frames[i - 1].colour != c
        ]
        assert runs == ["red", "blue", "red"], runs
        handoffs = await handoffs_when(
            api, show, lambda rows: len(rows) == 3 and all(h["switched"] is not None for h in rows)
        )
        assert [(h["kind"], h["from_venue"], h["to_venue"], h["switched"]) for h in handoffs] == [
            ("switch", None, red, True), ("take", red, screen, True), ("lost", screen, red, True),
        ]  # fmt: skip
    finally:
        await observer.close()
        for pc in [*pcs, *show.pcs.values()]:
            await pc.close()


async def until(pred: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.1)


def slate_tasks(room_id: str) -> list[asyncio.Task[object]]:
    return [t for t in asyncio.all_tasks() if t.get_name().startswith(f"slate:{room_id}/") and not t.done()]


async def test_a_finished_rooms_program_feed_is_freed_and_a_later_observer_gets_a_fresh_one(
    tmp_path: Path,
) -> None:
    settings = make_settings(
        tmp_path / "var", media_ice_loopback=True, media_fallback_delay=0.2, media_program_idle=0.5
    )
    async with running_server(settings) as server, aiohttp.ClientSession() as session:
        api = Api(session, server.url)
        plane, registry = server.app[PROGRAM_MEDIA], server.app[SOURCES]
        assert isinstance(plane, ProgramPlane)
        show = await showcase(api, server.url, ("red",))
        rid = show.room_id
        await publish(show, "red")
        moderator = await person(api, server.url, show, "moderator")
        viewer = await person(api, server.url, show, "observer")
        await program_listed(viewer, rid)
        observer = await watch_program(viewer, rid)
        r = await command(moderator, "venue:switch", rid, venue_id=show.venues["red"], epoch=0)
        assert r["ok"], r
        await observer.wait_colour("red")
        first = plane.programs[rid]
        # the event is over: the observer leaves, the venue stops; the program goes to the slate...
        await observer.close()
        await unpublish(show, "red")
        state = await viewer.wait_for("venue:state", lambda d: d["slate"] is True)
        # ...and with nobody watching and nothing publishing, the switchers and their tasks go
        await until(lambda: rid not in plane.rooms())
        assert registry.get(rid, "program") is None and registry.get(rid, "preview") is None
        assert slate_tasks(rid) == [] and first.active is None and first.pending is None
        await viewer.wait_for("media:sources", lambda d: "program" not in d["sources"])
        # a later venue and observer get a fresh feed, which carries the stored program (the slate)
        # until the moderator switches
        viewer.forget("media:sources")
        await publish(show, "red")
        await program_listed(viewer, rid)
        observer = await watch_program(viewer, rid)
        try:
            assert plane.programs[rid] is not first
            await observer.wait_colour("slate")
            r = await command(
                moderator, "venue:switch", rid, venue_id=show.venues["red"], epoch=state["epoch"]
            )
            assert r["ok"], r
            await observer.wait_colour("red", after=time.monotonic())
            assert slate_tasks(rid) == []
            # archiving the room frees the feed even while someone watches and the venue publishes
            status, body = await api.call("POST", f"/api/rooms/{rid}/archive", token=show.host["token"])
            assert status == 200, body
            await until(lambda: rid not in plane.rooms())
            assert registry.get(rid, "program") is None
        finally:
            await observer.close()
            for pc in show.pcs.values():
                await pc.close()
