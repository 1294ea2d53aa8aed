"""``media.routing``: operations run at the room's media home, here or across the bus in another process."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from media.api import MEDIA, RECORDINGS, ROUTER, SOURCES
from media.routing import MediaRouter, error_from, error_to
from server.bus.redis import RedisBus
from server.cluster.redis import RedisCluster
from server.errors import Conflict, Forbidden, MokeError, NotFound, Unavailable
from tests.support.api import Api
from tests.support.rooms import Client
from tests.support.server import make_settings, running_server
from tests.support.services import require_redis, unique_prefix
from tests.support.venues import assert_clean, command, person, publish, showcase, watch_program

pytestmark = pytest.mark.redis


def test_errors_cross_processes_with_their_status_code_message_and_details() -> None:
    for exc in (NotFound("no such source", code="source_not_found"),
                Conflict("taken", code="already_published", details={"by": 3}),
                Forbidden("no seat", code="no_seat")):  # fmt: skip
        back = error_from(error_to(exc))
        assert type(back) is type(exc)
        assert (back.status, back.code, back.message, back.details) == (
            exc.status, exc.code, exc.message, exc.details)  # fmt: skip
    assert isinstance(error_from({"status": 500, "code": "internal", "message": "x"}), Unavailable)


async def until(predicate: Callable[[], bool], timeout: float = 20) -> None:
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), timeout)


@contextlib.asynccontextmanager
async def two_routers() -> AsyncIterator[tuple[MediaRouter, MediaRouter]]:
    """Two processes' routers: each with its cluster node and its bus on one Redis."""
    url, prefix = require_redis(), unique_prefix()
    clusters = [RedisCluster(url, prefix=prefix), RedisCluster(url, prefix=prefix)]
    buses = [RedisBus(url, prefix=prefix, redis=c.redis, node_id=c.node_id) for c in clusters]
    routers = [MediaRouter(bus, c, timeout=2.0) for bus, c in zip(buses, clusters, strict=True)]
    for cluster, bus, router in zip(clusters, buses, routers, strict=True):
        await cluster.start()
        await bus.start()
        await router.start()
    try:
        yield routers[0], routers[1]
    finally:
        for cluster, bus, router in zip(clusters, buses, routers, strict=True):
            await router.stop()
            await bus.stop()
            await cluster.stop()


async def test_a_call_runs_at_the_home_and_its_answer_or_error_comes_back() -> None:
    async with two_routers() as (a, b):
        ran: list[tuple[str, dict[str, Any]]] = []

        def op_of(node: str) -> Any:
            async def op(**args: Any) -> dict[str, Any]:
                ran.append((node, args))
                if args.get("fail"):
                    raise Conflict("already published", code="already_published")
                return {"answered_by": node, "echo": args["x"]}

            return op

        a.register("echo", op_of(a.node))
        b.register("echo", op_of(b.node))

        assert await b.claim("room1")  # b becomes the room's home
        node, result = await a.call("room1", "echo", x="三小")
        assert node == b.node and result == {"answered_by": b.node, "echo": "三小"}
        assert (a.remote_calls, b.served_calls) == (1, 1)
        node, result = await b.call("room1", "echo", x=1)  # at home: runs right here, no bus
        assert result["answered_by"] == b.node and b.remote_calls == 0
        with pytest.raises(Conflict) as caught:
            await a.call("room1", "echo", x=2, fail=True)
        assert caught.value.code == "already_published"
        assert [n for n, _ in ran] == [b.node] * 3


async def test_calls_are_served_concurrently_and_a_silent_home_times_out() -> None:
    async with two_routers() as (a, b):
        gate = asyncio.Event()
        started = 0

        async def slow(**_args: Any) -> dict[str, Any]:
            nonlocal started
            started += 1
            if started == 2:
                gate.set()
            await gate.wait()  # only returns once both calls are in progress at once
            return {}

        b.register("slow", slow)
        await asyncio.gather(a.call_at(b.node, "slow"), a.call_at(b.node, "slow"))
        with pytest.raises(MokeError) as caught:
            await a.call_at("no-such-node", "slow")
        assert caught.value.code == "media_unreachable" and caught.value.status == 503


async def test_broadcast_runs_everywhere_once() -> None:
    async with two_routers() as (a, b):
        seen: list[str] = []
        for r in (a, b):

            async def gone(sid: str, node: str = r.node) -> dict[str, Any]:
                seen.append(f"{node}:{sid}")
                return {}

            r.register("disconnect", gone)
        await a.broadcast("disconnect", sid="s1")
        assert seen == [f"{a.node}:s1"]  # ran here before returning
        for _ in range(200):
            if len(seen) == 2:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)  # and not a second time here from the bus
        assert sorted(seen) == sorted([f"{a.node}:s1", f"{b.node}:s1"])


