"""Controller state survives a SIGKILL; with Redis, commands at any process drive the one feed owner."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from aiortc import RTCSessionDescription

from media import aiortc_hooks
from media.api import ROUTER
from tests.support.api import Api
from tests.support.media_clients import ToneTrack, publisher_offer
from tests.support.program_clients import ColourTrack, Observer
from tests.support.rooms import Client
from tests.support.server import ServerProcess, make_settings, running_server
from tests.support.services import fresh_pg_database, require_redis, unique_prefix
from tests.support.venues import (
    assert_clean,
    command,
    handoffs_when,
    live_when,
    person,
    program_listed,
    publish,
    showcase,
    watch_program,
)  # fmt: skip


@pytest.fixture(autouse=True)
def loopback_ice() -> Iterator[None]:
    aiortc_hooks.use_loopback_candidates(True)
    yield
    aiortc_hooks.use_loopback_candidates(False)


async def test_sigkill_and_restart_recover_program_epoch_and_feed(tmp_path: Path) -> None:
    proc = await ServerProcess(tmp_path / "var", env={"MOKE_MEDIA_ICE_LOOPBACK": "1"}).start()
    try:
        async with aiohttp.ClientSession() as session:
            api = Api(session, proc.url)
            show = await showcase(api, proc.url, ("red", "green"))
            await publish(show, "red")
            await publish(show, "green")
            moderator = await person(api, proc.url, show, "moderator")
            r = await command(moderator, "venue:switch", show.room_id, venue_id=show.venues["green"], epoch=0)
            assert r["ok"], r
            r = await command(moderator, "venue:cue", show.room_id, venue_id=show.venues["red"], epoch=1)
            assert r["ok"] and r["state"]["epoch"] == 2
            proc.kill()  # acknowledged state must survive a crash
            for pc in show.pcs.values():
                await pc.close()
            show.pcs.clear()
            proc = await proc.restart()
            api = show.api = Api(session, proc.url)
            status, program = await api.call(
                "GET", f"/api/rooms/{show.room_id}/program", token=show.host["token"]
            )
            assert status == 200
            assert (program["program"], program["preview"], program["epoch"]) == (
                show.venues["green"], show.venues["red"], 2)  # fmt: skip
            # the venues reconnect; the restarted server puts the stored program back on air by itself
            show.host_client = await Client(proc.url, show.host["token"]).connect()
            await show.host_client.join(show.room_id)
            await publish(show, "red")
            await publish(show, "green")
            viewer = await person(api, proc.url, show, "observer")
            await program_listed(viewer, show.room_id)
            observer = await watch_program(viewer, show.room_id)
            try:
                await observer.wait_colour("green", timeout=15)
                moderator = await person(api, proc.url, show, "moderator")
                r = await command(moderator, "venue:take", show.room_id, epoch=1)
                assert r["error"]["code"] == "conflict"
                r = await command(moderator, "venue:take", show.room_id, epoch=2)
                assert r["ok"] and r["state"]["program"] == show.venues["red"]
                await observer.wait_colour("red", after=time.monotonic())
                assert_clean(observer)
            finally:
                await observer.close()
                for pc in show.pcs.values():
                    await pc.close()
    finally:
        proc.kill()


@pytest.mark.redis
async def test_two_processes_on_redis_one_feed_owner_commands_anywhere_and_takeover(tmp_path: Path) -> None:
    redis_url = require_redis()
    prefix = unique_prefix()
    base = make_settings(tmp_path / "var", media_ice_loopback=True, redis_url=redis_url, redis_prefix=prefix)
    async with (
        running_server(base) as b,
        aiohttp.ClientSession() as session,
        contextlib.AsyncExitStack() as stack,
    ):
        a = await stack.enter_async_context(running_server(base))
        api_a, api_b = Api(session, a.url), Api(session, b.url)
        show = await showcase(api_a, a.url, ("red", "green", "blue"))
        for colour in show.venues:
            await publish(show, colour)  # the venues publish to process A: A owns the feed
        viewer = await person(api_a, a.url, show, "observer")
        await program_listed(viewer, show.room_id)
        observer = await watch_program(viewer, show.room_id)
        mod_a = await person(api_a, a.url, show, "moderator")
        mod_b = await person(api_b, b.url, show, "moderator")
        try:
            assert await b.app[ROUTER].holder(show.room_id) == a.ctx.cluster.node_id
            # a command at B: applied in the shared store, cut forwarded to A over the bus
            r = await command(mod_b, "venue:switch", show.room_id, venue_id=show.venues["green"], epoch=0)
            assert r["ok"], r
            await observer.wait_colour("green")
            await mod_a.wait_for("venue:state", lambda d: d["epoch"] == 1)  # A's clients hear B's command
            # concurrent commands at both processes: one order, one winner, the feed follows it
            started = time.monotonic()
            replies = await asyncio.gather(
                command(mod_a, "venue:switch", show.room_id, venue_id=show.venues["red"], epoch=1),
                command(mod_b, "venue:switch", show.room_id, venue_id=show.venues["blue"], epoch=1),
            )
            ok = [x for x in replies if x["ok"]]
            assert len(ok) == 1 and [x["error"]["code"] for x in replies if not x["ok"]] == ["conflict"]
            winner = show.colour_of(ok[0]["state"]["program"])
            await observer.wait_colour(winner, after=started)
            handoffs = await handoffs_when(api_b, show, lambda rows: len(rows) == 2)
            assert [h["epoch"] for h in handoffs] == [1, 2]
            assert_clean(observer)
        finally:
            await observer.close()
        # process A goes away; the venues reconnect to B, which takes the feed over and recovers the program
        await stack.aclose()
        for pc in show.pcs.values():
            await pc.close()
        show.pcs.clear()
        show.host_client = await Client(b.url, show.host["token"]).connect()
        show.api = api_b
        await show.host_client.join(show.room_id)
        for colour in show.venues:
            await publish(show, colour)
        viewer_b = await person(api_b, b.url, show, "observer")
        await program_listed(viewer_b, show.room_id)
        observer_b = await watch_program(viewer_b, show.room_id)
        try:
            await observer_b.wait_colour(winner, timeout=15)
            assert await b.app[ROUTER].holder(show.room_id) == b.ctx.cluster.node_id
            status, program = await api_b.call(
                "GET", f"/api/rooms/{show.room_id}/program", token=show.host["token"]
            )
            assert status == 200 and program["epoch"] == 2 and show.colour_of(program["program"]) == winner
        finally:
            await observer_b.close()
            for pc in show.pcs.values():
                await pc.close()


@pytest.mark.redis
@pytest.mark.postgres
async def test_with_redis_a_sigkilled_media_home_lapses_and_the_room_moves_to_another_process(
    tmp_path: Path,
) -> None:
    async with fresh_pg_database() as db_url, aiohttp.ClientSession() as session:
        env = {
            "MOKE_DATABASE_URL": db_url,
            "MOKE_REDIS_URL": require_redis(),
            "MOKE_REDIS_PREFIX": unique_prefix(),
            "MOKE_SECRET_KEY": secrets.token_urlsafe(32),
            "MOKE_MEDIA_ICE_LOOPBACK": "1",
            "MOKE_MEDIA_FALLBACK_DELAY": "0.5",
        }
        a = await ServerProcess(tmp_path / "a", env).start(timeout=90)
        b = await ServerProcess(tmp_path / "b", env).start(timeout=90)
        observers: list[Observer] = []
        try:
            api_a, api_b = Api(session, a.url), Api(session, b.url)
            show = await showcase(api_a, a.url, ("red", "green"))
            await publish(show, "red")  # through A, which becomes the room's media home
            show.host_client = await Client(b.url, show.host["token"]).connect()
            await show.host_client.join(show.room_id)
            show.api = api_b
            await publish(show, "green")  # through B: its media goes to the home, A, all the same
            mod = await person(api_b, b.url, show, "moderator")
            viewer = await person(api_b, b.url, show, "observer")
            await program_listed(viewer, show.room_id)
            observers.append(await watch_program(viewer, show.room_id))
            r = await command(mod, "venue:fallback", show.room_id, venue_id=show.venues["green"], epoch=0)
            assert r["ok"], r
            r = await command(mod, "venue:switch", show.room_id, venue_id=show.venues["red"], epoch=1)
            assert r["ok"], r
            await observers[0].wait_colour("red", timeout=30)  # B's observer watches A's media
            a.kill()  # the media home dies without a word: nobody unpublishes anything
            # both venues lived at A: they lapse with A's heartbeat; no fallback is live, so the slate
            await live_when(show, lambda live: live == [])
            alert = await mod.wait_for("venue:alert", lambda d: d["kind"] == "signal_lost", timeout=30)
            assert alert["venue_id"] == show.venues["red"]
            state = await mod.wait_for("venue:state", lambda d: d["on_air"] == "slate", timeout=30)
            # green publishes again through B; once A's lease has lapsed, B becomes the room's home
            await show.pcs.pop("green").close()  # its connection died with A
            deadline = time.monotonic() + 30
            while True:
                pc = await publisher_offer(ColourTrack("green"), ToneTrack())
                reply = await show.host_client.call("media:publish", {
                    "room_id": show.room_id, "venue_id": show.venues["green"],
                    "sdp": pc.localDescription.sdp, "type": "offer"}, timeout=20)  # fmt: skip
                if reply["ok"] or time.monotonic() > deadline:
                    break
                assert reply["error"]["code"] == "media_unreachable", reply
                await pc.close()
                await asyncio.sleep(0.5)
            assert reply["ok"], reply
            await pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type=reply["type"]))
            show.pcs["green"] = pc
            await live_when(show, lambda live: live == [show.venues["green"]])
            await program_listed(viewer, show.room_id)
            observers.append(await watch_program(viewer, show.room_id))
            status, program = await api_b.call("GET", f"/api/rooms/{show.room_id}/program",
                                               token=show.host["token"])  # fmt: skip
            assert status == 200 and program["epoch"] >= state["epoch"], program
            r = await command(
                mod, "venue:switch", show.room_id, venue_id=show.venues["green"], epoch=program["epoch"]
            )
            assert r["ok"], r
            await observers[1].wait_colour("green", timeout=30)
            r = await command(
                mod, "venue:switch", show.room_id, venue_id=show.venues["red"], epoch=r["state"]["epoch"]
            )
            assert r["error"]["code"] == "venue_not_live"
        finally:
            for observer in observers:
                await observer.close()
            for pc in show.pcs.values():
                await pc.close()
            a.kill()
            b.kill()
