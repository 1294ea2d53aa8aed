"""rooms.state: the room:join answer, with the parts other packages add (JoinState), on a real server."""

from __future__ import annotations

import pytest

from rooms.api import JOIN_STATE
from rooms.state import JoinState
from tests.support.api import Api
from tests.support.rooms import Client, create_room
from tests.support.server import RunningServer


async def test_parts_are_read_per_room_in_the_order_added() -> None:
    parts = JoinState()
    seen: list[str] = []

    async def program(room_id: str) -> dict[str, str]:
        seen.append(room_id)
        return {"venue": f"main-of-{room_id}"}

    async def notes(room_id: str) -> int:
        return 3

    parts.add("program", program)
    parts.add("notes", notes)
    assert await parts.read("r1") == {"program": {"venue": "main-of-r1"}, "notes": 3}
    assert list(await parts.read("r2")) == ["program", "notes"] and seen == ["r1", "r2"]


@pytest.mark.parametrize("name", ["room", "members", "online", "chat", "floor", "program"])
async def test_a_part_cannot_take_a_name_already_in_the_answer(name: str) -> None:
    parts = JoinState()

    async def part(room_id: str) -> None:
        return None

    parts.add("program", part)
    with pytest.raises(ValueError, match=name):
        parts.add(name, part)


async def test_the_join_answer_carries_rooms_own_state_and_added_parts(
    api: Api, server: RunningServer
) -> None:
    async def extra(room_id: str) -> dict[str, str]:
        return {"room": room_id}

    server.app[JOIN_STATE].add("test_extra", extra)
    host = await api.register()
    room = await create_room(api, host["token"])
    client = await Client(server.url, host["token"]).connect()
    try:
        reply = await client.call("room:join", {"room_id": room["id"]})
    finally:
        await client.close()
    state = reply["state"]
    assert reply["ok"] and state["test_extra"] == {"room": room["id"]}
    assert (
        state["room"]["id"] == room["id"] and state["me"]["role"] == "host" and state["me"]["seat"] is False
    )
    assert {"members", "online", "presence_rev", "venues", "agenda", "chat", "floor", "program"} <= set(state)
    assert state["chat"] == {"messages": [], "more": False, "mode": {"slow_seconds": 0, "moderated": False}}
    assert state["floor"]["room_id"] == room["id"] and state["floor"]["limit"] == room["seats"]
