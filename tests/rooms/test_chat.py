"""Chat: persisted before broadcast, idempotent retries across a forced reconnect, paging, limits, deletes."""

from __future__ import annotations

import asyncio
from pathlib import Path

from rooms import chat
from tests.support.api import Api
from tests.support.rooms import Client, cid, create_room, member
from tests.support.server import RunningServer, make_settings, running_server


async def test_chat_history_and_no_duplicates_after_reconnect(api: Api, server: RunningServer) -> None:
    host = await api.register(display_name="李主持")
    rid = (await create_room(api, host["token"]))["id"]
    teacher = await member(api, host["token"], rid, "editor", as_guest=True)
    h = await Client(server.url, host["token"]).connect()
    t = await Client(server.url, teacher["token"]).connect()
    try:
        await h.join(rid)
        await t.join(rid)
        first = cid()
        reply = await t.call(
            "chat:send", {"room_id": rid, "client_id": first, "text": "教学目标第二条可以再具体些"}
        )
        assert reply["ok"] and reply["duplicate"] is False
        msg = reply["message"]
        got = await h.wait_for("chat:message", lambda m: m["client_id"] == first)
        assert got == msg and got["author_name"] == teacher["user"]["display_name"]
        # the connection drops right after sending; the client reconnects and retries the same id
        second = cid()
        await t.emit("chat:send", {"room_id": rid, "client_id": second, "text": "板书设计同意"})
        await t.sio.disconnect()
        t = await Client(server.url, teacher["token"]).connect()
        state = await t.join(rid)
        retry = await t.call("chat:send", {"room_id": rid, "client_id": second, "text": "板书设计同意"})
        assert retry["ok"]
        again = await t.call(
            "chat:send", {"room_id": rid, "client_id": first, "text": "教学目标第二条可以再具体些"}
        )
        assert again["ok"] and again["duplicate"] and again["message"] == msg
        await h.wait_for("chat:message", lambda m: m["client_id"] == second)
        status, page = await api.call("GET", f"/api/rooms/{rid}/chat", token=host["token"])
        assert status == 200 and [m["client_id"] for m in page["messages"]] == [first, second]
        assert [m["client_id"] for m in state["chat"]["messages"]][:1] == [first]
        await asyncio.sleep(0.2)  # nothing else is in flight: each message reached the host once
        assert [m["client_id"] for m in h.events["chat:message"]] == [first, second]
    finally:
        await h.close()
        await t.close()


async def test_paging_length_limit_and_soft_delete(api: Api, server: RunningServer) -> None:
    host = await api.register()
    rid = (await create_room(api, host["token"]))["id"]
    observer = await member(api, host["token"], rid, "observer", as_guest=True)
    h = await Client(server.url, host["token"]).connect()
    o = await Client(server.url, observer["token"]).connect()
    try:
        await h.join(rid)
        await o.join(rid)
        ids = []
        for i in range(12):
            r = await h.call("chat:send", {"room_id": rid, "client_id": f"m{i}", "text": f"第{i}条"})
            assert r["ok"], r
            ids.append(r["message"]["id"])
        status, page = await api.call("GET", f"/api/rooms/{rid}/chat?limit=5", token=observer["token"])
        assert [m["id"] for m in page["messages"]] == ids[-5:] and page["more"]
        status, page = await api.call(
            "GET", f"/api/rooms/{rid}/chat?limit=5&before={ids[-5]}", token=observer["token"]
        )
        assert [m["id"] for m in page["messages"]] == ids[-10:-5] and page["more"]
        status, page = await api.call(
            "GET", f"/api/rooms/{rid}/chat?limit=5&before={ids[2]}", token=observer["token"]
        )
        assert [m["id"] for m in page["messages"]] == ids[:2] and not page["more"]
        status, _ = await api.call("GET", f"/api/rooms/{rid}/chat?limit=0", token=observer["token"])
        assert status == 422
        too_long = "字" * (server.ctx.settings.rooms_chat_max_chars + 1)
        r = await o.call("chat:send", {"room_id": rid, "client_id": cid(), "text": too_long})
        assert r["ok"] is False and r["error"]["code"] == "too_long"
        r = await o.call("chat:delete", {"room_id": rid, "message_id": ids[0]})
        assert r["ok"] is False and r["error"]["code"] == "forbidden"
        r = await h.call("chat:delete", {"room_id": rid, "message_id": ids[0]})
        assert r == {"ok": True, "message_id": ids[0]}
        deleted = await o.wait_for("chat:deleted")
        assert deleted["message_id"] == ids[0]
        status, page = await api.call(
            "GET", f"/api/rooms/{rid}/chat?limit=1&before={ids[1]}", token=observer["token"]
        )
        assert page["messages"][0]["deleted"] and page["messages"][0]["text"] == ""
        r = await h.call("chat:delete", {"room_id": rid, "message_id": 10**9})
        assert r["error"]["code"] == "message_not_found"
        status, _ = await api.call("POST", f"/api/rooms/{rid}/archive", token=host["token"])
        r = await o.call("chat:send", {"room_id": rid, "client_id": cid(), "text": "还能说吗"})
        assert status == 200 and r["error"]["code"] == "room_archived"
        # a retry of a message stored before the archive still gets its answer (not an error)
        r = await h.call("chat:send", {"room_id": rid, "client_id": "m11", "text": "第11条"})
        assert r["ok"] and r["duplicate"] and r["message"]["id"] == ids[11]
    finally:
        await h.close()
        await o.close()


