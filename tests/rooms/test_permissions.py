"""The permission matrix: each role × each action, in the table and enforced over REST and Socket.IO."""

from __future__ import annotations

import pytest

from rooms.permissions import Action, Role, allowed, require
from server.errors import Forbidden
from tests.support.api import Api
from tests.support.rooms import Client, cid, create_room, member
from tests.support.server import RunningServer

ROLES = [Role.HOST, Role.MODERATOR, Role.PRESENTER, Role.EDITOR, Role.EXPERT, Role.OBSERVER]
# Written out independently of rooms/permissions.py: columns host, moderator, presenter, editor, expert,
# observer; "x" allowed, "." refused. A change to the table must change this grid too.
GRID = """
room.view           xxxxxx
room.update         xx....
room.archive        x.....
member.manage       x.....
invite.manage       xx....
venue.manage        xx....
agenda.manage       xx....
doc.view            xxxxxx
doc.edit            xxxx..
doc.create          xxxx..
doc.delete          x.....
version.save        xxxx..
version.restore     xxxx..
comment.write       xxxxx.
doc.export          xxxxxx
chat.send           xxxxxx
chat.delete         xx....
chat.moderate       xx....
voice.send          xxxxxx
hand.raise          xxxxxx
seat.grant          xx....
media.watch         xxxxxx
media.publish_venue x.x...
media.publish_seat  xxxxxx
media.publish_screen xxxxxx
venue.control       xx....
media.preview       xx....
recording.manage    xx....
rubric.manage       x.....
note.write          xxxxxx
observation.code    xxxxxx
score.submit        xxxxxx
evaluation.manage   xx....
feedback.to_plan    x.x...
attendance.view     xx....
"""
EXPECTED = {
    (role, Action(name)): flags[i] == "x"
    for name, flags in (line.split() for line in GRID.strip().splitlines())
    for i, role in enumerate(ROLES)
}


def test_grid_covers_every_action() -> None:
    assert {a for _, a in EXPECTED} == set(Action)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(Action))
def test_matrix(role: Role, action: Action) -> None:
    assert allowed(role, action) is EXPECTED[(role, action)]
    if EXPECTED[(role, action)]:
        require(role, action)
    else:
        with pytest.raises(Forbidden) as err:
            require(role, action)
        assert err.value.code == "forbidden" and action.value in err.value.message


def test_non_members_and_unknown_roles_may_do_nothing() -> None:
    assert not any(allowed(None, a) or allowed("janitor", a) for a in Action)


async def test_matrix_is_enforced_over_rest_and_socketio(api: Api, server: RunningServer) -> None:
    host = await api.register()
    rid = (await create_room(api, host["token"]))["id"]
    users = {Role.HOST: host}
    for role in ROLES[1:]:
        users[role] = await member(api, host["token"], rid, role.value, as_guest=True)
    target = await member(api, host["token"], rid, "observer", as_guest=True)
    clients = {role: await Client(server.url, u["token"]).connect() for role, u in users.items()}
    try:
        for c in clients.values():
            await c.join(rid)
        host_msg = await clients[Role.HOST].call(
            "chat:send", {"room_id": rid, "client_id": cid(), "text": "开始"}
        )
        for role, user in users.items():
            tok = user["token"]
            rest = {
                Action.ROOM_VIEW: ("GET", f"/api/rooms/{rid}", None),
                Action.ROOM_UPDATE: ("PATCH", f"/api/rooms/{rid}", {"description": role.value}),
                Action.MEMBER_MANAGE: (
                    "PATCH",
                    f"/api/rooms/{rid}/members/{target['user']['id']}",
                    {"role": "observer"},
                ),
                Action.INVITE_MANAGE: ("POST", f"/api/rooms/{rid}/invites", {"role": "observer"}),
                Action.VENUE_MANAGE: ("POST", f"/api/rooms/{rid}/venues", {"name": role.value}),
                Action.AGENDA_MANAGE: ("PUT", f"/api/rooms/{rid}/agenda", {"segments": []}),
            }
            for action, (method, path, body) in rest.items():
                status, out = await api.call(method, path, token=tok, json=body)
                if EXPECTED[(role, action)]:
                    assert status in (200, 201), (role, action, out)
                else:
                    assert status == 403 and out["error"]["details"] == {"action": action.value}, (
                        role,
                        action,
                    )
            c = clients[role]
            sio = {
                Action.CHAT_SEND: ("chat:send", {"room_id": rid, "client_id": cid(), "text": "好"}),
                Action.HAND_RAISE: ("hand:raise", {"room_id": rid}),
                Action.SEAT_GRANT: ("seat:grant", {"room_id": rid, "user_id": user["user"]["id"]}),
                Action.CHAT_DELETE: (
                    "chat:delete",
                    {"room_id": rid, "message_id": host_msg["message"]["id"]},
                ),
                Action.CHAT_MODERATE: (
                    "chat:set_mode",
                    {"room_id": rid, "slow_seconds": 0, "moderated": False},
                ),
            }
            for action, (event, payload) in sio.items():
                reply = await c.call(event, payload)
                if EXPECTED[(role, action)]:
                    assert reply["ok"], (role, action, reply)
                else:
                    assert reply["error"]["code"] == "forbidden", (role, action, reply)
            if EXPECTED[(role, Action.SEAT_GRANT)]:
                await c.call("seat:revoke", {"room_id": rid, "user_id": user["user"]["id"]})
        for role in ROLES[1:]:
            status, _ = await api.call("POST", f"/api/rooms/{rid}/archive", token=users[role]["token"])
            assert status == 403
        status, _ = await api.call("POST", f"/api/rooms/{rid}/archive", token=host["token"])
        assert status == 200
    finally:
        for c in clients.values():
            await c.close()
