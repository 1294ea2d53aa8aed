"""Two `moke serve` processes on one Redis and one PostgreSQL: a studio member connected to one process is
taken out of the studio's room at once when they leave the studio through the other (the announcement
crosses processes on the bus), and a member promoted there moves to the new default role."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.support.api import Api
from tests.support.rooms import Client
from tests.support.server import ServerProcess
from tests.support.services import fresh_pg_database, require_redis, unique_prefix

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


async def _register_and_join(api: Api, code: str, name: str) -> dict[str, Any]:
    user = await api.register(display_name=name)
    status, body = await api.call(
        "POST", "/api/studio-invites/redeem", token=user["token"], json={"code": code}
    )
    assert status == 200, body
    return user


async def test_leaving_on_one_process_takes_the_room_away_on_the_other(tmp_path: Path) -> None:
    redis_url = require_redis()
    async with fresh_pg_database() as db_url:
        env = {
            "MOKE_DATABASE_URL": db_url,
            "MOKE_REDIS_URL": redis_url,
            "MOKE_REDIS_PREFIX": unique_prefix(),
            "MOKE_SECRET_KEY": secrets.token_urlsafe(32),
        }
        a = await ServerProcess(tmp_path / "a", env).start(timeout=90)
        b = await ServerProcess(tmp_path / "b", env).start(timeout=90)
        clients: list[Client] = []
        try:
            async with aiohttp.ClientSession() as http:
                api_a, api_b = Api(http, a.url), Api(http, b.url)
                host = await api_a.register(display_name="王主持")
                status, studio = await api_a.call(
                    "POST", "/api/studios", token=host["token"], json={"name": "工作室"}
                )
                assert status == 201, studio
                sid = studio["id"]
                status, inv = await api_a.call("POST", f"/api/studios/{sid}/invites", token=host["token"],
                                               json={"role": "participant"})  # fmt: skip
                leaver = await _register_and_join(api_a, inv["code"], "学员甲")
                promoted = await _register_and_join(api_a, inv["code"], "学员乙")
                status, act = await api_a.call("POST", f"/api/studios/{sid}/rooms", token=host["token"],
                                               json={"room": {"title": "第一次试讲", "kind": "trial"}})  # fmt: skip
                rid = act["room"]["id"]
                # both members are connected to B, through their studio role only
                on_b = [await Client(b.url, u["token"]).connect() for u in (leaver, promoted)]
                clients = on_b
                for c in on_b:
                    assert (await c.join(rid))["me"]["role"] == "observer"
                # the change is made on A
                status, _ = await api_a.call("POST", f"/api/studios/{sid}/leave", token=leaver["token"])
                assert status == 204
                status, _ = await api_a.call("PATCH", f"/api/studios/{sid}/members/{promoted['user']['id']}",
                                             token=host["token"], json={"role": "core"})  # fmt: skip
                assert status == 200
                await on_b[0].wait_for("room:removed", lambda d: d["room_id"] == rid, timeout=30)
                uid = promoted["user"]["id"]
                await on_b[1].wait_online(rid, lambda o: o.get(uid, {}).get("role") == "editor", timeout=30)
                reply = await on_b[0].call("room:join", {"room_id": rid})
                assert not reply["ok"] and reply["error"]["code"] == "not_member", reply
                status, err = await api_b.call("GET", f"/api/rooms/{rid}", token=leaver["token"])
                assert status == 403 and err["error"]["code"] == "not_member"
        finally:
            for c in clients:
                try:
                    await asyncio.wait_for(c.close(), 3)
                except (TimeoutError, Exception):
                    pass
            b.terminate()
            a.terminate()
