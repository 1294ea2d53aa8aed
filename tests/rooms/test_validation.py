"""Bad input and abuse over Socket.IO: every payload validated, clear errors, nobody else affected."""

from __future__ import annotations

import asyncio

import pytest
import socketio

from tests.support.api import Api
from tests.support.rooms import Client, cid, create_room, member
from tests.support.server import RunningServer


async def test_bad_payloads_unknown_events_and_flooding(api: Api, server: RunningServer) -> None:
    host = await api.register()
    rid = (await create_room(api, host["token"]))["id"]
    other = (await create_room(api, host["token"]))["id"]
    bad_user = await member(api, host["token"], rid, "observer")
    h = await Client(server.url, host["token"]).connect()
    b = await Client(server.url, bad_user["token"]).connect()
    try:
        await h.join(rid)
        await b.join(rid)
        cases = [
            ("room:join", "not an object", "validation"),
            ("room:join", {}, "validation"),
            ("room:join", {"room_id": 42}, "validation"),
            ("room:join", {"room_id": "x" * 500}, "validation"),
            ("room:join", {"room_id": "../../etc"}, "validation"),
            ("room:join", {"room_id": "nosuchroom"}, "room_not_found"),
            ("room:join", {"room_id": other}, "not_member"),
            ("chat:send", {"room_id": rid, "client_id": cid(), "text": ""}, "validation"),
            ("chat:send", {"room_id": rid, "client_id": cid(), "text": "   "}, "validation"),
            ("chat:send", {"room_id": rid, "client_id": "has space", "text": "hi"}, "validation"),
            ("chat:send", {"room_id": rid, "client_id": cid(), "text": "hi", "admin": True}, "validation"),
            ("chat:send", {"room_id": other, "client_id": cid(), "text": "hi"}, "not_joined"),
            ("chat:delete", {"room_id": rid, "message_id": "1"}, "validation"),
            ("presence:update", {"room_id": rid, "mic": "yes"}, "validation"),
            ("seat:grant", {"room_id": rid, "user_id": -1}, "validation"),
            ("seat:grant", {"room_id": rid, "user_id": host["user"]["id"]}, "forbidden"),
            ("no:such:event", {"room_id": rid}, "unknown_event"),
        ]
        for event, payload, code in cases:
            reply = await b.call(event, payload)
            assert reply["ok"] is False and reply["error"]["code"] == code, (event, payload, reply)
            assert reply["error"]["message"]
        # without an ack the error comes back as an `error` event, to the sender only
        await b.emit("chat:send", {"room_id": rid})
        err = await b.wait_for("error", lambda e: e["error"]["event"] == "chat:send")
        assert err["ok"] is False and err["error"]["code"] == "validation"
        await b.emit("bogus", 1)
        await b.wait_for("error", lambda e: e["error"]["code"] == "unknown_event")
        # flooding one event is cut off; the room still works for everyone else. The calls go out
        # together (not one per round trip) so a slow machine cannot spread them below the 20/s guard.
        replies = await asyncio.gather(*(b.call("hand:raise", {"room_id": rid}) for _ in range(60)))
        assert any(r["ok"] is False and r["error"]["code"] == "flood" for r in replies)
        ok = await h.call("chat:send", {"room_id": rid, "client_id": cid(), "text": "大家好"})
        assert ok["ok"]
        await b.wait_for("chat:message", lambda m: m["text"] == "大家好")
        assert "error" not in h.events
    finally:
        await h.close()
        await b.close()


async def test_bad_token_is_refused_at_connect(server: RunningServer) -> None:
    c = Client(server.url, "not-a-token")
    with pytest.raises(socketio.exceptions.ConnectionError, match="failed to connect"):
        await c.connect()
    assert not c.sio.connected
