"""Invite REST (rooms/invite_routes.py): link + code, role, expiry, max uses, revoke, preview, redeem, guest log-in."""

from __future__ import annotations

import asyncio

from rooms.invites import CODE_ALPHABET, create_invite
from rooms.permissions import Role
from tests.support.api import Api, make_room
from tests.support.rooms import create_room, invite
from tests.support.server import RunningServer


async def test_invite_lifecycle(api: Api) -> None:
    host = await api.register()
    room = await create_room(api, host["token"])
    rid = room["id"]
    inv = await invite(api, host["token"], rid, role="editor", max_uses=2, expires_in=3600)
    assert set(inv["code"]) <= set(CODE_ALPHABET) and inv["link"].endswith("/join/" + inv["code"])
    status, preview = await api.call("GET", f"/api/invites/{inv['code']}")
    assert status == 200 and preview == {"room_id": rid, "title": room["title"], "kind": "prep",
                                         "starts_at": None, "role": "editor"}  # fmt: skip
    a, b, c = [await api.register() for _ in range(3)]
    status, joined = await api.call(
        "POST", "/api/invites/redeem", token=a["token"], json={"code": inv["code"]}
    )
    assert status == 200 and joined == {"room_id": rid, "role": "editor"}
    # the last use is raced by two users: exactly one wins
    results = await asyncio.gather(
        api.call("POST", "/api/invites/redeem", token=b["token"], json={"code": inv["code"]}),
        api.call("POST", "/api/invites/redeem", token=c["token"], json={"code": inv["code"]}),
    )
    assert sorted(s for s, _ in results) == [200, 404]
    status, listed = await api.call("GET", f"/api/rooms/{rid}/invites", token=host["token"])
    assert status == 200 and listed[0]["uses"] == 2
    status, _ = await api.call("GET", f"/api/invites/{inv['code']}")
    assert status == 404  # used up
    inv2 = await invite(api, host["token"], rid)
    status, revoked = await api.call("DELETE", f"/api/invites/{inv2['id']}", token=host["token"])
    assert status == 200 and revoked["revoked_at"] is not None
    status, err = await api.call("POST", "/api/auth/guest", json={"code": inv2["code"], "display_name": "x"})
    assert status == 404 and err["error"]["code"] == "invite_invalid"
    # an editor cannot manage invites; a moderator cannot mint host invites
    status, _ = await api.call(
        "POST", f"/api/rooms/{rid}/invites", token=a["token"], json={"role": "observer"}
    )
    assert status == 403
    mod_inv = await invite(api, host["token"], rid, role="moderator")
    mod = await api.register()
    await api.call("POST", "/api/invites/redeem", token=mod["token"], json={"code": mod_inv["code"]})
    status, _ = await api.call("POST", f"/api/rooms/{rid}/invites", token=mod["token"], json={"role": "host"})
    assert status == 403
    status, _ = await api.call(
        "POST", f"/api/rooms/{rid}/invites", token=mod["token"], json={"role": "expert"}
    )
    assert status == 201


async def test_guest_joins_one_room_with_invite_code(api: Api, server: RunningServer) -> None:
    host = await api.register()
    db = server.ctx.db
    room = await make_room(db, host["user"]["id"])
    other_room = await make_room(db, host["user"]["id"])
    async with db.transaction() as session:
        invite = await create_invite(
            session, room_id=room, role=Role.OBSERVER, created_by=host["user"]["id"], max_uses=1
        )
    typed = invite.code.lower()[:4] + "-" + invite.code.lower()[4:]  # people type codes loosely
    status, body = await api.call(
        "POST", "/api/auth/guest", json={"code": typed, "display_name": "陈老师", "school": "三小"}
    )
    assert status == 200, body
    assert body["room_id"] == room and body["role"] == "observer" and body["user"]["is_guest"]
    principal = server.ctx.tokens.verify(body["token"])
    assert principal.can_enter(room) and not principal.can_enter(other_room)
    # max_uses=1: the second guest is refused with the same answer as an unknown code
    status2, again = await api.call(
        "POST", "/api/auth/guest", json={"code": invite.code, "display_name": "x"}
    )
    status3, unknown = await api.call(
        "POST", "/api/auth/guest", json={"code": "ZZZZZZZZ", "display_name": "x"}
    )
    assert status2 == status3 == 404 and again == unknown
