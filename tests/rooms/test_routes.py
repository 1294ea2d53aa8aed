"""Rooms REST (rooms/routes.py): create/read/update/archive/list, validation, members and roles."""

from __future__ import annotations

import json
import time

import pytest

from tests.support.api import Api
from tests.support.rooms import create_room, member


async def test_create_read_update_archive_and_list(api: Api) -> None:
    host = await api.register()
    t = time.time()
    room = await create_room(api, host["token"], subject="语文", grade="三年级", starts_at=t + 3600,
                             ends_at=t + 7200, seats=4)  # fmt: skip
    assert room["my_role"] == "host" and room["seats"] == 4 and room["kind"] == "prep"
    rid = room["id"]
    status, got = await api.call("GET", f"/api/rooms/{rid}", token=host["token"])
    assert status == 200 and got["title"] == "《秋天的雨》集体备课"
    status, got = await api.call(
        "PATCH", f"/api/rooms/{rid}", token=host["token"], json={"title": "第二稿研讨"}
    )
    assert status == 200 and got["title"] == "第二稿研讨" and got["subject"] == "语文"
    other = await create_room(api, host["token"], title="无时间")
    past = await create_room(api, host["token"], title="已结束", starts_at=t - 7200, ends_at=t - 3600)
    status, mine = await api.call("GET", "/api/rooms?scope=mine", token=host["token"])
    assert status == 200 and {r["id"] for r in mine} == {rid, other["id"], past["id"]}
    status, upcoming = await api.call("GET", "/api/rooms?scope=upcoming", token=host["token"])
    assert [r["id"] for r in upcoming if r["id"] in (rid, past["id"])] == [rid]
    status, archived = await api.call("POST", f"/api/rooms/{rid}/archive", token=host["token"])
    assert status == 200 and archived["archived_at"] is not None
    status, mine = await api.call("GET", "/api/rooms", token=host["token"])
    assert rid not in {r["id"] for r in mine}
    status, mine = await api.call("GET", "/api/rooms?archived=1", token=host["token"])
    assert rid in {r["id"] for r in mine}
    status, body = await api.call("PATCH", f"/api/rooms/{rid}", token=host["token"], json={"title": "x"})
    assert status == 409 and body["error"]["code"] == "room_archived"
    # someone else's list does not show these rooms
    stranger = await api.register()
    status, theirs = await api.call("GET", "/api/rooms", token=stranger["token"])
    assert status == 200 and theirs == []


async def test_room_validation_errors(api: Api) -> None:
    host = await api.register()
    for body, field in [({"title": "", "kind": "prep"}, "title"), ({"title": "a", "kind": "party"}, "kind"),
                        ({"title": "a", "kind": "prep", "seats": 0}, "seats"),
                        ({"title": "a", "kind": "prep", "extra": 1}, "extra")]:  # fmt: skip
        status, err = await api.call("POST", "/api/rooms", token=host["token"], json=body)
        assert status == 422 and err["error"]["details"][0]["field"] == field, err
    status, _ = await api.call("POST", "/api/rooms", token=host["token"],
                                 json={"title": "a", "kind": "prep", "starts_at": 10, "ends_at": 5})  # fmt: skip
    assert status == 422
    status, err = await api.call("GET", "/api/rooms/nope", token=host["token"])
    assert status == 404 and err["error"]["code"] == "room_not_found"
    status, _ = await api.call("GET", "/api/rooms?scope=all", token=host["token"])
    assert status == 422


def _strict_json(raw: bytes) -> object:
    """JSON as browsers parse it: ``Infinity`` and ``NaN`` are not JSON (socket.io-client disconnects)."""

    def refuse(token: str) -> None:
        raise ValueError(f"non-finite number {token} in a response")

    return json.loads(raw, parse_constant=refuse)


@pytest.mark.parametrize("number", [b"Infinity", b"-Infinity", b"NaN", b"1e999"])
async def test_non_finite_times_are_refused_and_never_reach_a_client(api: Api, number: bytes) -> None:
    host = await api.register()
    rid = (await create_room(api, host["token"]))["id"]
    headers = {"Content-Type": "application/json"}
    for method, path, body in [
        ("POST", "/api/rooms", b'{"title": "a", "kind": "prep", "starts_at": %s}' % number),
        ("PATCH", f"/api/rooms/{rid}", b'{"ends_at": %s}' % number),
        ("PUT", f"/api/rooms/{rid}/agenda", b'{"segments": [{"title": "a", "planned_start": %s}]}' % number),
    ]:
        status, err = await api.call(method, path, token=host["token"], data=body, headers=headers)
        assert status == 422, (path, err)
    for path in ["/api/rooms", f"/api/rooms/{rid}", f"/api/rooms/{rid}/agenda"]:
        async with api.http.get(
            api.base + path, headers={"Authorization": f"Bearer {host['token']}"}
        ) as resp:
            assert resp.status == 200
            _strict_json(await resp.read())


async def test_members_and_roles(api: Api) -> None:
    host = await api.register()
    rid = (await create_room(api, host["token"]))["id"]
    editor = await member(api, host["token"], rid, "editor")
    status, members = await api.call("GET", f"/api/rooms/{rid}/members", token=editor["token"])
    assert status == 200 and {m["role"] for m in members} == {"host", "editor"}
    uid = editor["user"]["id"]
    status, err = await api.call("PATCH", f"/api/rooms/{rid}/members/{uid}", token=editor["token"],
                                 json={"role": "host"})  # fmt: skip
    assert status == 403 and err["error"]["code"] == "forbidden"
    status, m = await api.call("PATCH", f"/api/rooms/{rid}/members/{uid}", token=host["token"],
                               json={"role": "moderator"})  # fmt: skip
    assert status == 200 and m["role"] == "moderator"
    hid = host["user"]["id"]
    status, err = await api.call("PATCH", f"/api/rooms/{rid}/members/{hid}", token=host["token"],
                                 json={"role": "observer"})  # fmt: skip
    assert status == 409 and err["error"]["code"] == "last_host"
