"""venues.realtime: the controller's Socket.IO commands on a real server, without media (fallback changes,
epochs, permissions, validation, the venue:state broadcast)."""

from __future__ import annotations

from tests.support.api import Api
from tests.support.server import RunningServer
from tests.support.venues import command, person, showcase


async def test_an_accepted_command_answers_and_broadcasts_the_state(api: Api, server: RunningServer) -> None:
    show = await showcase(api, server.url, ("red", "blue"))
    observer = await person(api, server.url, show, "observer")
    try:
        reply = await command(
            show.host_client, "venue:fallback", show.room_id, venue_id=show.venues["red"], epoch=0
        )
        assert reply["ok"], reply
        state = reply["state"]
        assert (state["fallback"], state["epoch"], state["program"]) == (show.venues["red"], 1, None)
        pushed = await observer.wait_for("venue:state", lambda d: d["epoch"] == 1)
        assert pushed == state
    finally:
        await observer.close()
        await show.host_client.close()


async def test_refusals_carry_their_codes(api: Api, server: RunningServer) -> None:
    show = await showcase(api, server.url, ("red",))
    observer = await person(api, server.url, show, "observer")
    try:
        stale = await command(show.host_client, "venue:fallback", show.room_id, venue_id=None, epoch=5)
        assert (
            not stale["ok"]
            and stale["error"]["code"] == "conflict"
            and stale["error"]["details"]["epoch"] == 0
        )
        unknown = await command(show.host_client, "venue:switch", show.room_id, venue_id="nope", epoch=0)
        assert not unknown["ok"] and unknown["error"]["code"] == "venue_not_found"
        bad = await command(show.host_client, "venue:take", show.room_id, epoch=-1)
        assert not bad["ok"] and bad["error"]["code"] == "validation"
        forbidden = await command(observer, "venue:fallback", show.room_id, venue_id=None, epoch=0)
        assert not forbidden["ok"] and forbidden["error"]["code"] == "forbidden"
        nothing = await command(show.host_client, "venue:take", show.room_id, epoch=0)
        assert not nothing["ok"] and nothing["error"]["code"] == "nothing_cued"
        cued = await command(
            show.host_client, "venue:cue", show.room_id, venue_id=show.venues["red"], epoch=0
        )
        assert (
            cued["ok"] and cued["state"]["preview"] == show.venues["red"]
        )  # a venue may be cued before it is live
        not_live = await command(show.host_client, "venue:take", show.room_id, epoch=1)
        assert not not_live["ok"] and not_live["error"]["code"] == "venue_not_live"
    finally:
        await observer.close()
        await show.host_client.close()
