"""A studio's members in its rooms (studios/access.py, the rooms default-role hook): they reach the rooms
without per-room invites on every path (REST, Socket.IO, the collab websocket, media REST), a room may
override the default, and leaving the studio takes the access away, live connections included."""

from __future__ import annotations

import time

import aiohttp
import pytest

from tests.support.api import Api
from tests.support.collab import handshake
from tests.support.rooms import Client, create_room, guest, invite
from tests.support.server import RunningServer
from tests.support.studios import studio_of, studio_room, teacher


async def _doc(api: Api, token: str, room_id: str) -> str:
    status, doc = await api.call("POST", f"/api/rooms/{room_id}/docs", token=token, json={"title": "教案"})
    assert status == 201, doc
    return str(doc["id"])


async def test_members_reach_studio_rooms_by_their_studio_role(
    studio_server: RunningServer, studio_api: Api
) -> None:
    api = studio_api
    studio = await studio_of(studio_server, api, core=1, participants=2)
    room = (await studio_room(api, studio.host.token, studio.id, kind="trial"))["room"]
    rid = room["id"]
    core, first, second = studio.core[0], *studio.participants
    for who, role in [(studio.host, "host"), (core, "editor"), (first, "observer")]:
        status, got = await api.call("GET", f"/api/rooms/{rid}", token=who.token)
        assert status == 200 and got["my_role"] == role, got
    # the permission table decides as for any member: an observer may not create documents
    doc_id = await _doc(api, core.token, rid)
    status, err = await api.call("POST", f"/api/rooms/{rid}/docs", token=first.token, json={"title": "x"})
    assert status == 403 and err["error"]["details"]["action"] == "doc.create", err
    status, _ = await api.call("GET", f"/api/rooms/{rid}/recordings", token=first.token)  # media REST
    assert status == 200
    # Socket.IO: joined with the default role
    client = await Client(studio_server.url, first.token).connect()
    try:
        state = await client.join(rid)
        assert state["me"]["role"] == "observer", state["me"]
        # the collab websocket opens (read-only for an observer)
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(f"{studio_server.ws_url}/collab/{doc_id}?token={first.token}") as ws:
                await handshake(ws)
        # a stranger is refused on every path with a clear error
        stranger = await teacher(studio_server, "陌生人")
        status, err = await api.call("GET", f"/api/rooms/{rid}", token=stranger.token)
        assert status == 403 and err["error"]["code"] == "not_member"
        outsider = await Client(studio_server.url, stranger.token).connect()
        try:
            reply = await outsider.call("room:join", {"room_id": rid})
            assert not reply["ok"] and reply["error"]["code"] == "not_member", reply
        finally:
            await outsider.close()
        async with aiohttp.ClientSession() as http:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(f"{studio_server.ws_url}/collab/{doc_id}?token={stranger.token}")
            assert refused.value.status == 403
        # leaving the studio takes the room away: the live connection is removed, the next requests refused
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(f"{studio_server.ws_url}/collab/{doc_id}?token={first.token}") as ws:
                await handshake(ws)
                status, _ = await api.call("POST", f"/api/studios/{studio.id}/leave", token=first.token)
                assert status == 204
                await client.wait_for("room:removed", lambda d: d["room_id"] == rid)
                closed = await ws.receive(timeout=10)
                while closed.type == aiohttp.WSMsgType.BINARY:
                    closed = await ws.receive(timeout=10)
                assert closed.type in (
                    aiohttp.WSMsgType.CLOSE,
                    aiohttp.WSMsgType.CLOSED,
                    aiohttp.WSMsgType.CLOSING,
                )
        reply = await client.call("chat:send", {"room_id": rid, "text": "还在吗", "client_id": "c1"})
        assert not reply["ok"] and reply["error"]["code"] == "not_joined", reply
        reply = await client.call("room:join", {"room_id": rid})
        assert not reply["ok"] and reply["error"]["code"] == "not_member", reply
    finally:
        await client.close()
    status, err = await api.call("GET", f"/api/rooms/{rid}", token=first.token)
    assert status == 403 and err["error"]["code"] == "not_member"
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(f"{studio_server.ws_url}/collab/{doc_id}?token={first.token}")
        assert refused.value.status == 403
    # the other participant is untouched
    assert (await api.call("GET", f"/api/rooms/{rid}", token=second.token))[0] == 200