async def test_paging_cursor_beyond_64_bits_is_a_422(api: Api, server: RunningServer) -> None:
    host = await api.register()
    rid = (await create_room(api, host["token"]))["id"]
    for before in [2**63, 2**70, -1]:
        status, err = await api.call("GET", f"/api/rooms/{rid}/chat?before={before}", token=host["token"])
        assert status == 422 and err["error"]["message"].startswith("before:"), (before, err)


async def test_chat_rate_limit_per_user(tmp_path: Path, api: Api) -> None:
    settings = make_settings(tmp_path / "rl", rooms_chat_rate=3)
    async with running_server(settings) as srv:
        api.base = srv.url
        host = await api.register()
        rid = (await create_room(api, host["token"]))["id"]
        a = await Client(srv.url, host["token"]).connect()
        b = await Client(srv.url, host["token"]).connect()  # a second tab of the same user shares the budget
        try:
            await a.join(rid)
            await b.join(rid)
            replies = [
                await c.call("chat:send", {"room_id": rid, "client_id": cid(), "text": "hi"})
                for c in (a, b, a, b)
            ]
            assert [r["ok"] for r in replies] == [True, True, True, False]
            assert replies[-1]["error"]["code"] == "chat_rate"
        finally:
            await a.close()
            await b.close()


async def test_slow_mode_refuses_a_second_message_within_the_interval(
    api: Api, server: RunningServer
) -> None:
    host = await api.register()
    rid = (await create_room(api, host["token"], kind="showcase"))["id"]
    observer = await member(api, host["token"], rid, "observer", as_guest=True)
    moderator = await member(api, host["token"], rid, "moderator", as_guest=True)
    o = await Client(server.url, observer["token"]).connect()
    m = await Client(server.url, moderator["token"]).connect()
    try:
        assert (await o.join(rid))["chat"]["mode"] == {"slow_seconds": 0, "moderated": False}
        await m.join(rid)
        refused = await o.call("chat:set_mode", {"room_id": rid, "slow_seconds": 30})
        assert refused["error"]["code"] == "forbidden"  # observers do not switch modes
        for bad in (-1, chat.SLOW_MAX + 1, "30", 1.5):
            r = await m.call("chat:set_mode", {"room_id": rid, "slow_seconds": bad})
            assert r["error"]["code"] == "validation", (bad, r)
        r = await m.call("chat:set_mode", {"room_id": rid, "slow_seconds": 30})
        assert r["ok"] and r["mode"] == {"slow_seconds": 30, "moderated": False}
        told = await o.wait_for("chat:mode", lambda d: d["slow_seconds"] == 30)
        assert told == {"room_id": rid, "slow_seconds": 30, "moderated": False, "by": moderator["user"]["id"]}

        first = cid()
        assert (await o.call("chat:send", {"room_id": rid, "client_id": first, "text": "第一条"}))["ok"]
        again = await o.call("chat:send", {"room_id": rid, "client_id": cid(), "text": "第二条"})
        err = again["error"]
        assert err["code"] == "chat_slow" and "30" in err["message"], again
        assert err["details"]["slow_seconds"] == 30 and 1 <= err["details"]["retry_after"] <= 30
        # a retry of the message that got through is not a new message: it is answered, not refused
        retry = await o.call("chat:send", {"room_id": rid, "client_id": first, "text": "第一条"})
        assert retry["ok"] and retry["duplicate"]
        # voice notes count as messages too (refused before the body is read)
        status, body = await api.call(
            "POST", f"/api/rooms/{rid}/voice?client_id={cid()}", token=observer["token"],
            data=b"OggS", headers={"Content-Type": "audio/ogg"},
        )  # fmt: skip
        assert status == 429 and body["error"]["code"] == "chat_slow", body
        # moderators are not held back
        for text in ("请大家稍候", "下一环节开始"):
            assert (await m.call("chat:send", {"room_id": rid, "client_id": cid(), "text": text}))["ok"]

        # a late joiner sees the mode in the join state; switching it off lets the observer talk again
        late = await member(api, host["token"], rid, "observer", as_guest=True)
        lc = await Client(server.url, late["token"]).connect()
        try:
            assert (await lc.join(rid))["chat"]["mode"] == {"slow_seconds": 30, "moderated": False}
        finally:
            await lc.close()
        assert (await m.call("chat:set_mode", {"room_id": rid, "slow_seconds": 0}))["ok"]
        assert (await o.call("chat:send", {"room_id": rid, "client_id": cid(), "text": "第三条"}))["ok"]
    finally:
        await o.close()
        await m.close()


