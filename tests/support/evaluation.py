"""Shared set-up for evaluation tests: a room with a host, observers and a lead teacher, and their sockets."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import socketio

from evaluation.aggregate import ScoreSheet, TaggedMoment, aggregate
from evaluation.notes import NoteKind, NoteOut
from evaluation.report import Report, note_lines
from evaluation.rubrics import Rubric
from evaluation.scores import EvaluationOut, ScoreOut
from rooms.api import mod_channel, room_channel
from rooms.permissions import Action, Role, allowed
from server.auth.tokens import Principal
from server.db import now
from server.models import User
from tests.support.api import Api, add_member, make_room
from tests.support.server import RunningServer


@dataclass
class Person:
    name: str
    token: str
    user_id: int
    role: Role


@dataclass
class Listener:
    """A Socket.IO client that records what the server pushes to it."""

    client: socketio.AsyncClient
    events: dict[str, list[Any]] = field(default_factory=dict)
    _waiters: list[tuple[str, Any, asyncio.Future[Any]]] = field(default_factory=list)

    def record(self, event: str, data: Any) -> None:
        self.events.setdefault(event, []).append(data)
        for waiter in list(self._waiters):
            name, pred, fut = waiter
            if name == event and not fut.done() and pred(data):
                fut.set_result(data)
                self._waiters.remove(waiter)

    async def wait_for(self, event: str, pred: Any = lambda _d: True, timeout: float = 10) -> Any:
        for data in self.events.get(event, []):
            if pred(data):
                return data
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiters.append((event, pred, fut))
        return await asyncio.wait_for(fut, timeout)

    async def call(self, event: str, data: Any) -> Any:
        return await self.client.call(event, data, timeout=10)


@dataclass
class Lesson:
    server: RunningServer
    api: Api
    room_id: str
    host: Person
    observers: list[Person]
    lead: Person
    guest_editor: Person


async def person(server: RunningServer, name: str, role: Role) -> Person:
    """A user inserted directly with a real signed token (registration's password hashing is slow)."""
    async with server.ctx.db.transaction() as session:
        user = User(username=f"u{uuid.uuid4().hex[:12]}", display_name=name, school="", created_at=now())
        session.add(user)
        await session.flush()
        user_id = user.id
    token = server.ctx.tokens.issue(Principal(user_id=user_id, name=name))
    return Person(name, token, user_id, role)


async def lesson(server: RunningServer, api: Api) -> Lesson:
    host = await person(server, "王主持", Role.HOST)
    room_id = await make_room(server.ctx.db, host.user_id, kind="trial", title="《秋天的雨》试讲研讨")
    observers = [
        await person(server, "李老师", Role.OBSERVER),
        await person(server, "张老师", Role.OBSERVER),
        await person(server, "陈专家", Role.EXPERT),
    ]
    lead = await person(server, "赵老师", Role.PRESENTER)
    editor = await person(server, "孙老师", Role.EDITOR)
    for p in [*observers, lead, editor]:
        await add_member(server.ctx.db, room_id, p.user_id, p.role)
    return Lesson(server, api, room_id, host, observers, lead, editor)


async def _join(server: RunningServer, listener: Listener, room_id: str, p: Person) -> None:
    """Enter the room's Socket.IO rooms: through ``room:join`` once the rooms package provides it,
    until then directly on the server (the same rooms that ``room:join`` puts a client in)."""
    sio = server.ctx.sio
    if "room:join" in sio.handlers.get("/", {}):
        ack = await listener.call("room:join", {"room_id": room_id})
        assert ack["ok"], ack
        return
    sid = listener.client.get_sid()
    await sio.enter_room(sid, room_channel(room_id))
    if allowed(p.role, Action.EVALUATION_MANAGE):
        await sio.enter_room(sid, mod_channel(room_id))


@asynccontextmanager
async def connected(server: RunningServer, room_id: str, *people: Person) -> AsyncIterator[list[Listener]]:
    async with AsyncExitStack() as stack:
        out = []
        for p in people:
            client = socketio.AsyncClient(reconnection=False)
            listener = Listener(client)
            for event in ("note:shared", "eval:aggregate", "eval:segment", "obs:aggregate", "error"):
                client.on(event, lambda data, event=event, listener=listener: listener.record(event, data))
            await client.connect(server.url, auth={"token": p.token}, transports=["websocket"])
            stack.push_async_callback(client.disconnect)
            await _join(server, listener, room_id, p)
            out.append(listener)
        yield out


SEG = "seg-trial-1"


# criterion -> score, per observer (general template: 7 criteria, weights 15×6 + 10)
SHEETS = [
    {
        "goals": 4,
        "content": 4,
        "methods": 3,
        "interaction": 5,
        "participation": 4,
        "effect": 4,
        "literacy": 5,
    },
    {
        "goals": 5,
        "content": 3,
        "methods": 4,
        "interaction": 4,
        "participation": 4,
        "effect": 5,
        "literacy": 4,
    },
    {
        "goals": 3,
        "content": 5,
        "methods": 4,
        "interaction": 3,
        "participation": 4,
        "effect": 3,
        "literacy": 3,
    },
]


def sheet_body(sheet: dict[str, float], rubric_id: str | None = None, comment: str = "") -> dict[str, object]:
    body: dict[str, object] = {
        "scores": [{"criterion": k, "score": v, "comment": f"{k}意见"} for k, v in sheet.items()],
        "comment": comment,
    }
    if rubric_id:
        body["rubric_id"] = rubric_id
    return body


async def choose_general(les: Lesson) -> dict[str, object]:
    status, rubric = await les.api.call(
        "POST", f"/api/rooms/{les.room_id}/rubrics", token=les.host.token, json={"template": "general"}
    )
    assert status == 201, rubric
    return dict(rubric)


NOTES = [  # (observer index, seconds after the first, kind, criterion, text)
    (0, 0, "positive", "interaction", "导入环节用秋天的图片激发兴趣，学生反应热烈"),
    (1, 45, "question", "methods", "小组合作的分工是否明确？"),
    (2, 200, "suggestion", "effect", "朗读指导可以更具体，建议示范读"),
]


async def populate(les: Lesson, at0: float) -> None:
    await choose_general(les)
    for i, (who, offset, kind, criterion, text) in enumerate(NOTES):
        status, note = await les.api.call(
            "POST", f"/api/rooms/{les.room_id}/notes", token=les.observers[who].token,
            json={"client_id": f"n{i}", "text": text, "kind": kind, "criterion": criterion, "segment_id": SEG,
                  "at": at0 + offset, "venue_id": "sanxiao", "shared": True},
        )  # fmt: skip
        assert status == 201, note
    for person, sheet in zip(les.observers, SHEETS, strict=True):
        status, out = await les.api.call(
            "PUT", f"/api/rooms/{les.room_id}/segments/{SEG}/evaluation", token=person.token,
            json=sheet_body(sheet, comment=f"{person.name}：整体设计合理"),
        )  # fmt: skip
        assert status == 200, out


def sample_report(*, anonymous: bool = False) -> Report:
    """A small but complete segment report built from the real aggregation, without a server."""
    rubric = Rubric.model_validate(
        {
            "id": "rb1", "room_id": "room", "version": 3, "created_at": 0.0, "name": "课堂教学评价量表",
            "criteria": [{"key": "goals", "title": "教学目标", "weight": 40}, {"key": "process", "title": "教学过程", "weight": 60}],
        }
    )  # fmt: skip
    evaluations = [
        EvaluationOut(
            id=f"e{i}",
            room_id="room",
            segment_id="seg-1",
            rubric_id="rb1",
            observer_id=None if anonymous else 10 + i,
            observer_name=None if anonymous else name,
            scores=[
                ScoreOut(criterion="goals", score=g, comment="目标清楚"),
                ScoreOut(criterion="process", score=p, comment=""),
            ],
            comment=f"总评{i}",
            created_at=None,
            updated_at=None,
        )  # fmt: skip
        for i, (name, g, p) in enumerate([("李老师", 4, 5), ("赵老师", 3, 4)])
    ]
    sheets = [ScoreSheet({s.criterion: s.score for s in e.scores}) for e in evaluations]
    agg = aggregate(rubric, sheets, [TaggedMoment(1000.0, "positive", "goals")], bucket_seconds=60)
    notes = [
        NoteOut(
            id=f"n{i}",
            room_id="room",
            client_id=f"c{i}",
            author_id=10,
            author_name="李老师",
            segment_id="seg-1",
            at=at,
            venue_id="v1",
            text=text,
            kind=kind,
            criterion=criterion,
            shared=True,
            shared_at=at,
            created_at=at,
            updated_at=at,
        )  # fmt: skip
        for i, (at, text, kind, criterion) in enumerate(
            [
                (1_700_000_000.0, "导入自然", NoteKind.POSITIVE, "goals"),
                (1_700_000_095.0, "提问太快", NoteKind.QUESTION, None),
            ]
        )
    ]
    return Report(
        room_title="《秋天的雨》试讲", segment_id="seg-1", segment_title="第一课时", rubric=rubric, aggregate=agg,
        anonymous=anonymous, evaluations=evaluations, notes=note_lines(notes, rubric, ZoneInfo("Asia/Shanghai")),
        charts={}, generated="2026-12-04 18:00", bucket_seconds=60,
    )  # fmt: skip


async def fetch_report(les: Lesson, fmt: str) -> tuple[int, bytes, str]:
    """Download the segment ``SEG``'s report in ``fmt`` as the host: status, body, Content-Disposition."""
    async with les.api.http.get(
        f"{les.api.base}/api/rooms/{les.room_id}/segments/{SEG}/report?format={fmt}",
        headers={"Authorization": f"Bearer {les.host.token}"},
    ) as resp:
        return resp.status, await resp.read(), resp.headers.get("Content-Disposition", "")
