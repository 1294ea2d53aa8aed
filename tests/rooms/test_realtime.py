"""Socket.IO: join with room state, presence, validation and unknown events, joined_role."""

from __future__ import annotations

import pytest

from rooms.api import SHARED
from rooms.permissions import Role
from rooms.realtime import joined_role
from rooms.shared import MemoryShared
from server.cluster import MemoryCluster
from server.errors import Forbidden
from tests.support.api import Api
from tests.support.rooms import Client, create_room, guest, invite, member
from tests.support.server import RunningServer


async def test_guest_joins_by_code_and_sees_state_and_presence(api: Api, server: RunningServer) -> None:
    host = await api.register(display_name="李主持")
    room = await create_room(api, host["token"])
    rid = room["id"]
    _, venue = await api.call("POST", f"/api/rooms/{rid}/venues", token=host["token"], json={"name": "一小"})
    inv = await invite(api, host["token"], rid, role="observer", max_uses=5)
    g = await guest(api, inv["code"].lower(), name="王老师")
    assert g["room_id"] == rid and g["role"] == "observer"
    h = await Client(server.url, host["token"]).connect()
    o = await Client(server.url, g["token"]).connect()
    try:
        await h.join(rid)
        hid, gid = host["user"]["id"], g["user"]["id"]
        await h.wait_for("presence:delta", lambda d: [u["user_id"] for u in d["changed"]] == [hid])
        state = await o.join(rid)
        assert state["room"]["id"] == rid and state["me"]["role"] == "observer"
        assert state["me"]["is_guest"] and [v["name"] for v in state["venues"]] == ["一小"]
        assert {m["display_name"] for m in state["members"]} == {"李主持", "王老师"}
        assert state["floor"] == {"room_id": rid, "seats": [], "hands": [], "limit": 9}
        mode = {"slow_seconds": 0, "moderated": False}
        assert state["chat"] == {"messages": [], "more": False, "mode": mode} and state["program"] is None
        assert state["agenda"] == []
        assert [u["name"] for u in state["online"]] == ["李主持", "王老师"]  # the full list on joining
        seen = await h.wait_online(rid, lambda on: len(on) == 2)  # the host learns by a delta
        assert {u["name"] for u in seen.values()} == {"李主持", "王老师"}
        # a delta carries only what changed (the guest's line), not the whole list
        delta = await h.wait_for("presence:delta", lambda d: gid in {u["user_id"] for u in d["changed"]})
        assert [u["user_id"] for u in delta["changed"]] == [gid] and delta["left"] == []
        # presence updates: venue (camera needs a seat, see test_floor)
        reply = await o.call("presence:update", {"room_id": rid, "venue_id": "nope"})
        assert reply["ok"] is False and reply["error"]["code"] == "venue_not_found"
        reply = await o.call("presence:update", {"room_id": rid, "venue_id": venue["id"]})
        assert reply == {"ok": True}
        await h.wait_online(rid, lambda on: on.get(gid, {}).get("venue_id") == venue["id"])
        role = await joined_role(server.ctx.sio, h.sio.get_sid(), rid)
        assert role == Role.HOST
        with pytest.raises(Forbidden):
            await joined_role(server.ctx.sio, h.sio.get_sid(), "elsewhere")
        await o.close()
        left = await h.wait_for("presence:delta", lambda d: d["left"] == [gid])
        assert left["changed"] == [] and list(h.online(rid)) == [hid]
    finally:
        await h.close()
        await o.close()


async def test_guest_token_opens_only_its_room(api: Api, server: RunningServer) -> None:
    host = await api.register()
    rid = (await create_room(api, host["token"]))["id"]
    other = (await create_room(api, host["token"]))["id"]
    g = await guest(api, (await invite(api, host["token"], rid))["code"])
    c = await Client(server.url, g["token"]).connect()
    try:
        reply = await c.call("room:join", {"room_id": other})
        assert reply["ok"] is False and reply["error"]["code"] == "wrong_room"
        status, _err = await api.call("GET", f"/api/rooms/{other}", token=g["token"])
        assert status == 403
    finally:
        await c.close()


async def test_role_change_reaches_live_connections(api: Api, server: RunningServer) -> None:
    host = await api.register()
    rid = (await create_room(api, host["token"]))["id"]
    mod = await member(api, host["token"], rid, "moderator")
    c = await Client(server.url, mod["token"]).connect()
    try:
        await c.join(rid)
        sid = c.sio.get_sid()
        sio = server.ctx.sio
        assert f"room:{rid}:mod" in sio.rooms(sid)
        status, _ = await api.call("PATCH", f"/api/rooms/{rid}/members/{mod['user']['id']}", token=host["token"],
                                   json={"role": "observer"})  # fmt: skip
        assert status == 200
        updated = await c.wait_for("member:updated")
        assert updated["member"]["role"] == "observer"
        await c.wait_online(rid, lambda o: o.get(mod["user"]["id"], {}).get("role") == "observer")
        assert await joined_role(sio, sid, rid) == Role.OBSERVER
        assert f"room:{rid}:mod" not in sio.rooms(sid)
        r = await c.call("seat:grant", {"room_id": rid, "user_id": mod["user"]["id"]})
        assert r["error"]["code"] == "forbidden"
    finally:
        await c.close()


async def test_a_stalled_process_restores_its_swept_connections(api: Api, server: RunningServer) -> None:
    host = await api.register()
    rid = (await create_room(api, host["token"]))["id"]
    c = await Client(server.url, host["token"]).connect()
    try:
        await c.join(rid)
        shared = server.app[SHARED]
        assert isinstance(shared, MemoryShared)
        cluster = server.ctx.cluster
        assert isinstance(cluster, MemoryCluster)
        cluster.network.nodes[cluster.node_id] = 0.0  # as if our heartbeat had lapsed during a stall
        swept = await shared.sweep(cluster.alive)  # another process would now remove us as ghosts
        assert [e["user_id"] for e in swept[rid]] == [host["user"]["id"]]
        c.forget("presence:delta")
        back = await c.wait_for(
            "presence:delta", lambda d: [u["user_id"] for u in d["changed"]] == [host["user"]["id"]]
        )
        assert back["changed"][0]["mic"] is False
        assert [e["user_id"] for e in (await shared.presence(rid)).values()] == [host["user"]["id"]]
    finally:
        await c.close()
