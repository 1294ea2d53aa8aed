"""The one way to handle a Socket.IO event (server/realtime.py), on a real aiohttp + python-socketio server
with real python-socketio clients: validation errors, ack replies versus ``error`` events, the flood guard
(and that it forgets a connection that ended), unknown events, and disconnect hooks that all run."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import socketio
from aiohttp import web
from pydantic import BaseModel, Field

from server.auth.tokens import Principal, TokenService
from server.errors import Forbidden
from server.logs import request_id
from server.ratelimit import ConnectionCaps, RateLimits
from server.realtime import FloodGuard, Realtime, Reply, channel, create_sio, principal_of_sid
from tests.support.server import make_settings, running_server


class EchoIn(BaseModel):
    n: int = Field(ge=0, strict=True)


@dataclass
class Served:
    url: str
    realtime: Realtime
    tokens: TokenService


@asynccontextmanager
async def realtime_server(
    tmp_path: Path, flood: FloodGuard | None = None, caps: ConnectionCaps | None = None
) -> AsyncIterator[Served]:
    """Only the Socket.IO layer (no domain package) on 127.0.0.1 and a free port."""
    app = web.Application()
    sio = create_sio(make_settings(tmp_path / "var"))
    sio.attach(app)
    tokens = TokenService("a test secret of at least thirty-two bytes", 3600)
    realtime = Realtime(sio, tokens, flood=flood, caps=caps)
    runner = web.AppRunner(app, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    assert site._server is not None
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield Served(f"http://127.0.0.1:{port}", realtime, tokens)
    finally:
        await runner.cleanup()


class Client:
    """A real python-socketio client that records every event it receives."""

    def __init__(self, served: Served, user_id: int = 1, token: str | None = None) -> None:
        self.served = served
        self.token = token or served.tokens.issue(Principal(user_id=user_id, name=f"u{user_id}"))
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: dict[str, list[Any]] = defaultdict(list)
        self.arrived = asyncio.Event()

        @self.sio.on("*")
        async def record(event: str, *args: Any) -> None:
            self.events[event].append(args[0] if args else None)
            self.arrived.set()

    async def __aenter__(self) -> Client:
        await self.sio.connect(
            self.served.url, auth={"token": self.token}, transports=["websocket"], wait_timeout=10
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.sio.connected:
            await self.sio.disconnect()

    @property
    def sid(self) -> str:
        sid = self.sio.get_sid()
        assert sid is not None
        return sid

    async def call(self, event: str, *args: Any) -> Any:
        data: Any = args[0] if len(args) == 1 else tuple(args) if args else None
        return await self.sio.call(event, data, timeout=10)

    async def next_event(self, event: str) -> Any:
        while not self.events[event]:
            self.arrived.clear()
            await asyncio.wait_for(self.arrived.wait(), 10)
        return self.events[event].pop(0)


def register_echo(realtime: Realtime) -> None:
    @realtime.event("test:echo", EchoIn)
    async def echo(sid: str, body: EchoIn) -> Reply:
        principal = await principal_of_sid(realtime.sio, sid)
        if body.n == 403:
            raise Forbidden("not this one", code="no_403")
        if body.n == 500:
            raise RuntimeError("a bug")
        return {"n": body.n, "user_id": principal.user_id}

    @realtime.event("test:quiet", EchoIn)
    async def quiet(sid: str, body: EchoIn) -> None:
        return None


async def test_a_valid_payload_is_answered_with_ok_and_what_the_handler_returned(tmp_path: Path) -> None:
    async with realtime_server(tmp_path) as served, Client(served, user_id=7) as c:
        register_echo(served.realtime)
        assert await c.call("test:echo", {"n": 3}) == {"ok": True, "n": 3, "user_id": 7}
        assert await c.call("test:quiet", {"n": 1}) == {"ok": True}


@pytest.mark.parametrize(
    "args",
    [
        ({"n": "3"},),  # strict int
        ({"n": -1},),
        ({},),
        ("not an object",),
        ({"n": 1}, {"n": 2}),  # two arguments
        (),  # none
    ],
    ids=["string", "negative", "missing", "not-object", "two-args", "no-args"],
)
async def test_a_bad_payload_gets_a_validation_error_reply(tmp_path: Path, args: tuple[Any, ...]) -> None:
    async with realtime_server(tmp_path) as served, Client(served) as c:
        register_echo(served.realtime)
        reply = await c.call("test:echo", *args)
        assert reply["ok"] is False, reply
        assert reply["error"]["code"] == "validation" and reply["error"]["event"] == "test:echo"
        assert reply["error"]["message"]
        assert "error" not in c.events  # with an ack the failure travels in the ack only


async def test_without_an_ack_a_failure_is_an_error_event_to_the_sender_only(tmp_path: Path) -> None:
    async with realtime_server(tmp_path) as served, Client(served) as a, Client(served) as b:
        register_echo(served.realtime)
        await a.sio.emit("test:echo", {"n": "x"})
        err = await a.next_event("error")
        assert err["ok"] is False and err["error"]["code"] == "validation"
        assert err["error"]["event"] == "test:echo"
        # the handler's own error, and an unexpected exception (logged, answered as `internal`)
        await a.sio.emit("test:echo", {"n": 403})
        assert (await a.next_event("error"))["error"] == {
            "code": "no_403", "message": "not this one", "event": "test:echo"
        }  # fmt: skip
        await a.sio.emit("test:echo", {"n": 500})
        assert (await a.next_event("error"))["error"]["code"] == "internal"
        # the same failures with an ack: the reply says it, no event comes
        assert (await a.call("test:echo", {"n": 403}))["error"]["code"] == "no_403"
        assert (await a.call("test:echo", {"n": 500}))["error"]["code"] == "internal"
        # a success without an ack sends nothing back; after it, the first event to arrive is the next error
        await a.sio.emit("test:echo", {"n": 1})
        await a.sio.emit("bogus:event", {})
        assert (await a.next_event("error"))["error"]["code"] == "unknown_event"
        assert not a.events["error"]
        assert (await b.call("test:echo", {"n": 2}))["ok"] is True
        assert "error" not in b.events


async def test_unknown_events_are_refused_with_their_name(tmp_path: Path) -> None:
    async with realtime_server(tmp_path) as served, Client(served) as c:
        reply = await c.call("no:such:event", {"room_id": "r"})
        assert reply["ok"] is False and reply["error"]["code"] == "unknown_event"
        assert reply["error"]["event"] == "no:such:event" and "no:such:event" in reply["error"]["message"]


async def test_the_flood_guard_limits_each_event_of_each_connection(tmp_path: Path) -> None:
    # 3 events per hour: the 4th is refused however slowly the machine runs the test
    async with (
        realtime_server(tmp_path, FloodGuard(3, seconds=3600)) as served,
        Client(served) as a,
        Client(served) as b,
    ):
        register_echo(served.realtime)
        replies = [await a.call("test:echo", {"n": i}) for i in range(4)]
        assert [r["ok"] for r in replies] == [True, True, True, False]
        assert replies[3]["error"]["code"] == "flood" and replies[3]["error"]["event"] == "test:echo"
        # bad payloads count too: flood control comes before validation
        assert (await a.call("test:echo", "junk"))["error"]["code"] == "flood"
        # another event of the same connection, and the same event of another connection, are not affected
        assert (await a.call("test:quiet", {"n": 0}))["ok"] is True
        assert [(await b.call("test:echo", {"n": i}))["ok"] for i in range(3)] == [True] * 3
        # unknown events share one budget and end as `flood` too
        codes = [(await a.call(f"nope:{i}", {}))["error"]["code"] for i in range(4)]
        assert codes == ["unknown_event"] * 3 + ["flood"]


async def test_the_flood_guard_forgets_a_connection_that_ended(tmp_path: Path) -> None:
    async with realtime_server(tmp_path, FloodGuard(3, seconds=3600)) as served:
        register_echo(served.realtime)
        flood = served.realtime.flood
        ended: list[str] = []
        changed = asyncio.Condition()

        @served.realtime.on_disconnect
        async def record(sid: str) -> None:
            async with changed:
                ended.append(sid)
                changed.notify_all()

        async def wait_ended(sid: str) -> None:
            async with changed:
                await asyncio.wait_for(changed.wait_for(lambda: sid in ended), 10)

        async with Client(served) as a, Client(served) as b:
            for i in range(4):
                await a.call("test:echo", {"n": i})
            a_sid, b_sid = a.sid, b.sid
            assert flood.tracked(a_sid) and flood.tracked(b_sid) and len(flood) == 2
            await a.sio.disconnect()
            await wait_ended(a_sid)
            assert not flood.tracked(a_sid) and flood.tracked(b_sid) and len(flood) == 1
        await wait_ended(b_sid)
        assert len(flood) == 0
        # the same user connecting again starts with a fresh budget
        async with Client(served) as again:
            assert (await again.call("test:echo", {"n": 1}))["ok"] is True


async def test_one_token_flooding_over_many_connections_is_limited_per_user(tmp_path: Path) -> None:
    # Issue 20.5: the flood guard counted per connection, so ten connections of one guest token sent ten
    # times the events. Per connection 20 and per user 30 (an hour each: no refill during the test).
    flood = FloodGuard(20, seconds=3600, per_user=30, limits=RateLimits.in_memory())
    async with realtime_server(tmp_path, flood) as served:
        register_echo(served.realtime)
        token = served.tokens.issue(Principal(user_id=1, name="guest"))
        flooders = [Client(served, token=token) for _ in range(10)]
        for c in flooders:
            await c.__aenter__()
        try:
            replies = await asyncio.gather(
                *(c.call("test:echo", {"n": i}) for c in flooders for i in range(20))
            )
            admitted = sum(r["ok"] for r in replies)
            assert 30 <= admitted <= 31, admitted  # not 200: the user's budget, however many connections
            assert {r["error"]["code"] for r in replies if not r["ok"]} == {"flood"}
            # another event of the same user has its own budget; another user is not affected at all
            assert (await flooders[0].call("test:quiet", {"n": 0}))["ok"] is True
            async with Client(served, user_id=2) as other:
                assert [(await other.call("test:echo", {"n": i}))["ok"] for i in range(20)] == [True] * 20
        finally:
            for c in flooders:
                await c.__aexit__()


async def test_connections_beyond_the_caps_are_refused_with_their_reason(tmp_path: Path) -> None:
    caps = ConnectionCaps("Socket.IO", per_user=12, per_token=10)
    async with realtime_server(tmp_path, caps=caps) as served:
        register_echo(served.realtime)
        token = served.tokens.issue(Principal(user_id=1, name="guest"))
        held = [Client(served, token=token) for _ in range(10)]
        for c in held:
            await c.__aenter__()

        async def refusal(client: Client) -> Any:
            refused: list[Any] = []
            client.sio.on("connect_error", refused.append)
            with pytest.raises(socketio.exceptions.ConnectionError):
                await client.__aenter__()
            return refused[0]["data"]

        try:
            error = await refusal(Client(served, token=token))
            assert error["code"] == "too_many_connections" and "token" in error["message"]
            # another token of the same user may open up to the user's cap
            second = served.tokens.issue(Principal(user_id=1, name="guest in another tab"))
            more = [await Client(served, token=second).__aenter__() for _ in range(2)]
            assert (await refusal(Client(served, token=second)))["code"] == "too_many_connections"
            # a second user is unaffected, and every held connection still works
            async with Client(served, user_id=2) as other:
                assert (await other.call("test:echo", {"n": 1}))["ok"] is True
            assert [(await c.call("test:echo", {"n": 2}))["ok"] for c in held + more] == [True] * 12
            # a closed connection frees its place
            await held.pop().sio.disconnect()
            for _ in range(100):
                if caps.of_user(1) < 12:
                    break
                await asyncio.sleep(0.05)
            held.append(await Client(served, token=token).__aenter__())
            held.extend(more)
        finally:
            for c in held:
                await c.__aexit__()
        for _ in range(100):
            if not len(caps):
                break
            await asyncio.sleep(0.05)
        assert len(caps) == 0  # nothing kept of connections that ended


async def test_every_disconnect_hook_runs_whatever_the_order_and_failures(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with realtime_server(tmp_path) as served:
        realtime = served.realtime
        ran: list[tuple[str, str]] = []
        second_ran = asyncio.Event()

        @realtime.on_disconnect
        async def first(sid: str) -> None:
            # registered first, yet it may wait for a later hook: the hooks run together, not chained
            await asyncio.wait_for(second_ran.wait(), 10)
            ran.append(("first", sid))

        @realtime.on_disconnect
        async def broken(sid: str) -> None:
            raise RuntimeError("hook bug")

        @realtime.on_disconnect
        async def second(sid: str) -> None:
            ran.append(("second", sid))
            second_ran.set()

        async with Client(served) as c:
            sid = c.sid
        with caplog.at_level(logging.ERROR, logger="server.realtime"):
            for _ in range(200):
                if len(ran) == 2:
                    break
                await asyncio.sleep(0.05)
        assert ran == [("second", sid), ("first", sid)]
        assert any("broken" in r.getMessage() and sid in r.getMessage() for r in caplog.records)


async def test_an_event_is_registered_once_and_reserved_names_are_refused(tmp_path: Path) -> None:
    async with realtime_server(tmp_path) as served:
        register_echo(served.realtime)
        for name in ("test:echo", "connect", "disconnect", "error", "*"):
            with pytest.raises(ValueError, match="reserved or already registered"):
                served.realtime.event(name, EchoIn)


async def test_a_bad_token_is_refused_at_connect(tmp_path: Path) -> None:
    async with realtime_server(tmp_path) as served:
        c = socketio.AsyncClient(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await c.connect(served.url, auth={"token": "nope"}, transports=["websocket"], wait_timeout=10)
        assert len(served.realtime.flood) == 0


def test_channel_names() -> None:
    assert channel("room", "abc") == "room:abc"
    assert channel("room", "abc", "mod") == "room:abc:mod"
    for bad in (("room", ""), ("room", "a:b"), ("",)):
        with pytest.raises(ValueError):
            channel(*bad)


async def test_every_event_logs_under_the_request_id_of_the_connection(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Request ids reach Socket.IO handlers: each event runs in its own task, with the id of the HTTP request
    (here the WebSocket upgrade) that carried the connect — the id the access log writes for that request."""
    caplog.set_level(logging.INFO, logger="moke.access")
    async with running_server(make_settings(tmp_path / "var")) as srv:
        served = Served(srv.url, srv.ctx.realtime, srv.ctx.tokens)

        @served.realtime.event("test:request_id", EchoIn)
        async def which(sid: str, body: EchoIn) -> Reply:
            return {"request_id": request_id.get()}

        async with Client(served, user_id=1) as a, Client(served, user_id=2) as b:
            first = (await a.call("test:request_id", {"n": 1}))["request_id"]
            again = (await a.call("test:request_id", {"n": 2}))["request_id"]
            other = (await b.call("test:request_id", {"n": 1}))["request_id"]
        assert first == again and len(first) == 16 and other not in (first, "-")
        for _ in range(100):  # the upgrade request's access line is written when its WebSocket closes
            lines = [
                r for r in caplog.records if r.name == "moke.access" and r.__dict__["path"] == "/socket.io/"
            ]
            if len(lines) == 2:
                break
            await asyncio.sleep(0.05)
        assert {r.__dict__["request_id"] for r in lines} == {first, other}
        assert all(r.__dict__["status"] == 101 for r in lines)
