"""Run a room's media operations in the process that is the room's media home.

All peer connections of a room's media (venue and seat publishers, their viewers, the program and
preview feeds, recordings) must live in one process, because frames are forwarded in memory. With one
process that is always this one. With several (``MOKE_REDIS_URL``) the home is the process holding the
room's ``media-home`` lease (``server.cluster``), which this router takes for a room that has no home yet
and the cluster renews while the process lives. The main-venue controller (``venues``) runs the room's
program feed wherever this says the home is, so feed and media stay together; it hears through
:meth:`MediaRouter.on_home_taken` when this process becomes a room's home (to put the program back on
air after a takeover). A client's Socket.IO connection may be on any process,
so an operation that arrives elsewhere is sent to the home over the bus and its answer comes back the
same way (the client then talks WebRTC straight to the home's address; Socket.IO events to the client's
sid cross processes through python-socketio's Redis manager).

Wire format on the bus (JSON): a request on ``media:rpc:<home node>``
``{"id", "op", "args", "reply_to"}``; the answer on ``media:reply:<caller node>``
``{"id", "result"}`` or ``{"id", "error": {"status", "code", "message", "details"}}``.
``broadcast`` sends ``{"op", "args"}`` on ``media:all`` and every process runs it (client gone).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from server.bus import Bus
from server.bus.base import Subscription
from server.cluster import Cluster, TaskGroup
from server.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    MokeError,
    NotFound,
    RateLimited,
    StorageFull,
    TooLarge,
    Unavailable,
    ValidationError,
)

log = logging.getLogger(__name__)

Op = Callable[..., Awaitable[dict[str, Any]]]
HomeListener = Callable[[str], Awaitable[None]]  # (room_id)

SETTLE_POLL = 0.1  # seconds between looks for a home that is taking its lease back
HOME_TTL = 6.0  # seconds a room's media home outlives its process's last renewal (a SIGKILL)

_ERRORS: dict[int, type[MokeError]] = {
    e.status: e
    for e in (BadRequest, ValidationError, Forbidden, NotFound, Conflict, TooLarge, RateLimited, StorageFull)
}


def error_from(body: dict[str, Any]) -> MokeError:
    """Rebuild an error raised in another process (same status, code, message and details)."""
    kind = _ERRORS.get(int(body.get("status", 0)), Unavailable)
    return kind(str(body.get("message", "")), code=str(body.get("code")), details=body.get("details"))


def error_to(exc: MokeError) -> dict[str, Any]:
    return {"status": exc.status, **exc.to_dict()}


class MediaRouter:
    """Routes named media operations of a room to its home process; owns its bus subscriptions."""

    def __init__(
        self,
        bus: Bus,
        cluster: Cluster,
        *,
        timeout: float = 10.0,
        home_ttl: float = HOME_TTL,
        tasks: TaskGroup | None = None,
    ) -> None:
        self.bus = bus
        self.node = cluster.node_id
        self.timeout = timeout
        self.homes = cluster.lease("media-home", home_ttl)  # key: room id
        # the longest a home takes to take its lease back after Redis restarted empty
        self.settle_wait = cluster.node_ttl + home_ttl / 3
        self._home_taken: list[HomeListener] = []
        self._ops: dict[str, Op] = {}
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._subs: list[Subscription] = []
        self.tasks = tasks if tasks is not None else cluster.task_group("media/rpc")
        self.remote_calls = 0  # operations this process sent to another one (observability, tests)
        self.served_calls = 0  # operations this process ran for another one

    def register(self, name: str, op: Op) -> None:
        self._ops[name] = op

    async def start(self) -> None:
        self._subs = [
            await self.bus.subscribe(f"media:rpc:{self.node}", self._on_request),
            await self.bus.subscribe(f"media:reply:{self.node}", self._on_reply),
            await self.bus.subscribe("media:all", self._on_broadcast),
        ]

    async def stop(self) -> None:
        for sub in self._subs:
            await sub.close()
        self._subs = []
        await self.tasks.close()
        await self.homes.release_all()  # another process may become these rooms' home at once
        for fut in self._waiting.values():
            if not fut.done():
                fut.set_exception(Unavailable("the server is shutting down", code="shutting_down"))
        self._waiting.clear()

    # ---- the room's home ----------------------------------------------------------------------
    def on_home_taken(self, listener: HomeListener) -> None:
        """Call ``listener(room_id)`` when this process becomes the room's media home."""
        self._home_taken.append(listener)

    async def home(self, room_id: str) -> str:
        """The room's media home: the process holding its lease, else this one (which takes it).

        Right after Redis restarted empty nobody holds it until the home takes it back (the lease
        refuses a bystander then, see server/cluster/base.py): wait for that, at most ``settle_wait``."""
        deadline = time.monotonic() + self.settle_wait
        while True:
            holder = await self.homes.holder(room_id)
            if holder is not None and holder != self.node:
                return holder
            if await self.claim(room_id):
                return self.node
            holder = await self.homes.holder(room_id)  # another process took it just now
            if holder is not None or time.monotonic() >= deadline:
                return holder or self.node
            await asyncio.sleep(SETTLE_POLL)

    async def claim(self, room_id: str) -> bool:
        """Take (or keep) the room's home here when it is free; True when this process holds it."""
        had = room_id in self.homes.held()
        if not await self.homes.acquire(room_id):
            return False
        if not had:
            log.info("media home taken room=%s node=%s", room_id, self.node)
            for listener in list(self._home_taken):
                self.tasks.spawn(listener(room_id), name=f"media-home-taken:{room_id}")
        return True

    async def holder(self, room_id: str) -> str | None:
        """The process that is the room's media home now, or None (it takes the next caller's)."""
        return await self.homes.holder(room_id)

    def is_home(self, room_id: str) -> bool:
        """True when this process holds the room's home (as of its last claim or renewal)."""
        return room_id in self.homes.held()

    async def release_home(self, room_id: str) -> None:
        """Give the room's home up (its media here was freed); the next caller's process takes it."""
        await self.homes.release(room_id)

    async def held_elsewhere(self, room_id: str) -> bool:
        """True while another process is the room's media home."""
        holder = await self.homes.holder(room_id)
        return holder is not None and holder != self.node

    async def call(self, room_id: str, op: str, /, **args: Any) -> tuple[str, dict[str, Any]]:
        """Run ``op`` at the room's home; returns (the node that ran it, its result)."""
        node = await self.home(room_id)
        return node, await self.call_at(node, op, **args)

    async def call_at(self, node: str, op: str, /, **args: Any) -> dict[str, Any]:
        if node == self.node:
            return await self._ops[op](**args)
        msg_id = next(self._ids)
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[msg_id] = fut
        self.remote_calls += 1
        request = {"id": msg_id, "op": op, "args": args, "reply_to": self.node}
        try:
            await self.bus.publish(f"media:rpc:{node}", json.dumps(request).encode())
            reply = await asyncio.wait_for(fut, self.timeout)
        except TimeoutError:
            raise Unavailable(
                "the server process that carries this room's media did not answer", code="media_unreachable"
            ) from None
        finally:
            self._waiting.pop(msg_id, None)
        if "error" in reply:
            raise error_from(reply["error"])
        return dict(reply["result"])

    async def broadcast(self, op: str, /, **args: Any) -> None:
        """Run ``op`` here now and in every other process (without answers)."""
        await self._ops[op](**args)
        await self.bus.publish("media:all", json.dumps({"op": op, "args": args, "from": self.node}).encode())

    async def _on_request(self, _channel: str, data: bytes) -> None:
        # each request in its own task: an SDP answer takes a while and must not hold up the next
        self.tasks.spawn(self._serve(json.loads(data)), name="media-rpc")

    async def _serve(self, msg: dict[str, Any]) -> None:
        self.served_calls += 1
        reply: dict[str, Any] = {"id": msg["id"]}
        try:
            reply["result"] = await self._ops[msg["op"]](**msg["args"])
        except MokeError as exc:
            reply["error"] = error_to(exc)
        except Exception:
            log.exception("media operation %s failed for node %s", msg.get("op"), msg.get("reply_to"))
            reply["error"] = error_to(MokeError("internal error", code="internal"))
        await self.bus.publish(f"media:reply:{msg['reply_to']}", json.dumps(reply).encode())

    async def _on_reply(self, _channel: str, data: bytes) -> None:
        msg = json.loads(data)
        fut = self._waiting.get(int(msg["id"]))
        if fut is not None and not fut.done():
            fut.set_result(msg)

    async def _on_broadcast(self, _channel: str, data: bytes) -> None:
        msg = json.loads(data)
        if msg.get("from") != self.node:
            await self._ops[msg["op"]](**msg["args"])
