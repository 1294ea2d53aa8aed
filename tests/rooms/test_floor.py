"""Floor control: raise hand, grant and revoke seats within the limit, mic/camera only with a seat."""

from __future__ import annotations

from rooms.api import FLOOR
from rooms.permissions import Role
from tests.support.api import Api
from tests.support.rooms import Client, create_room, member
from tests.support.server import RunningServer


async def test_raise_grant_revoke_and_limit(api: Api, server: RunningServer) -> None:
    host = await api.register()
    rid = (await create_room(api, host["token"], kind="trial", seats=2))["id"]
    users = [await member(api, host["token"], rid, "observer", as_guest=True) for _ in range(3)]
    mod = await member(api, host["token"], rid, "moderator", as_guest=True)
    m = await Client(server.url, mod["token"]).connect()
    cs = [await Client(server.url, u["token"]).connect() for u in users]
    ids = [u["user"]["id"] for u in users]
    floor = server.app[FLOOR]
    try:
        await m.join(rid)
        for c in cs:
            await c.join(rid)
        r = await cs[0].call("presence:update", {"room_id": rid, "mic": True})
        assert r["ok"] is False and r["error"]["code"] == "no_seat"
        for c in cs:
            assert (await c.call("hand:raise", {"room_id": rid}))["ok"]
        seen = await m.wait_for("floor", lambda f: len(f["hands"]) == 3)
        assert seen["hands"] == ids and seen["limit"] == 2
        r = await cs[1].call("seat:grant", {"room_id": rid, "user_id": ids[1]})
        assert r["ok"] is False and r["error"]["code"] == "forbidden"
        assert (await m.call("seat:grant", {"room_id": rid, "user_id": ids[0]}))["ok"]
        r = await m.call("seat:grant", {"room_id": rid, "user_id": ids[1]})
        assert r["floor"]["seats"] == ids[:2] and r["floor"]["hands"] == [ids[2]]
        r = await m.call("seat:grant", {"room_id": rid, "user_id": ids[2]})
        assert r["ok"] is False and r["error"]["code"] == "seats_full"
        assert await floor.holds_seat(rid, ids[0]) and not await floor.holds_seat(rid, ids[2])
        # everyone sees who holds the floor, and the seat holder may now unmute
        await cs[2].wait_for("floor", lambda f: f["seats"] == ids[:2])
        assert (await cs[0].call("presence:update", {"room_id": rid, "mic": True, "camera": True}))["ok"]
        await m.wait_online(rid, lambda o: o.get(ids[0], {}).get("mic") and o[ids[0]]["seat"])
        # revoke mutes; then the third gets the seat
        assert (await m.call("seat:revoke", {"room_id": rid, "user_id": ids[0]}))["ok"]
        await m.wait_online(rid, lambda o: not o[ids[0]]["mic"] and not o[ids[0]]["seat"])
        assert (await m.call("seat:grant", {"room_id": rid, "user_id": ids[2]}))["floor"]["seats"] == [
            ids[1],
            ids[2],
        ]
        # a seat holder may give up the seat; a hand may be lowered by its owner or a moderator
        assert (await cs[1].call("seat:revoke", {"room_id": rid, "user_id": ids[1]}))["floor"]["seats"] == [
            ids[2]
        ]
        await cs[0].call("hand:raise", {"room_id": rid})
        r = await cs[1].call("hand:lower", {"room_id": rid, "user_id": ids[0]})
        assert r["error"]["code"] == "forbidden"
        assert (await m.call("hand:lower", {"room_id": rid, "user_id": ids[0]}))["floor"]["hands"] == []
        # leaving frees the seat
        m.forget("floor")
        await cs[2].close()
        await m.wait_for("floor", lambda f: f["seats"] == [])
        r = await m.call("seat:grant", {"room_id": rid, "user_id": ids[2]})
        assert r["error"]["code"] == "not_online"
    finally:
        for c in [m, *cs]:
            await c.close()


async def test_who_may_publish_seat_media(api: Api, server: RunningServer) -> None:
    """The one rule media signalling and presence both ask: who runs the floor always may, others need a seat."""
    host = await api.register()
    rid = (await create_room(api, host["token"], kind="trial", seats=2))["id"]
    seated = (await member(api, host["token"], rid, "observer", as_guest=True))["user"]["id"]
    floor = server.app[FLOOR]
    await floor.grant(rid, seated)
    unseated = seated + 1000
    assert {r.value: await floor.may_publish_seat(rid, unseated, r) for r in Role} == {
        "host": True, "moderator": True, "editor": False, "presenter": False, "observer": False, "expert": False,
    }  # fmt: skip
    assert all([await floor.may_publish_seat(rid, seated, r) for r in Role])
    assert not await floor.may_publish_seat(rid, seated, "not-a-role")


async def test_who_may_share_a_screen(api: Api, server: RunningServer) -> None:
    """课件演示: hosts and presenters (who publish venues) and those who run the floor always may; others
    only while they hold a seat."""
    host = await api.register()
    rid = (await create_room(api, host["token"], kind="trial", seats=2))["id"]
    seated = (await member(api, host["token"], rid, "observer", as_guest=True))["user"]["id"]
    floor = server.app[FLOOR]
    await floor.grant(rid, seated)
    unseated = seated + 1000
    assert {r.value: await floor.may_share_screen(rid, unseated, r) for r in Role} == {
        "host": True, "moderator": True, "presenter": True, "editor": False, "observer": False, "expert": False,
    }  # fmt: skip
    assert all([await floor.may_share_screen(rid, seated, r) for r in Role])
    assert not await floor.may_share_screen(rid, seated, "not-a-role")