async def test_moderator_only_mode_refuses_everyone_else(api: Api, server: RunningServer) -> None:
    host = await api.register()
    rid = (await create_room(api, host["token"], kind="showcase"))["id"]
    observer = await member(api, host["token"], rid, "observer", as_guest=True)
    presenter = await member(api, host["token"], rid, "presenter", as_guest=True)
    moderator = await member(api, host["token"], rid, "moderator", as_guest=True)
    o = await Client(server.url, observer["token"]).connect()
    p = await Client(server.url, presenter["token"]).connect()
    m = await Client(server.url, moderator["token"]).connect()
    h = await Client(server.url, host["token"]).connect()
    try:
        for c in (o, p, m, h):
            await c.join(rid)
        r = await m.call("chat:set_mode", {"room_id": rid, "moderated": True})
        assert r["ok"] and r["mode"] == {"slow_seconds": 0, "moderated": True}
        await o.wait_for("chat:mode", lambda d: d["moderated"])
        for c in (o, p):
            refused = await c.call("chat:send", {"room_id": rid, "client_id": cid(), "text": "我想提问"})
            assert refused["error"]["code"] == "chat_moderated", refused
            assert refused["error"]["message"] == "only moderators may write in the chat now"
        status, body = await api.call(
            "POST", f"/api/rooms/{rid}/voice?client_id={cid()}", token=observer["token"],
            data=b"OggS", headers={"Content-Type": "audio/ogg"},
        )  # fmt: skip
        assert status == 403 and body["error"]["code"] == "chat_moderated", body
        for c, text in ((m, "请看主会场"), (h, "感谢各位")):
            assert (await c.call("chat:send", {"room_id": rid, "client_id": cid(), "text": text}))["ok"]
        # the mode is the room's: a page that reconnects finds it in the join state
        assert (await o.join(rid))["chat"]["mode"]["moderated"] is True
        # slow mode is kept when only the other part changes
        await h.call("chat:set_mode", {"room_id": rid, "slow_seconds": 10})
        r = await h.call("chat:set_mode", {"room_id": rid, "moderated": False})
        assert r["mode"] == {"slow_seconds": 10, "moderated": False}
        assert (await o.call("chat:send", {"room_id": rid, "client_id": cid(), "text": "我想提问"}))["ok"]
        # two switches at once: the last word every page hears is what the room holds
        await h.call("chat:set_mode", {"room_id": rid, "moderated": True})
        for _ in range(3):
            o.forget("chat:mode")
            await asyncio.gather(
                h.call("chat:set_mode", {"room_id": rid, "moderated": False}),
                h.call("chat:set_mode", {"room_id": rid, "slow_seconds": 0}),
            )
            await o.wait_for("chat:mode", lambda _: len(o.events["chat:mode"]) >= 2)
            last = o.events["chat:mode"][-1]
            held = (await o.join(rid))["chat"]["mode"]
            assert held == {"slow_seconds": 0, "moderated": False}
            assert {k: last[k] for k in held} == held, o.events["chat:mode"]
            await h.call("chat:set_mode", {"room_id": rid, "moderated": True, "slow_seconds": 10})
        # an archived room keeps its mode (nothing is said there any more)
        await api.call("POST", f"/api/rooms/{rid}/archive", token=host["token"])
        r = await h.call("chat:set_mode", {"room_id": rid, "moderated": True})
        assert r["error"]["code"] == "room_archived"
    finally:
        for c in (o, p, m, h):
            await c.close()
