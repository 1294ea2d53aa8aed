"""Loud failures when a python-socketio upgrade moves an internal that server/socketio_hooks.py relies on;
and broadcasts through the DirectEmit managers: each member of the room once, the skipped and the outsiders
never; several arguments; acks still work. In-process and with the Redis manager."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
from collections import defaultdict
from importlib.metadata import version
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio
from engineio.async_drivers import aiohttp as eio_aiohttp
from engineio.async_socket import AsyncSocket
from socketio.async_pubsub_manager import AsyncPubSubManager

from server import socketio_hooks
from server.realtime import create_sio
from server.socketio_hooks import AckAwareServer, DirectEmit, PlainWebSocket, QuickCheckPacket, RedisManager
from tests.support.api import Api
from tests.support.server import make_settings, running_server
from tests.support.services import require_redis, unique_prefix


def params(fn: object) -> list[str]:
    return list(inspect.signature(fn).parameters)  # type: ignore[arg-type]


def test_pinned_version() -> None:
    assert version("python-socketio").startswith("5.18."), "re-check server/socketio_hooks.py against it"


# python-engineio 4.15.1's AsyncSocket.poll, which hook 6 replaces with a copy that waits without a task
POLL_SHA256 = "826f58a9f3606db208e5d1266f075ad655b6eeda47b0a5616748624899ca5954"
# python-socketio 5.18.1's Packet.data_is_binary, which hook 7 answers for with a loop
DATA_IS_BINARY_SHA256 = "464dded7ae952a646d637b6502757918dc9785e94d7c92f18b23000ad0c56f99"


def test_the_private_names_the_hooks_use_are_there() -> None:
    # 6. the poll without a task: the copy stands for this very method, given to each socket on connect
    source = inspect.getsource(AsyncSocket.poll)
    assert hashlib.sha256(source.encode()).hexdigest() == POLL_SHA256, (
        "python-engineio changed AsyncSocket.poll: bring server/socketio_hooks.poll in line, then the hash"
    )
    assert params(AsyncSocket.poll) == params(socketio_hooks.poll) == ["self"]
    assert params(socketio.AsyncServer._handle_eio_connect) == ["self", "eio_sid", "environ"]
    assert "self.poll()" in inspect.getsource(AsyncSocket._websocket_handler)
    # 7. the binary check: the method it overrides, called by Packet.__init__, and the server built with it
    source = inspect.getsource(socketio.packet.Packet.data_is_binary)
    assert hashlib.sha256(source.encode()).hexdigest() == DATA_IS_BINARY_SHA256, (
        "python-socketio changed Packet.data_is_binary: bring QuickCheckPacket in line, then the hash"
    )
    assert "self.data_is_binary(" in inspect.getsource(socketio.packet.Packet.__init__)
    assert create_sio(make_settings(Path("var"))).packet_class is QuickCheckPacket
    # 8. the WebSocket without compression: the driver's class it copies, found in the driver table
    call = inspect.getsource(eio_aiohttp.WebSocket.__call__)
    assert "WebSocketResponse(\n            max_msg_size=self.server.max_http_buffer_size)" in call, call
    assert eio_aiohttp._async["websocket"] is eio_aiohttp.WebSocket
    assert "self.server._async['websocket'](" in inspect.getsource(AsyncSocket._upgrade_websocket)
    assert create_sio(make_settings(Path("var"))).eio._async["websocket"] is PlainWebSocket


async def test_a_browser_offering_permessage_deflate_gets_plain_websocket_frames(tmp_path: Path) -> None:
    async with (
        running_server(make_settings(tmp_path / "var")) as server,
        aiohttp.ClientSession() as http,
    ):
        token = (await Api(http, server.url).register())["token"]
        url = server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
        async with http.ws_connect(url, compress=15) as ws:  # as every browser offers it
            assert (await ws.receive_str()).startswith("0{")  # Engine.IO open
            await ws.send_str("40" + json.dumps({"token": token}))
            assert (await ws.receive_str()).startswith("40{")  # Socket.IO connect
            assert ws.compress == 0  # the server did not take the offer


LINE = {"user_id": 1, "name": "胡", "mic": False, "venue_id": None, "at": 1.5}
PAYLOADS = [
    None, "text", 3, [], {}, [LINE] * 3, {"state": {"online": [LINE, dict(LINE)], "chat": {"more": False}}},
    b"raw", bytearray(b"x"), [LINE, {"deep": [[{"clip": b"ogg"}]]}], {"a": {"b": bytearray(2)}},
    (b"in a tuple",), {b"key": 1}, [{"t": (1, b"x")}],
]  # fmt: skip


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_quick_binary_check_answers_as_the_librarys(payload: Any) -> None:
    assert QuickCheckPacket.data_is_binary(payload) == socketio.packet.Packet.data_is_binary(payload)
    assert encoded(QuickCheckPacket, payload) == encoded(socketio.packet.Packet, payload)


def encoded(cls: type[socketio.packet.Packet], payload: Any) -> object:
    try:
        return cls(socketio.packet.ACK, data=[payload], id=1).encode()
    except TypeError as exc:  # bytes where no attachment can be made (a tuple, a key): both refuse alike
        return str(exc)
    # 5. closing at shutdown: a None on a socket's queue makes poll() return no packets, and the WebSocket
    # writer closes the WebSocket on an empty packet list
    assert version("python-engineio").startswith("4.15."), "re-check server/socketio_hooks.py, hook 5"
    assert "if packets == [None]:\n            return []" in inspect.getsource(AsyncSocket.poll)
    ws_source = inspect.getsource(AsyncSocket._websocket_handler)
    assert "if not packets:" in ws_source and "await ws.close()" in ws_source
    assert params(AsyncSocket.close) == ["self", "wait", "abort", "reason"]
    # 4. the resubscribe: the overridden listener and what it uses
    assert inspect.isasyncgenfunction(socketio.AsyncRedisManager._redis_listen_with_retries)
    assert "_redis_listen_with_retries()" in inspect.getsource(socketio.AsyncRedisManager._listen)
    assert "self.pubsub =" in inspect.getsource(socketio.AsyncRedisManager._redis_connect)
    # 1. the ack flag: the override is called with the ack id, and still named and shaped as overridden
    assert params(socketio.AsyncServer._handle_event_internal) == [
        "self", "server", "sid", "eio_sid", "data", "namespace", "id"
    ]  # fmt: skip
    assert params(AckAwareServer._handle_event_internal) == params(
        socketio.AsyncServer._handle_event_internal
    )
    assert "_handle_event_internal" in inspect.getsource(socketio.AsyncServer._handle_event)
    # 2. the direct broadcast: the manager's emit, the raw send, the packet class, the participants
    assert params(socketio.AsyncManager.emit)[:8] == [
        "self", "event", "data", "namespace", "room", "skip_sid", "callback", "to"
    ]  # fmt: skip
    assert params(socketio.AsyncServer._send_eio_packet) == ["self", "eio_sid", "eio_pkt"]
    assert inspect.iscoroutinefunction(socketio.AsyncServer._send_eio_packet)
    assert params(socketio.AsyncManager.get_participants) == ["self", "namespace", "room"]
    sio = socketio.AsyncServer(async_mode="aiohttp")
    assert sio.packet_class is socketio.packet.Packet
    assert isinstance(sio.manager.rooms, dict)
    # 3. under Redis, messages from other processes are delivered through super().emit: DirectEmit's
    assert "super().emit(" in inspect.getsource(AsyncPubSubManager._handle_emit)
    mro = RedisManager.__mro__
    assert mro.index(AsyncPubSubManager) < mro.index(DirectEmit) < mro.index(socketio.AsyncManager)


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
            socks = list(sio.eio.sockets.values())
            assert len(socks) == 4 and all(s.poll.__func__ is socketio_hooks.poll for s in socks)  # hook 6
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
