"""venues.routes: the program state and the hand-off audit over REST, for members only."""

from __future__ import annotations

from tests.support.api import Api
from tests.support.server import RunningServer
from tests.support.venues import command, showcase


async def test_program_and_handoffs_for_members(api: Api, server: RunningServer) -> None:
    show = await showcase(api, server.url, ("red", "blue"))
    token = show.host["token"]
    try:
        status, program = await api.call("GET", f"/api/rooms/{show.room_id}/program", token=token)
        assert status == 200
        assert (program["room_id"], program["epoch"], program["program"], program["live"]) == (
            show.room_id,
            0,
            None,
            [],
        )
        reply = await command(
            show.host_client, "venue:fallback", show.room_id, venue_id=show.venues["blue"], epoch=0
        )
        assert reply["ok"], reply
        status, program = await api.call("GET", f"/api/rooms/{show.room_id}/program", token=token)
        assert (program["epoch"], program["fallback"]) == (1, show.venues["blue"])
        status, audit = await api.call("GET", f"/api/rooms/{show.room_id}/handoffs", token=token)
        assert status == 200 and audit == []  # a fallback choice changes no picture: nothing to audit
        stranger = await api.register()
        for path in ("program", "handoffs"):
            status, body = await api.call("GET", f"/api/rooms/{show.room_id}/{path}", token=stranger["token"])
            assert status == 403 and body["error"]["code"] == "not_member"
    finally:
        await show.host_client.close()
