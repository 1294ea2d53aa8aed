"""Broadcasts through the DirectEmit managers: each member of the room once, the skipped and the outsiders
never; several arguments; acks still work. In-process and with the Redis manager."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from server.fanout import DirectEmit, RedisManager
from tests.support.api import Api
from tests.support.server import make_settings, running_server
from tests.support.services import require_redis, unique_prefix


@pytest.mark.parametrize("redis", [False, True], ids=["memory", "redis"])
async def test_a_broadcast_reaches_each_member_of_the_room_once(tmp_path: Path, redis: bool) -> None:
    extra = {"redis_url": require_redis(), "redis_prefix": unique_prefix()} if redis else {}
    async with (
        running_server(make_settings(tmp_path / "var", **extra)) as server,
        aiohttp.ClientSession() as http,
    ):
        sio = server.ctx.sio
        assert isinstance(sio.manager, RedisManager if redis else DirectEmit)
        token = (await Api(http, server.url).register())["token"]
        got: list[dict[str, list[Any]]] = []
        clients = []
        for _ in range(4):
            c = socketio.AsyncClient(reconnection=False)
            seen: dict[str, list[Any]] = defaultdict(list)

            @c.on("*")
            async def record(event: str, *args: Any, seen: dict[str, list[Any]] = seen) -> str:
                seen[event].append(list(args))
                return "pong"

            await c.connect(server.url, auth={"token": token}, transports=["websocket"], wait_timeout=10)
            clients.append(c)
            got.append(seen)
        try:
            sids = [c.get_sid() for c in clients]
            for sid in sids[:3]:
                await sio.enter_room(sid, "r")
            await sio.emit("hello", {"n": 1}, room="r", skip_sid=sids[0])
            await sio.emit("pair", ("a", 2), room="r")
            await sio.emit("direct", None, to=sids[3])
            assert (
                await sio.call("ask", {"q": 1}, to=sids[3], timeout=10) == "pong"
            )  # an ack: the library's path
            for _ in range(100):
                if all(len(s["pair"]) == 1 for s in got[:3]) and got[3]["direct"]:
                    break
                await asyncio.sleep(0.05)
            assert [s["hello"] for s in got] == [[], [[{"n": 1}]], [[{"n": 1}]], []]
            assert [s["pair"] for s in got] == [[["a", 2]]] * 3 + [[]]
            assert [len(s["direct"]) for s in got] == [0, 0, 0, 1]
        finally:
            for c in clients:
                await c.disconnect()