async def test_clients_on_either_process_publish_watch_record_and_leave_through_the_media_home(
    tmp_path: Path,
) -> None:
    """No sticky routing: the room's media lives at A, and clients connected to B use it all the same."""
    base = make_settings(tmp_path / "var", media_ice_loopback=True, redis_url=require_redis(),
                         redis_prefix=unique_prefix())  # fmt: skip
    async with (
        running_server(base) as a,
        running_server(base) as b,
        aiohttp.ClientSession() as session,
    ):
        api_a, api_b = Api(session, a.url), Api(session, b.url)
        show = await showcase(api_a, a.url, ("red", "green"))
        await publish(show, "red")  # the host's connection is on A: A claims the room's media
        home = a.app[ROUTER]
        assert await b.app[ROUTER].home(show.room_id) == home.node
        # a presenter connected to B publishes the green venue: it lands at A
        green_host = await Client(b.url, show.host["token"]).connect()
        await green_host.join(show.room_id)
        show.host_client, red_client = green_host, show.host_client
        await publish(show, "green")
        show.host_client = red_client
        venues = {f"venue:{v}" for v in show.venues.values()}
        await until(lambda: venues <= set(a.app[SOURCES].live_names(show.room_id)))  # from the first frames
        assert b.app[SOURCES].live_names(show.room_id) == []  # B carries no media of this room
        viewer = await person(api_b, b.url, show, "observer")
        moderator = await person(api_b, b.url, show, "moderator")
        reply = await viewer.call("media:sources", {"room_id": show.room_id})
        assert venues <= set(reply["sources"])
        observer = await watch_program(viewer, show.room_id)
        venue_feed = await watch_program(viewer, show.room_id, source=f"venue:{show.venues['red']}")
        try:
            r = await command(moderator, "venue:switch", show.room_id, venue_id=show.venues["green"], epoch=0)
            assert r["ok"], r
            await observer.wait_colour("green", timeout=20)
            await venue_feed.wait_colour("red", timeout=20)
            # the status and recordings REST at B answer from A
            status, media = await api_b.call(
                "GET", f"/api/rooms/{show.room_id}/media", token=show.host["token"]
            )
            assert status == 200 and media["publishers"] == 2 and media["viewers"] >= 2, media
            status, rec = await api_b.call("POST", f"/api/rooms/{show.room_id}/recordings",
                                           token=show.host["token"], json={"source": "program"})  # fmt: skip
            assert status == 201, rec
            assert rec["id"] in a.app[RECORDINGS].active and not b.app[RECORDINGS].active
            async with running_server(base) as c:  # another process starts while A records
                status, listed = await Api(session, c.url).call(
                    "GET", f"/api/rooms/{show.room_id}/recordings", token=show.host["token"]
                )
                assert [r["status"] for r in listed if r["id"] == rec["id"]] == [
                    "recording"
                ]  # not interrupted
            await asyncio.sleep(1.5)
            status, rec = await api_b.call(
                "POST", f"/api/recordings/{rec['id']}/stop", token=show.host["token"]
            )
            assert status == 200 and rec["status"] == "done" and rec["frames"] > 0, rec
            # errors raised at A reach the client at B with their code
            r = await viewer.call("media:watch", {"room_id": show.room_id, "source": "venue:nope",
                                                  "sdp": "v=0", "type": "offer"})  # fmt: skip
            assert not r["ok"] and r["error"]["code"] in ("source_not_found", "invalid_sdp"), r
            r = await viewer.call("media:unwatch", {"subscription_id": "not-mine"})
            assert not r["ok"] and r["error"]["code"] == "subscription_not_found"
            assert b.app[ROUTER].remote_calls >= 5 and home.served_calls >= 5
            assert_clean(observer)
        finally:
            await observer.close()
            await venue_feed.close()
        # the viewer's connection to B ends: A closes its peers
        viewers_before = len(a.app[MEDIA].viewers)
        assert viewers_before >= 2
        await viewer.close()
        await until(lambda: len(a.app[MEDIA].viewers) == viewers_before - 2)
        await moderator.close()
        await green_host.close()
        await show.host_client.close()
        for pc in show.pcs.values():
            await pc.close()