async def test_a_room_overrides_the_default_roles(studio_server: RunningServer, studio_api: Api) -> None:
    api = studio_api
    studio = await studio_of(studio_server, api, core=1, participants=2)
    rid = (await studio_room(api, studio.host.token, studio.id))["room"]["id"]
    first, second = studio.participants
    # for the whole room: participants co-edit in this collective preparation
    roles = {"host": "host", "core": "moderator", "participant": "editor"}
    status, out = await api.call(
        "PUT", f"/api/studios/{studio.id}/rooms/{rid}", token=studio.host.token, json={"roles": roles}
    )
    assert status == 200 and out["roles"] == roles, out
    assert await _doc(api, first.token, rid)
    # for one person: the room's host makes a participant the presenter (执教教师)
    status, got = await api.call(
        "PATCH",
        f"/api/rooms/{rid}/members/{second.user_id}",
        token=studio.host.token,
        json={"role": "presenter"},
    )
    assert status == 200 and got["role"] == "presenter", got
    status, listed = await api.call("GET", f"/api/studios/{studio.id}/rooms?scope=all", token=second.token)
    assert status == 200 and listed[0]["room"]["my_role"] == "presenter", listed
    status, listed = await api.call("GET", f"/api/studios/{studio.id}/rooms?scope=all", token=first.token)
    assert listed[0]["room"]["my_role"] == "editor"
    # someone outside the studio cannot be given a role that way
    stranger = await teacher(studio_server, "陌生人")
    status, err = await api.call(
        "PATCH",
        f"/api/rooms/{rid}/members/{stranger.user_id}",
        token=studio.host.token,
        json={"role": "editor"},
    )
    assert status == 404 and err["error"]["code"] == "member_not_found"
    # a participant may not change the defaults
    status, err = await api.call(
        "PUT", f"/api/studios/{studio.id}/rooms/{rid}", token=first.token, json={"roles": roles}
    )
    assert status == 403 and err["error"]["details"]["action"] == "studio.activity_manage"
    # leaving removes the per-room override too
    assert (await api.call("POST", f"/api/studios/{studio.id}/leave", token=second.token))[0] == 204
    assert (await api.call("GET", f"/api/rooms/{rid}", token=second.token))[0] == 403


async def test_guests_still_join_a_studio_room_by_its_code(
    studio_server: RunningServer, studio_api: Api
) -> None:
    api = studio_api
    studio = await studio_of(studio_server, api, core=0, participants=1)
    rid = (await studio_room(api, studio.host.token, studio.id, kind="showcase"))["room"]["id"]
    code = (await invite(api, studio.host.token, rid, role="observer"))["code"]
    visitor = await guest(api, code)
    assert visitor["room_id"] == rid and visitor["role"] == "observer"
    assert (await api.call("GET", f"/api/rooms/{rid}", token=visitor["token"]))[0] == 200
    status, err = await api.call("GET", f"/api/studios/{studio.id}/rooms", token=visitor["token"])
    assert status == 403 and err["error"]["code"] == "not_studio_member"


async def test_a_new_studio_role_reaches_live_connections(
    studio_server: RunningServer, studio_api: Api
) -> None:
    api = studio_api
    studio = await studio_of(studio_server, api, core=0, participants=1)
    member = studio.participants[0]
    rid = (await studio_room(api, studio.host.token, studio.id))["room"]["id"]
    client = await Client(studio_server.url, member.token).connect()
    try:
        assert (await client.join(rid))["me"]["role"] == "observer"
        status, _ = await api.call("PATCH", f"/api/studios/{studio.id}/members/{member.user_id}",
                                   token=studio.host.token, json={"role": "core"})  # fmt: skip
        assert status == 200
        await client.wait_online(rid, lambda lines: lines.get(member.user_id, {}).get("role") == "editor")
    finally:
        await client.close()


