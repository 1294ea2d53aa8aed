"""Notes: stamped from the venue controller's hand-offs and the agenda, offline resends, crash safety."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import socketio
from sqlalchemy import func, select

from evaluation.models import Note
from rooms.permissions import Role
from server.db import Database
from tests.support.api import Api, add_member, make_room
from tests.support.evaluation import SHEETS, choose_general, connected, lesson, sheet_body
from tests.support.media import make_venue
from tests.support.server import RunningServer, ServerProcess
from venues.models import Handoff


async def test_main_venue_comes_from_the_handoff_log(api: Api, server: RunningServer) -> None:
    les = await lesson(server, api)
    t = time.time()
    async with server.ctx.db.transaction() as session:
        for epoch, (ago, to) in enumerate([(300, "yixiao"), (200, "sanxiao"), (100, None)], start=1):
            session.add(
                Handoff(
                    room_id=les.room_id,
                    epoch=epoch,
                    kind="switch",
                    from_venue=None,
                    to_venue=to,
                    requested_at=t - ago,
                )
            )
        # a cut that failed on the wire did not change what people saw
        session.add(
            Handoff(
                room_id=les.room_id,
                epoch=9,
                kind="switch",
                from_venue="sanxiao",
                to_venue="zhongxin",
                requested_at=t - 150,
                switched=False,
            )
        )
    async with connected(server, les.room_id, les.observers[0]) as (sock,):
        stamps = []
        for i, ago in enumerate([400, 250, 120, 50]):
            ack = await sock.call(
                "note:add",
                {
                    "room_id": les.room_id,
                    "client_id": f"v{i}",
                    "text": "记录",
                    "at": t - ago,
                    "venue_id": "client-says",
                },
            )
            assert ack["ok"], ack
            stamps.append(ack["note"]["venue_id"])
    assert stamps == [None, "yixiao", "sanxiao", None]  # before any hand-off / 一小 / 三小 / the slate


async def test_segments_must_be_on_the_agenda_once_there_is_one(api: Api, server: RunningServer) -> None:
    les = await lesson(server, api)
    await choose_general(les)
    status, agenda = await api.call("PUT", f"/api/rooms/{les.room_id}/agenda", token=les.host.token,
                                    json={"segments": [{"title": "开场介绍"}, {"title": "第一节课：《秋天的雨》"}]})  # fmt: skip
    assert status == 200, agenda
    lesson_seg = agenda["segments"][1]["id"]
    observer = les.observers[0]
    status, err = await api.call(
        "PUT",
        f"/api/rooms/{les.room_id}/segments/not-on-agenda/evaluation",
        token=observer.token,
        json=sheet_body(SHEETS[0]),
    )
    assert status == 404 and err["error"]["code"] == "segment_not_found"
    async with connected(server, les.room_id, observer) as (sock,):
        ack = await sock.call(
            "note:add",
            {"room_id": les.room_id, "client_id": "a", "text": "好", "segment_id": "not-on-agenda"},
        )
        assert ack["ok"] is False and ack["error"]["code"] == "segment_not_found"
        ack = await sock.call(
            "note:add",
            {
                "room_id": les.room_id,
                "client_id": "b",
                "text": "好",
                "segment_id": lesson_seg,
                "shared": True,
            },
        )
        assert ack["ok"]
    status, out = await api.call(
        "PUT",
        f"/api/rooms/{les.room_id}/segments/{lesson_seg}/evaluation",
        token=observer.token,
        json=sheet_body(SHEETS[0]),
    )
    assert status == 200, out
    async with api.http.get(f"{api.base}/api/rooms/{les.room_id}/segments/{lesson_seg}/report?format=html",
                            headers={"Authorization": f"Bearer {les.host.token}"}) as resp:  # fmt: skip
        assert "第一节课：《秋天的雨》" in await resp.text()


async def test_offline_notes_are_resent_without_duplicates(api: Api, server: RunningServer) -> None:
    les = await lesson(server, api)
    me = les.observers[0]
    skew = 3600.0  # the laptop's clock is an hour fast
    written = time.time() + skew - 120  # two minutes ago, on that clock
    outbox = [
        {"room_id": les.room_id, "client_id": f"off-{i}", "text": f"离线记录{i}", "at": written + i}
        for i in range(3)
    ]
    # back online on two connections at once (an old tab and a new one): both resend the outbox
    async with connected(server, les.room_id, me, me) as (a, b):
        results = await asyncio.gather(
            *(s.call("note:add", {**n, "client_now": time.time() + skew}) for n in outbox for s in (a, b))
        )
    assert all(r["ok"] for r in results)
    ids = {r["note"]["client_id"]: r["note"]["id"] for r in results}
    for r in results:
        assert r["note"]["id"] == ids[r["note"]["client_id"]]
    assert sorted(r["created"] for r in results) == [False] * 3 + [True] * 3
    for r in results:  # stamped on the server's clock: two minutes ago, whatever the laptop says
        assert abs(r["note"]["at"] - (time.time() - 120 + int(r["note"]["client_id"][-1]))) < 10
    async with server.ctx.db.session() as session:
        count = await session.scalar(
            select(func.count()).select_from(Note).where(Note.room_id == les.room_id)
        )
    assert count == 3


async def test_acknowledged_note_and_score_survive_sigkill(tmp_path: Path) -> None:
    data = tmp_path / "var"
    proc = await ServerProcess(data).start()
    try:
        async with aiohttp.ClientSession() as http:
            api = Api(http, proc.url)
            host, observer = (
                await api.register(display_name="王主持"),
                await api.register(display_name="李老师"),
            )
            db = Database(f"sqlite+aiosqlite:///{data / 'moke.db'}")
            await db.start(migrate=False)
            try:
                room_id = await make_room(db, host["user"]["id"])
                await add_member(db, room_id, observer["user"]["id"], Role.OBSERVER)
            finally:
                await db.stop()
            status, _ = await api.call(
                "POST", f"/api/rooms/{room_id}/rubrics", token=host["token"], json={"template": "general"}
            )
            assert status == 201
            client = socketio.AsyncClient(reconnection=False)
            await client.connect(proc.url, auth={"token": observer["token"]}, transports=["websocket"])
            ack = await client.call(
                "note:add", {"room_id": room_id, "client_id": "k1", "text": "板书设计清楚"}, timeout=10
            )
            assert ack["ok"]
            status, _ = await api.call(
                "PUT",
                f"/api/rooms/{room_id}/segments/s1/evaluation",
                token=observer["token"],
                json=sheet_body(SHEETS[0]),
            )
            assert status == 200
            proc.kill()  # SIGKILL right after the acks
            await client.disconnect()
            proc = await proc.restart()
            api.base = proc.url
            status, notes = await api.call("GET", f"/api/rooms/{room_id}/notes", token=observer["token"])
            assert [n["id"] for n in notes] == [ack["note"]["id"]]
            status, mine = await api.call(
                "GET", f"/api/rooms/{room_id}/segments/s1/evaluation", token=observer["token"]
            )
            assert status == 200 and {s["criterion"]: s["score"] for s in mine["scores"]} == SHEETS[0]
    finally:
        proc.kill()


async def test_non_finite_note_times_are_refused_over_rest_and_socketio(
    api: Api, server: RunningServer
) -> None:
    les = await lesson(server, api)
    me = les.observers[0]
    headers = {"Content-Type": "application/json"}
    for field, number in [
        ("at", b"NaN"),
        ("at", b"Infinity"),
        ("client_now", b"-Infinity"),
        ("at", b"1e999"),
    ]:
        body = b'{"client_id": "n1", "text": "x", "%s": %s}' % (field.encode(), number)
        status, err = await api.call("POST", f"/api/rooms/{les.room_id}/notes", token=me.token, data=body,
                                     headers=headers)  # fmt: skip
        assert status == 422 and err["error"]["details"][0]["field"] == field, err
    async with connected(server, les.room_id, me) as (sock,):
        ack = await sock.call(
            "note:add", {"room_id": les.room_id, "client_id": "n2", "text": "x", "at": float("nan")}
        )
    assert not ack["ok"] and ack["error"]["code"] == "validation", ack
    async with server.ctx.db.session() as session:
        assert (
            await session.scalar(select(func.count()).select_from(Note).where(Note.room_id == les.room_id))
            == 0
        )


async def test_another_rooms_venue_and_segment_are_not_found(api: Api, server: RunningServer) -> None:
    les, other = await lesson(server, api), await lesson(server, api)
    await choose_general(les)
    await choose_general(other)
    foreign_venue = await make_venue(server, other.room_id, None)
    own_venue = await make_venue(server, les.room_id, None)
    status, agenda = await api.call("PUT", f"/api/rooms/{other.room_id}/agenda", token=other.host.token,
                                    json={"segments": [{"title": "别的房间的环节"}]})  # fmt: skip
    assert status == 200, agenda
    foreign_seg = agenda["segments"][0]["id"]
    notes_url = f"/api/rooms/{les.room_id}/notes"
    observer = les.observers[0]
    status, err = await api.call(
        "POST",
        notes_url,
        token=observer.token,
        json={"client_id": "x", "text": "好", "venue_id": foreign_venue},
    )
    assert status == 404 and err["error"]["code"] == "venue_not_found", err
    status, err = await api.call(
        "POST",
        notes_url,
        token=observer.token,
        json={"client_id": "y", "text": "好", "segment_id": foreign_seg},
    )
    assert status == 404 and err["error"]["code"] == "segment_not_found", err
    status, note = await api.call(
        "POST", notes_url, token=observer.token, json={"client_id": "z", "text": "好", "venue_id": own_venue}
    )
    assert status == 201 and note["venue_id"] == own_venue, note
    async with server.ctx.db.session() as session:
        stored = await session.scalar(
            select(func.count()).select_from(Note).where(Note.room_id == les.room_id)
        )
    assert stored == 1
    for fmt in ("html", "csv"):
        url = f"{api.base}/api/rooms/{les.room_id}/segments/{foreign_seg}/report?format={fmt}"
        async with api.http.get(url, headers={"Authorization": f"Bearer {les.host.token}"}) as resp:
            assert resp.status == 404, await resp.text()
            assert (await resp.json())["error"]["code"] == "segment_not_found"
    # the owning room still gets its report
    url = f"{api.base}/api/rooms/{other.room_id}/segments/{foreign_seg}/report?format=html"
    async with api.http.get(url, headers={"Authorization": f"Bearer {other.host.token}"}) as resp:
        assert resp.status == 200 and "别的房间的环节" in await resp.text()


async def test_a_marker_is_a_kind_at_a_moment_written_out_later(api: Api, server: RunningServer) -> None:
    les = await lesson(server, api)
    me = les.observers[0]
    base = f"/api/rooms/{les.room_id}/notes"
    status, err = await api.call("POST", base, token=me.token, json={"client_id": "m0", "text": "  "})
    assert status == 422 and err["error"]["code"] == "note_empty"  # no kind: not a marker, just empty
    at = time.time() - 30
    status, marker = await api.call("POST", base, token=me.token,
                                    json={"client_id": "m1", "kind": "question", "at": at, "shared": False})  # fmt: skip
    assert status == 201 and marker["text"] == "" and marker["at"] == at
    status, filled = await api.call(
        "PATCH", f"{base}/{marker['id']}", token=me.token, json={"text": "为什么跳过例题？"}
    )
    assert status == 200 and filled["text"] == "为什么跳过例题？" and filled["at"] == at
