"""A studio's rooms (studios/activity_routes.py): created in the studio, listed upcoming / past for every
member (a new member sees them at once), attached and detached."""

from __future__ import annotations

import time

from tests.support.api import Api
from tests.support.rooms import create_room
from tests.support.server import RunningServer
from tests.support.studios import join, studio_invite, studio_of, studio_room, teacher


async def test_new_members_see_upcoming_and_past_activities(
    studio_server: RunningServer, studio_api: Api
) -> None:
    api = studio_api
    studio = await studio_of(studio_server, api, core=1, participants=0)
    t = time.time()
    later = await studio_room(api, studio.core[0].token, studio.id, title="第二次试讲", kind="trial",
                              starts_at=t + 7200, ends_at=t + 9000)  # fmt: skip
    soon = await studio_room(api, studio.host.token, studio.id, title="集体备课", starts_at=t + 600)
    done = await studio_room(api, studio.host.token, studio.id, title="启动会", kind="live",
                             starts_at=t - 7200, ends_at=t - 3600)  # fmt: skip
    assert later["room"]["my_role"] == "host"  # the core member who created it hosts it
    newcomer = await teacher(studio_server, "新学员")
    assert (await join(api, newcomer.token, await studio_invite(api, studio.host.token, studio.id)))[0] == 200
    status, upcoming = await api.call("GET", f"/api/studios/{studio.id}/rooms", token=newcomer.token)
    assert status == 200
    assert [a["room"]["id"] for a in upcoming] == [soon["room"]["id"], later["room"]["id"]]
    assert {a["room"]["my_role"] for a in upcoming} == {"observer"}
    status, past = await api.call("GET", f"/api/studios/{studio.id}/rooms?scope=past", token=newcomer.token)
    assert [a["room"]["id"] for a in past] == [done["room"]["id"]]
    status, err = await api.call("GET", f"/api/studios/{studio.id}/rooms?scope=soon", token=newcomer.token)
    assert status == 422
    # a participant may not create activities
    status, err = await api.call("POST", f"/api/studios/{studio.id}/rooms", token=newcomer.token,
                                 json={"room": {"title": "x", "kind": "prep"}})  # fmt: skip
    assert status == 403 and err["error"]["details"]["action"] == "studio.activity_manage"
    status, err = await api.call("POST", f"/api/studios/{studio.id}/rooms", token=studio.host.token,
                                 json={"room": {"title": "x", "kind": "prep", "starts_at": 10, "ends_at": 5}})  # fmt: skip
    assert status == 422


async def test_attach_and_detach_an_existing_room(studio_server: RunningServer, studio_api: Api) -> None:
    api = studio_api
    studio = await studio_of(studio_server, api, core=0, participants=1)
    member = studio.participants[0]
    room = await create_room(api, studio.host.token)
    rid = room["id"]
    assert (await api.call("GET", f"/api/rooms/{rid}", token=member.token))[0] == 403
    roles = {"host": "host", "core": "editor", "participant": "observer"}
    status, out = await api.call("PUT", f"/api/studios/{studio.id}/rooms/{rid}", token=studio.host.token,
                                 json={"roles": roles})  # fmt: skip
    assert status == 200 and out["studio_id"] == studio.id
    assert (await api.call("GET", f"/api/rooms/{rid}", token=member.token))[0] == 200
    # another studio cannot take it
    other = await studio_of(studio_server, api, core=0, participants=0)
    status, err = await api.call("PUT", f"/api/studios/{other.id}/rooms/{rid}", token=other.host.token,
                                 json={"roles": roles})  # fmt: skip
    assert status == 403 and err["error"]["code"] == "not_member"  # of the room
    status, _ = await api.call("DELETE", f"/api/studios/{studio.id}/rooms/{rid}", token=studio.host.token)
    assert status == 204
    assert (await api.call("GET", f"/api/rooms/{rid}", token=member.token))[0] == 403