async def test_the_room_member_list_shows_the_studio_members(
    studio_server: RunningServer, studio_api: Api
) -> None:
    api = studio_api
    studio = await studio_of(studio_server, api, core=1, participants=2)
    rid = (await studio_room(api, studio.core[0].token, studio.id))["room"]["id"]
    status, members = await api.call("GET", f"/api/rooms/{rid}/members", token=studio.participants[0].token)
    assert status == 200
    by_id = {m["user_id"]: (m["role"], m["by_default"]) for m in members}
    assert by_id == {
        studio.core[0].user_id: ("host", False),  # created the room: a row of its own
        studio.host.user_id: ("host", True),
        studio.participants[0].user_id: ("observer", True),
        studio.participants[1].user_id: ("observer", True),
    }
    # the join state lists them too
    client = await Client(studio_server.url, studio.participants[1].token).connect()
    try:
        state = await client.join(rid)
        assert {m["user_id"] for m in state["members"]} == set(by_id)
    finally:
        await client.close()


async def test_my_rooms_and_upcoming_list_the_studio_rooms_once_with_my_role(
    studio_server: RunningServer, studio_api: Api
) -> None:
    # The home page's "my rooms" and "upcoming" listed only rooms with a Member row: a studio member saw
    # none of the studio's activities there.
    api = studio_api
    studio = await studio_of(studio_server, api, core=0, participants=2)
    first, second = studio.participants
    t = time.time()
    later = (await studio_room(api, studio.host.token, studio.id, title="第二次试讲", starts_at=t + 7200))[
        "room"
    ]
    soon = (await studio_room(api, studio.host.token, studio.id, title="集体备课", starts_at=t + 600))["room"]
    done = (await studio_room(api, studio.host.token, studio.id, title="启动会",
                              starts_at=t - 7200, ends_at=t - 3600))["room"]  # fmt: skip
    own = await create_room(api, first.token)  # a room of first's own, outside the studio
    status, upcoming = await api.call("GET", "/api/rooms?scope=upcoming", token=first.token)
    assert status == 200
    # by start time; a room without one counts from its creation (own: now, before the others start)
    assert [r["id"] for r in upcoming] == [own["id"], soon["id"], later["id"]], upcoming
    assert [r["my_role"] for r in upcoming] == ["host", "observer", "observer"]
    status, mine = await api.call("GET", "/api/rooms", token=first.token)
    assert {r["id"] for r in mine} == {own["id"], soon["id"], later["id"], done["id"]}
    assert [r["id"] for r in mine] == sorted((r["id"] for r in mine), key=lambda i: -next(
        r["created_at"] for r in mine if r["id"] == i))  # fmt: skip
    # a Member row wins over the studio's default, and the room is listed once
    status, got = await api.call("PATCH", f"/api/rooms/{soon['id']}/members/{second.user_id}",
                                 token=studio.host.token, json={"role": "presenter"})  # fmt: skip
    assert status == 200, got
    status, upcoming = await api.call("GET", "/api/rooms?scope=upcoming", token=second.token)
    assert [(r["id"], r["my_role"]) for r in upcoming] == [
        (soon["id"], "presenter"),
        (later["id"], "observer"),
    ]
    # an archived studio's rooms leave the lists (its members no longer reach them)
    assert (await api.call("POST", f"/api/studios/{studio.id}/archive", token=studio.host.token))[0] == 200
    status, upcoming = await api.call("GET", "/api/rooms?scope=upcoming", token=first.token)
    assert [r["id"] for r in upcoming] == [own["id"]]
