"""The WebSocket endpoint at protocol level (aiohttp client): access, read-only, limits, bad input."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
import pycrdt
import pytest

from collab.api import CONNECTIONS, LIVE_DOCS
from collab.protocol import (
    AwarenessEntry,
    AwarenessMessage,
    PermissionDenied,
    QueryAwareness,
    SyncStep1,
    SyncStep2,
    SyncUpdate,
    decode_awareness_update,
    encode_awareness_update,
)
from rooms.permissions import Role
from tests.support.api import Api, add_member, make_room
from tests.support.collab import (
    closed_with,
    handshake,
    make_doc,
    receive,
    room_with_doc,
    text_of,
    text_update,
)
from tests.support.server import RunningServer, make_settings, running_server


async def test_token_required_and_room_scoped(api: Api, server: RunningServer) -> None:
    s = await room_with_doc(api, server.ctx.db)
    other = await room_with_doc(api, server.ctx.db)
    async with aiohttp.ClientSession() as http:
        for query, status in [("", 401), ("?token=garbage", 401), (f"?token={other.host}", 403),
                              (f"?token={s.host}", 101)]:  # fmt: skip
            url = f"{server.ws_url}/collab/{s.doc_id}{query}"
            if status == 101:
                async with http.ws_connect(url) as ws:
                    await handshake(ws)
                continue
            with pytest.raises(aiohttp.WSServerHandshakeError) as err:
                await http.ws_connect(url)
            assert err.value.status == status
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            await http.ws_connect(f"{server.ws_url}/collab/nosuchdoc?token={s.host}")
        assert err.value.status == 404
        # the Authorization header works too
        async with http.ws_connect(
            f"{server.ws_url}/collab/{s.doc_id}", headers={"Authorization": f"Bearer {s.editor}"}
        ) as ws:
            await handshake(ws)


async def test_observer_is_read_only(api: Api, server: RunningServer) -> None:
    s = await room_with_doc(api, server.ctx.db)
    url = f"{server.ws_url}/collab/{s.doc_id}?token="
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(url + s.editor) as editor, http.ws_connect(url + s.observer) as observer:
            await handshake(editor)
            seen = await handshake(observer)
            assert any(isinstance(m, PermissionDenied) for m in seen)
            await observer.send_bytes(bytes(SyncUpdate(text_update("观课者的改动"))))
            denied = await receive(observer)
            assert isinstance(denied[0], PermissionDenied) and "read-only" in denied[0].reason
            await editor.send_bytes(bytes(SyncUpdate(text_update("教学目标"))))
            got = await receive(observer)  # the editor's edit reaches the observer, nothing else does
            assert isinstance(got[0], SyncUpdate) and text_of(got[0].update) == "教学目标"
    state = await server.app[LIVE_DOCS].state(s.doc_id)
    assert text_of(state) == "教学目标"


async def test_updates_are_stored_before_relay_and_grouped(api: Api, server: RunningServer) -> None:
    s = await room_with_doc(api, server.ctx.db)
    url = f"{server.ws_url}/collab/{s.doc_id}?token="
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(url + s.host) as a, http.ws_connect(url + s.editor) as b:
            await handshake(a)
            await handshake(b)
            base = b""
            frames = []
            for word in ["一", "二", "三", "四"]:
                u = text_update(word, base or None)
                base = pycrdt.merge_updates(base, u) if base else u
                frames.append(bytes(SyncUpdate(u)))
            await a.send_bytes(b"".join(frames))  # one frame, four messages
            [msg] = await receive(b)  # relayed merged, as one message
            assert isinstance(msg, SyncUpdate) and text_of(msg.update) == "一二三四"
    store = server.app[LIVE_DOCS]
    assert text_of(await store.state(s.doc_id)) == "一二三四"
    from collab.api import SESSIONS

    manager = server.app[SESSIONS]
    assert await manager.store.log_length(s.doc_id) == 4


async def test_awareness_relayed_and_cleared_on_leave(api: Api, server: RunningServer) -> None:
    s = await room_with_doc(api, server.ctx.db)
    url = f"{server.ws_url}/collab/{s.doc_id}?token="
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(url + s.host) as a:
            await handshake(a)
            async with http.ws_connect(url + s.editor) as b:
                await handshake(b)
                await b.send_bytes(
                    bytes(
                        AwarenessMessage(
                            encode_awareness_update([AwarenessEntry(77, 1, '{"user":{"name":"乙"}}')])
                        )
                    )
                )
                [aw] = await receive(a)
                assert isinstance(aw, AwarenessMessage)
            [gone] = await receive(a)
            assert isinstance(gone, AwarenessMessage)
            assert gone.update == encode_awareness_update([AwarenessEntry(77, 1, "null")])


@pytest.mark.parametrize(
    ("payload", "code", "reason"),
    [
        (b"\x00\x00\x05ab", 4400, "malformed_message"),
        (b"\x09", 4400, "malformed_message"),
        (bytes(SyncUpdate(b"\x01\x02\x03garbage")), 4400, "malformed_update"),
        (
            bytes(AwarenessMessage(encode_awareness_update([AwarenessEntry(1, 1, "{not json")]))),
            4400,
            "malformed",
        ),
        (b"\x03" * 5000, 1009, "message_too_large"),
    ],
)
async def test_bad_input_closes_only_that_connection(
    api: Api, server: RunningServer, payload: bytes, code: int, reason: str
) -> None:
    s = await room_with_doc(api, server.ctx.db)
    url = f"{server.ws_url}/collab/{s.doc_id}?token="
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(url + s.host) as good, http.ws_connect(url + s.editor) as bad:
            await handshake(good)
            await handshake(bad)
            await good.send_bytes(bytes(SyncUpdate(text_update("完好"))))
            await receive(bad)
            await bad.send_bytes(payload)
            got_code, got_reason = await closed_with(bad)
            assert got_code == code and reason in got_reason
            await good.send_bytes(bytes(SyncStep1(b"\x00")))
            [step2] = await receive(good)
            assert isinstance(step2, SyncStep2) and text_of(step2.update) == "完好"
    assert text_of(await server.app[LIVE_DOCS].state(s.doc_id)) == "完好"


@pytest.fixture
def settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    return make_settings(
        tmp_path / "var", collab_max_message_bytes=4096, collab_rate_messages=50, collab_max_doc_bytes=2000
    )


async def test_rate_limit_and_document_size(api: Api, server: RunningServer) -> None:
    s = await room_with_doc(api, server.ctx.db)
    url = f"{server.ws_url}/collab/{s.doc_id}?token="
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(url + s.host) as ws:
            await handshake(ws)
            for _ in range(60):
                await ws.send_bytes(b"\x03")
            assert await closed_with(ws) == (4429, "rate_limited: more than 50 messages per second")
        async with http.ws_connect(url + s.host) as ws:
            await handshake(ws)
            await ws.send_bytes(bytes(SyncUpdate(text_update("长" * 1000))))
            code, reason = await closed_with(ws)
            assert code == 1009 and "doc_too_large" in reason


async def test_ten_simultaneous_openers_of_a_new_document(api: Api, server: RunningServer) -> None:
    s = await room_with_doc(api, server.ctx.db)
    url = f"{server.ws_url}/collab/{s.doc_id}?token={s.host}"
    async with aiohttp.ClientSession() as http:

        async def open_and_sync() -> None:
            async with http.ws_connect(url) as ws:
                await asyncio.wait_for(handshake(ws), 2)

        await asyncio.gather(*(open_and_sync() for _ in range(10)))


async def test_role_change_closes_that_members_connections(api: Api, server: RunningServer) -> None:
    """Access is decided at connect: when the host demotes an editor, the server closes that member's open
    connections (4409 ``role_changed``) and the reconnect is read-only; other people stay connected."""
    db = server.ctx.db
    host, editor = await api.register(), await api.register()
    room_id = await make_room(db, host["user"]["id"])
    await add_member(db, room_id, editor["user"]["id"], Role.EDITOR)
    doc_id = await make_doc(db, room_id, host["user"]["id"])
    url = f"{server.ws_url}/collab/{doc_id}?token="
    async with aiohttp.ClientSession() as http:
        async with (
            http.ws_connect(url + editor["token"]) as ed,
            http.ws_connect(url + host["token"]) as other,
        ):
            await handshake(ed)
            await handshake(other)
            status, body = await api.call(
                "PATCH", f"/api/rooms/{room_id}/members/{editor['user']['id']}", token=host["token"],
                json={"role": "observer"},
            )  # fmt: skip
            assert status == 200, body
            code, reason = await closed_with(ed)
            assert code == 4409 and reason.startswith("role_changed"), (code, reason)
            assert not other.closed  # the host's connection is untouched
        async with http.ws_connect(url + editor["token"]) as again:
            seen = await handshake(again)
            assert any(isinstance(m, PermissionDenied) for m in seen)  # read-only now


async def test_hostile_and_oversized_awareness_never_reaches_other_peers(
    api: Api, server: RunningServer
) -> None:
    s = await room_with_doc(api, server.ctx.db)
    url = f"{server.ws_url}/collab/{s.doc_id}?token="

    def aw(client_id: int, state: str) -> bytes:
        return bytes(AwarenessMessage(encode_awareness_update([AwarenessEntry(client_id, 1, state)])))

    hostile = '{"user":{"name":"乙","color":"red;background-image:url(http://evil.example/x)"}}'
    huge = json.dumps({"user": {"name": "丙", "color": "#abc"}, "pad": "x" * 3_000})
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(url + s.host) as a, http.ws_connect(url + s.observer) as b:
            await handshake(a)
            await handshake(b)  # the observer is read-only; its awareness is still relayed
            await b.send_bytes(aw(5, hostile))
            [got] = await receive(a)
            assert isinstance(got, AwarenessMessage)
            [entry] = decode_awareness_update(got.update)
            assert json.loads(entry.state) == {"user": {"name": "乙"}}  # the colour is gone, the name kept
            assert b"background-image" not in got.update
            await b.send_bytes(aw(6, huge))
            await b.send_bytes(aw(7, '{"user":{"name":"丁","color":"#1a2b3c"}}'))
            [got] = await receive(a)  # the next thing the host sees is the normal state, not the huge one
            assert isinstance(got, AwarenessMessage)
            assert [(e.client_id, e.state) for e in decode_awareness_update(got.update)] == [
                (7, '{"user":{"name":"丁","color":"#1a2b3c"}}')
            ]
            await a.send_bytes(bytes(QueryAwareness()))
            [everyone] = await receive(a)
            assert isinstance(everyone, AwarenessMessage)
            assert sorted(e.client_id for e in decode_awareness_update(everyone.update)) == [5, 7]


async def test_one_token_and_one_user_may_hold_only_so_many_connections(tmp_path: Path) -> None:
    # Issue 20.5: one guest token could open 300 collab connections.
    settings = make_settings(tmp_path / "caps", conn_per_token=3, conn_per_user=4)
    async with running_server(settings) as srv, aiohttp.ClientSession() as http:
        api = Api(http, srv.url)
        s = await room_with_doc(api, srv.ctx.db)
        url = f"{srv.ws_url}/collab/{s.doc_id}?token="
        held = [await http.ws_connect(url + s.host) for _ in range(3)]
        for ws in held:
            await handshake(ws)
        async with http.ws_connect(url + s.host) as refused:
            code, reason = await closed_with(refused)
            assert code == 4429 and reason.startswith("too_many_connections") and "token" in reason
        # the same user with another token, up to the user's cap
        me = (await api.call("GET", "/api/auth/me", token=s.host))[1]
        status, login = await api.call(
            "POST", "/api/auth/login", json={"username": me["username"], "password": "correct horse battery"}
        )
        assert status == 200 and login["token"] != s.host
        held.append(await http.ws_connect(url + login["token"]))
        await handshake(held[-1])
        async with http.ws_connect(url + login["token"]) as refused:
            code, reason = await closed_with(refused)
            assert code == 4429 and "account" in reason
        # another user is unaffected; a closed connection frees its place
        async with http.ws_connect(url + s.editor) as other:
            await handshake(other)
        await held.pop(0).close()
        for _ in range(100):
            if srv.app[CONNECTIONS].of_user(me["id"]) < 4:
                break
            await asyncio.sleep(0.05)
        held.append(await http.ws_connect(url + s.host))
        await handshake(held[-1])
        for ws in held:
            await ws.close()


async def test_a_stopping_server_closes_every_collab_connection_for_a_reconnect(tmp_path: Path) -> None:
    # An open y-websocket connection held the stop for the whole shutdown timeout; now each client hears
    # 1013 (try again later) at once, and y-websocket reconnects by itself.
    settings = make_settings(tmp_path / "stop")
    async with aiohttp.ClientSession() as http:
        async with running_server(settings) as srv:
            api = Api(http, srv.url)
            s = await room_with_doc(api, srv.ctx.db)
            url = f"{srv.ws_url}/collab/{s.doc_id}?token="
            editors = [await http.ws_connect(url + token) for token in (s.host, s.editor)]
            for ws in editors:
                await handshake(ws)
        for ws in editors:
            msg = await ws.receive(5)
            while msg.type == aiohttp.WSMsgType.BINARY:  # what was relayed before the stop
                msg = await ws.receive(5)
            # the close frame's own code (the client's reply may find the socket gone already: 1006 after)
            assert msg.type == aiohttp.WSMsgType.CLOSE, msg
            assert msg.data == 1013 and str(msg.extra).startswith("server_restart"), msg
