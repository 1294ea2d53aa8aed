"""A crowd for the synchronous browser tests: guests of a room, each online over its own real Socket.IO
connection, held by a thread that runs an event loop of its own (Playwright's sync API owns the test's)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any

import aiohttp

from tests.support.rooms import Client

PARALLEL = 16  # requests and connections in flight at once: quick, without starving the server


class Crowd:
    """``schools`` (name -> how many) guests joined with ``code`` and online in ``room_id``.

    Use as a context manager; ``guests`` holds their token responses once it is entered."""

    def __init__(self, base: str, room_id: str, code: str, schools: dict[str, int]) -> None:
        self.base = base
        self.room_id = room_id
        self.code = code
        self.schools = schools
        self.guests: list[dict[str, Any]] = []
        self.clients: dict[int, Client] = {}  # user id -> its connection
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="crowd", daemon=True)

    def _run(self, coro: Coroutine[Any, Any, Any], timeout: float = 180) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def __enter__(self) -> Crowd:
        self._thread.start()
        try:
            self._run(self._start())
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._run(self._stop(), timeout=60)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    async def _start(self) -> None:
        gate = asyncio.Semaphore(PARALLEL)
        names = [(school, i) for school, n in self.schools.items() for i in range(n)]
        async with aiohttp.ClientSession() as http:

            async def one(school: str, i: int) -> dict[str, Any]:
                body = {
                    "code": self.code,
                    "display_name": f"{school or '访客'}{i + 1:03d}号",
                    "school": school,
                }
                async with gate, http.post(self.base + "/api/auth/guest", json=body) as resp:
                    data = await resp.json()
                    assert resp.status == 200, data
                    return dict(data)

            self.guests = list(await asyncio.gather(*(one(s, i) for s, i in names)))

        async def online(guest: dict[str, Any]) -> Client:
            async with gate:
                client = await Client(self.base, guest["token"]).connect()
                self.clients[guest["user"]["id"]] = client
                await client.join(self.room_id)
                return client

        await asyncio.gather(*(online(g) for g in self.guests))

    async def _stop(self) -> None:
        await asyncio.gather(*(c.close() for c in self.clients.values()), return_exceptions=True)

    def leave(self, n: int, school: str) -> None:
        """The first ``n`` online guests of ``school`` close their connections."""

        async def go() -> None:
            ids = [g["user"]["id"] for g in self.guests if g["user"]["school"] == school][:n]
            await asyncio.gather(*(self.clients[i].close() for i in ids))

        self._run(go())
