"""Studio invites (studios/invite_routes.py): join by code, the 1 + N + X limits, who may invite whom."""

from __future__ import annotations

import asyncio

from tests.support.api import Api
from tests.support.rooms import create_room, guest, invite
from tests.support.server import RunningServer
from tests.support.studios import join, studio_invite, studio_of, teacher


async def test_a_studio_of_1_3_20_fills_up_and_refuses_the_next(
    studio_server: RunningServer, studio_api: Api
) -> None:
    api = studio_api
    studio = await studio_of(studio_server, api, core=3, participants=20)
    status, got = await api.call("GET", f"/api/studios/{studio.id}", token=studio.core[0].token)
    assert status == 200, got
    assert got["counts"] == {"host": 1, "core": 3, "participant": 20}
    assert got["limits"] == {"host": 1, "core": 3, "participant": 20} and got["my_role"] == "core"
    late = await teacher(studio_server, "迟到的老师")
    for role in ("core", "participant"):
        code = await studio_invite(api, studio.host.token, studio.id, role)
        status, err = await join(api, late.token, code)
        assert status == 409 and err["error"]["code"] == "studio_full", err
        assert err["error"]["details"]["role"] == role
    # the refused joins did not count as uses, and the late teacher is not a member
    status, invites = await api.call("GET", f"/api/studios/{studio.id}/invites", token=studio.host.token)
    assert status == 200 and all(i["uses"] == 0 for i in invites[:2]), invites
    status, err = await api.call("GET", f"/api/studios/{studio.id}", token=late.token)
    assert status == 403 and err["error"]["code"] == "not_studio_member"
    # a participant promoted to core is refused too: core is full
    status, err = await api.call(
        "PATCH", f"/api/studios/{studio.id}/members/{studio.participants[0].user_id}",
        token=studio.host.token, json={"role": "core"},
    )  # fmt: skip
    assert status == 409 and err["error"]["code"] == "studio_full", err
    # after someone leaves there is a place again
    status, _ = await api.call("POST", f"/api/studios/{studio.id}/leave", token=studio.participants[0].token)
    assert status == 204
    status, body = await join(api, late.token, code)
    assert status == 200 and body == {"studio_id": studio.id, "role": "participant"}


async def test_who_may_invite_and_what_a_bad_code_says(studio_server: RunningServer, studio_api: Api) -> None:
    api = studio_api
    studio = await studio_of(studio_server, api, core=1, participants=1)
    core, participant = studio.core[0], studio.participants[0]
    status, err = await api.call(
        "POST", f"/api/studios/{studio.id}/invites", token=core.token, json={"role": "core"}
    )
    assert status == 403 and "only the host" in err["error"]["message"]
    assert await studio_invite(api, core.token, studio.id, "participant")
    status, err = await api.call(
        "POST", f"/api/studios/{studio.id}/invites", token=participant.token, json={"role": "participant"}
    )
    assert status == 403 and err["error"]["details"]["action"] == "studio.invite_manage", err
    status, err = await api.call(
        "POST", f"/api/studios/{studio.id}/invites", token=studio.host.token, json={"role": "host"}
    )
    assert status == 422 and err["error"]["details"][0]["field"] == "role"
    stranger = await teacher(studio_server, "陌生人")
    status, err = await join(api, stranger.token, "ABCD-EFGH")
    assert status == 404 and err["error"]["code"] == "invite_invalid"
    code = await studio_invite(api, studio.host.token, studio.id, max_uses=1)
    status, preview = await api.call("GET", f"/api/studio-invites/{code.lower()}")
    assert status == 200 and preview["name"] == "王老师语文名师工作室" and preview["host_name"] == "王主持"
    assert (await join(api, stranger.token, code))[0] == 200
    again = await teacher(studio_server, "又一位")
    status, err = await join(api, again.token, code)
    assert status == 404 and err["error"]["code"] == "invite_invalid"  # used up
    # revoked codes stop working
    code = await studio_invite(api, studio.host.token, studio.id)
    status, invites = await api.call("GET", f"/api/studios/{studio.id}/invites", token=studio.host.token)
    revoked = next(i for i in invites if i["code"] == code)
    assert (await api.call("DELETE", f"/api/studio-invites/{revoked['id']}", token=studio.host.token))[
        0
    ] == 200
    assert (await join(api, again.token, code))[0] == 404


async def test_guests_join_single_rooms_by_code_not_studios(
    studio_server: RunningServer, studio_api: Api
) -> None:
    api = studio_api
    studio = await studio_of(studio_server, api, core=0, participants=0)
    room = await create_room(api, studio.host.token)
    room_code = (await invite(api, studio.host.token, room["id"]))["code"]
    visitor = await guest(api, room_code)
    assert visitor["room_id"] == room["id"]
    code = await studio_invite(api, studio.host.token, studio.id)
    status, err = await join(api, visitor["token"], code)
    assert status == 403 and err["error"]["code"] == "guest_forbidden"
    status, err = await api.call("GET", f"/api/studios/{studio.id}", token=visitor["token"])
    assert status == 403


async def test_the_last_place_goes_to_exactly_one_of_concurrent_joins(
    studio_server: RunningServer, studio_api: Api
) -> None:
    api = studio_api
    studio = await studio_of(studio_server, api, core=2, participants=0)  # one core place left
    code = await studio_invite(api, studio.host.token, studio.id, "core")
    rivals = [await teacher(studio_server, f"竞争者{i}") for i in range(5)]
    results = await asyncio.gather(*(join(api, r.token, code) for r in rivals))
    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 409, 409, 409, 409], results
    status, got = await api.call("GET", f"/api/studios/{studio.id}", token=studio.host.token)
    assert status == 200 and got["counts"]["core"] == 3
