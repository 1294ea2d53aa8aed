"""Redis restarted mid-showcase: presence, seats, chat and the venue controller resume.

Two ``moke serve`` processes on one PostgreSQL and a private Redis (``tests/support/private_services.py``)
run as the deployment configures it: no persistence, so the restart comes back empty. Real Socket.IO
clients on both processes, venues publishing real media to A; Redis is stopped and started again.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.support.api import Api
from tests.support.private_services import private_redis
from tests.support.rooms import Client, cid, member
from tests.support.server import ServerProcess
from tests.support.services import fresh_pg_database
from tests.support.venues import command, handoffs_when, publish, showcase

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


async def chat_reaches(sender: Client, receivers: list[Client], room_id: str, text: str) -> dict[str, Any]:
    """Send a chat line; it is acknowledged and every receiver gets it (delivered once, in order)."""
    ack = await sender.call("chat:send", {"room_id": room_id, "client_id": cid(), "text": text})
    assert ack["ok"], ack
    for r in receivers:
        await r.wait_for("chat:message", lambda m, i=ack["message"]["id"]: m["id"] == i, timeout=30)
    return dict(ack["message"])


async def program(api: Api, show_room: str, token: str) -> dict[str, Any]:
    status, body = await api.call("GET", f"/api/rooms/{show_room}/program", token=token)
    assert status == 200, body
    return dict(body)


async def eventually(check: Any, timeout: float = 30) -> Any:
    """Poll ``check()`` (async, returns a truthy value when done) until it holds."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.2)


async def test_a_redis_restart_mid_showcase_loses_nothing_acknowledged(tmp_path: Path) -> None:
    async with private_redis() as redis, fresh_pg_database() as db_url, aiohttp.ClientSession() as http:
        env = {
            "MOKE_DATABASE_URL": db_url,
            "MOKE_REDIS_URL": redis.url,
            "MOKE_SECRET_KEY": secrets.token_urlsafe(32),
            "MOKE_MEDIA_ICE_LOOPBACK": "1",
            "MOKE_CLUSTER_NODE_TTL": "3",
        }
        a = await ServerProcess(tmp_path / "a", env).start(timeout=90)
        b = await ServerProcess(tmp_path / "b", env).start(timeout=90)
        clients: list[Client] = []
        show = None
        try:
            api_a, api_b = Api(http, a.url), Api(http, b.url)
            show = await showcase(api_a, a.url, ("red", "green"))
            clients.append(show.host_client)
            for colour in show.venues:
                await publish(show, colour)  # the venues publish to A: A is the room's media home
            users = {
                "mod_b": await member(api_a, show.host["token"], show.room_id, "moderator", as_guest=True),
                "obs_a": await member(api_a, show.host["token"], show.room_id, "observer", as_guest=True),
                "obs_b": await member(api_a, show.host["token"], show.room_id, "observer", as_guest=True),
            }
            mod_b = await Client(b.url, users["mod_b"]["token"]).connect()
            obs_a = await Client(a.url, users["obs_a"]["token"]).connect()
            obs_b = await Client(b.url, users["obs_b"]["token"]).connect()
            clients += [mod_b, obs_a, obs_b]
            for c in (mod_b, obs_a, obs_b):
                await c.join(show.room_id)
            everyone = {show.host["user"]["id"], *(u["user"]["id"] for u in users.values())}
            await obs_a.wait_online(show.room_id, lambda o: set(o) == everyone, timeout=30)
            await obs_b.wait_online(show.room_id, lambda o: set(o) == everyone, timeout=30)
            # before: a seat granted, chat across processes, a hand-off commanded at B
            seat = await show.host_client.call("seat:grant", {"room_id": show.room_id,
                                                              "user_id": users["obs_b"]["user"]["id"]})  # fmt: skip
            assert seat["ok"], seat
            before = await chat_reaches(obs_b, [obs_a, show.host_client], show.room_id, "重启之前")
            r = await command(mod_b, "venue:switch", show.room_id, venue_id=show.venues["green"], epoch=0)
            assert r["ok"], r
            await handoffs_when(api_a, show, lambda rows: len(rows) == 1 and rows[0]["switched"] is True)
            state_before = await program(api_a, show.room_id, show.host["token"])

            await redis.restart(down_for=1.0)

            # the acknowledged program survives; its venues are live again for everyone
            for api in (api_a, api_b):
                p = await program(api, show.room_id, show.host["token"])
                assert (p["epoch"], p["program"]) == (state_before["epoch"], state_before["program"]), p
            live = set(show.venues.values())
            for api in (api_a, api_b):
                got = await eventually(
                    lambda api=api: _live_is(api, show.room_id, show.host["token"], live)  # type: ignore[misc]
                )
                assert got, f"venues not live again at {api.base}"
            # presence is right again, on both processes, for a member who joins now too
            late = await member(api_a, show.host["token"], show.room_id, "observer", as_guest=True)
            late_b = await Client(b.url, late["token"]).connect()
            clients.append(late_b)
            joined = await late_b.join(show.room_id)
            everyone.add(late["user"]["id"])
            await late_b.wait_online(show.room_id, lambda o: set(o) == everyone, timeout=30)
            await obs_a.wait_online(show.room_id, lambda o: set(o) == everyone, timeout=30)
            # the seat is still held
            floor = await obs_a.call("hand:raise", {"room_id": show.room_id})
            assert floor["ok"] and users["obs_b"]["user"]["id"] in floor["floor"]["seats"], floor
            del joined
            # chat flows both ways again, and history has every acknowledged line once
            after_a = await eventually_chat(obs_a, [obs_b, mod_b], show.room_id, "重启之后 A")
            after_b = await eventually_chat(obs_b, [obs_a, show.host_client], show.room_id, "重启之后 B")
            status, history = await api_b.call(
                "GET", f"/api/rooms/{show.room_id}/chat", token=show.host["token"]
            )
            assert status == 200, history
            ids = [m["id"] for m in (history["messages"] if isinstance(history, dict) else history)]
            for m in (before, after_a, after_b):
                assert ids.count(m["id"]) == 1
            # a hand-off commanded at B after the restart reaches the feed at A (lease, bus)
            r = await command(mod_b, "venue:switch", show.room_id, venue_id=show.venues["red"],
                              epoch=state_before["epoch"])  # fmt: skip
            assert r["ok"], r
            rows = await handoffs_when(api_b, show, lambda rows: len(rows) == 2 and rows[1]["switched"] is True,
                                       timeout=30)  # fmt: skip
            assert [h["to_venue"] for h in rows] == [show.venues["green"], show.venues["red"]], rows
            assert rows[1]["switched"] is True, rows
            # and its clients on both processes hear of it
            await obs_a.wait_for("venue:state", lambda d: d["epoch"] == state_before["epoch"] + 1, timeout=30)
            await obs_b.wait_for("venue:state", lambda d: d["epoch"] == state_before["epoch"] + 1, timeout=30)
            assert all(c.sio.connected for c in clients), "a client lost its connection"
        finally:
            for c in clients:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(c.close(), 3)
            if show is not None:
                for pc in show.pcs.values():
                    await pc.close()
            a.kill()
            b.kill()


async def _live_is(api: Api, room_id: str, token: str, live: set[str]) -> bool:
    p = await program(api, room_id, token)
    return set(p["live"]) == live


async def eventually_chat(sender: Client, receivers: list[Client], room_id: str, text: str) -> dict[str, Any]:
    """A chat line sent after the restart reaches every receiver (the Socket.IO Redis manager has resubscribed)."""
    return await chat_reaches(sender, receivers, room_id, text)
