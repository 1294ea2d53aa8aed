"""Two `moke serve` processes on one Redis and one PostgreSQL: shared presence, chat, seats; SIGKILL ghosts."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

import aiohttp
import pytest

from tests.support.api import Api
from tests.support.rooms import Client, cid, create_room, member
from tests.support.server import ServerProcess
from tests.support.services import fresh_pg_database, require_redis, unique_prefix

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


async def test_two_processes_share_presence_chat_and_seats_and_drop_ghosts(tmp_path: Path) -> None:
    redis_url = require_redis()
    async with fresh_pg_database() as db_url:
        env = {
            "MOKE_DATABASE_URL": db_url,
            "MOKE_REDIS_URL": redis_url,
            "MOKE_REDIS_PREFIX": unique_prefix(),
            "MOKE_SECRET_KEY": secrets.token_urlsafe(32),
            "MOKE_CLUSTER_NODE_TTL": "1.5",
        }
        a = await ServerProcess(tmp_path / "a", env).start(timeout=90)
        b = await ServerProcess(tmp_path / "b", env).start(timeout=90)
        clients: list[Client] = []
        try:
            async with aiohttp.ClientSession() as http:
                api = Api(http, a.url)
                host = await api.register(display_name="主持人")
                rid = (await create_room(api, host["token"], kind="trial", seats=3))["id"]
                mod = await member(api, host["token"], rid, "moderator", as_guest=True)
                teachers = [
                    await member(api, host["token"], rid, "observer", as_guest=True) for _ in range(6)
                ]
            # host and the first three teachers on A; the moderator and the other three on B
            on_a = [host, *teachers[:3]]
            on_b = [mod, *teachers[3:]]
            ca = [await Client(a.url, u["token"]).connect() for u in on_a]
            cb = [await Client(b.url, u["token"]).connect() for u in on_b]
            clients = ca + cb
            for c in clients:
                await c.join(rid)
            everyone = {u["user"]["id"] for u in on_a + on_b}
            await ca[0].wait_online(rid, lambda o: set(o) == everyone, timeout=30)
            await cb[0].wait_online(rid, lambda o: set(o) == everyone, timeout=30)
            # chat crosses processes, persisted once
            r = await cb[1].call("chat:send", {"room_id": rid, "client_id": cid(), "text": "B 这边听得清楚"})
            assert r["ok"]
            await ca[1].wait_for("chat:message", lambda m: m["id"] == r["message"]["id"], timeout=30)
            # the host on A and the moderator on B grant seats to all six teachers at once
            ids = [t["user"]["id"] for t in teachers]
            grants = [ca[0].call("seat:grant", {"room_id": rid, "user_id": u}) for u in ids]
            grants += [cb[0].call("seat:grant", {"room_id": rid, "user_id": u}) for u in reversed(ids)]
            replies = await asyncio.gather(*grants)
            assert all(r["ok"] or r["error"]["code"] == "seats_full" for r in replies)
            floor = await ca[0].call("hand:raise", {"room_id": rid})
            assert len(floor["floor"]["seats"]) == 3 and floor["floor"]["limit"] == 3
            # SIGKILL B: its members (and their seats) disappear from A's view after the TTL
            b.kill()
            on_a_ids = {u["user"]["id"] for u in on_a}
            await ca[0].wait_online(rid, lambda o: set(o) == on_a_ids, timeout=30)
            kept = [u for u in floor["floor"]["seats"] if u in on_a_ids]
            now = await ca[0].call("hand:lower", {"room_id": rid})
            assert now["floor"]["seats"] == kept  # B's ghosts lost their seats with their presence
        finally:
            for c in clients:
                try:
                    await asyncio.wait_for(c.close(), 3)
                except (TimeoutError, Exception):
                    pass
            b.kill()
            a.terminate()
