"""Studios REST (studios/routes.py): create, read, update, list mine, members, remove, leave, errors."""

from __future__ import annotations

from tests.support.api import Api
from tests.support.server import RunningServer
from tests.support.studios import create_studio, join, studio_invite, studio_of, studio_room, teacher


async def test_create_read_update_list(studio_server: RunningServer, studio_api: Api) -> None:
    api = studio_api
    host = await teacher(studio_server, "王主持")
    studio = await create_studio(api, host.token, description="语文阅读教学研究")
    assert (
        studio["my_role"] == "host" and studio["host_id"] == host.user_id and studio["host_name"] == "王主持"
    )
    assert studio["counts"] == {"host": 1, "core": 0, "participant": 0}
    sid = studio["id"]
    status, got = await api.call(
        "PATCH", f"/api/studios/{sid}", token=host.token, json={"grade_band": "初中"}
    )
    assert status == 200 and got["grade_band"] == "初中" and got["subject"] == "语文"
    status, mine = await api.call("GET", "/api/studios", token=host.token)
    assert status == 200 and [s["id"] for s in mine] == [sid]
    other = await teacher(studio_server, "李老师")
    status, theirs = await api.call("GET", "/api/studios", token=other.token)
    assert status == 200 and theirs == []
    status, err = await api.call("GET", "/api/studios?scope=all", token=other.token)
    assert status == 403
    # only an administrator names another host
    status, err = await api.call("POST", "/api/studios", token=other.token,
                                 json={"name": "x", "host_id": host.user_id})  # fmt: skip
    assert status == 403 and "administrator" in err["error"]["message"]


async def test_validation_and_unknown_studio(studio_server: RunningServer, studio_api: Api) -> None:
    api = studio_api
    host = await teacher(studio_server, "王主持")
    for body, field in [({"name": ""}, "name"), ({"name": "a", "extra": 1}, "extra"),
                        ({"name": "a", "subject": "x" * 65}, "subject")]:  # fmt: skip
        status, err = await api.call("POST", "/api/studios", token=host.token, json=body)
        assert status == 422 and err["error"]["details"][0]["field"] == field, err
    status, err = await api.call("GET", "/api/studios/nope", token=host.token)
    assert status == 404 and err["error"]["code"] == "studio_not_found"
    status, _ = await api.call("GET", "/api/studios")
    assert status == 401


async def test_members_roles_removal_and_leaving(studio_server: RunningServer, studio_api: Api) -> None:
    api = studio_api
    studio = await studio_of(studio_server, api, core=1, participants=2)
    core, first, second = studio.core[0], *studio.participants
    status, members = await api.call("GET", f"/api/studios/{studio.id}/members", token=first.token)
    assert status == 200 and [m["role"] for m in members] == ["host", "core", "participant", "participant"]
    # a core member may not manage members; a participant may not change the studio
    status, err = await api.call(
        "DELETE", f"/api/studios/{studio.id}/members/{first.user_id}", token=core.token
    )
    assert status == 403 and err["error"]["details"]["action"] == "studio.member_manage"
    status, err = await api.call("PATCH", f"/api/studios/{studio.id}", token=first.token, json={"name": "x"})
    assert status == 403 and err["error"]["details"]["action"] == "studio.update"
    # the host's role does not change and the host does not leave
    path = f"/api/studios/{studio.id}/members/{studio.host.user_id}"
    status, err = await api.call("PATCH", path, token=studio.host.token, json={"role": "core"})
    assert status == 409 and err["error"]["code"] == "host_role"
    status, err = await api.call("POST", f"/api/studios/{studio.id}/leave", token=studio.host.token)
    assert status == 409 and err["error"]["code"] == "host_role"
    status, got = await api.call("PATCH", f"/api/studios/{studio.id}/members/{first.user_id}",
                                 token=studio.host.token, json={"role": "core"})  # fmt: skip
    assert status == 200 and got["role"] == "core"
    status, _ = await api.call(
        "DELETE", f"/api/studios/{studio.id}/members/{second.user_id}", token=studio.host.token
    )
    assert status == 204
    status, err = await api.call("GET", f"/api/studios/{studio.id}", token=second.token)
    assert status == 403 and err["error"]["code"] == "not_studio_member"
    status, got = await api.call("GET", f"/api/studios/{studio.id}", token=studio.host.token)
    assert got["counts"] == {"host": 1, "core": 2, "participant": 0}


async def test_an_administrator_creates_studios_for_hosts_and_sees_them_all(
    studio_server: RunningServer, studio_api: Api
) -> None:
    api = studio_api
    admin = await teacher(studio_server, "区教研员", admin=True)
    master = await teacher(studio_server, "王名师")
    status, studio = await api.call("POST", "/api/studios", token=admin.token,
                                    json={"name": "王名师工作室", "host_id": master.user_id})  # fmt: skip
    assert status == 201 and studio["host_id"] == master.user_id and studio["my_role"] is None, studio
    status, mine = await api.call("GET", "/api/studios", token=master.token)
    assert [(s["id"], s["my_role"]) for s in mine] == [(studio["id"], "host")]
    status, every = await api.call("GET", "/api/studios?scope=all", token=admin.token)
    assert status == 200 and studio["id"] in {s["id"] for s in every}
    status, err = await api.call(
        "POST", "/api/studios", token=admin.token, json={"name": "x", "host_id": 999_999}
    )
    assert status == 404 and err["error"]["code"] == "user_not_found"


async def test_archiving_ends_the_default_access_and_the_invites(
    studio_server: RunningServer, studio_api: Api
) -> None:
    api = studio_api
    studio = await studio_of(studio_server, api, core=1, participants=1)
    room = (await studio_room(api, studio.host.token, studio.id))["room"]
    code = await studio_invite(api, studio.host.token, studio.id)
    assert (await api.call("GET", f"/api/rooms/{room['id']}", token=studio.participants[0].token))[0] == 200
    status, err = await api.call("POST", f"/api/studios/{studio.id}/archive", token=studio.core[0].token)
    assert status == 403 and err["error"]["details"]["action"] == "studio.update"
    status, out = await api.call("POST", f"/api/studios/{studio.id}/archive", token=studio.host.token)
    assert status == 200 and out["archived_at"] is not None
    status, err = await api.call("GET", f"/api/rooms/{room['id']}", token=studio.participants[0].token)
    assert status == 403 and err["error"]["code"] == "not_member"
    assert (await api.call("GET", f"/api/rooms/{room['id']}", token=studio.host.token))[
        0
    ] == 200  # created it
    late = await teacher(studio_server, "迟到者")
    status, err = await join(api, late.token, code)
    assert status == 404 and err["error"]["code"] == "invite_invalid"
