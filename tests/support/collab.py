"""Collab test helpers: a room with a document and three members, y-websocket at protocol level."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

import aiohttp
import pycrdt

from collab.models import Document
from collab.prosemirror import Node
from collab.protocol import Message, SyncStep1, SyncStep2, decode_frame
from collab.template import lesson_plan_nodes, paragraph, text
from rooms.permissions import Role
from server.db import Database, now
from tests.support.api import Api, add_member, make_room
from tests.support.server import RunningServer


async def make_doc(db: Database, room_id: str, user_id: int, title: str = "《秋天的雨》教案") -> str:
    """Insert a document row (the REST API that creates documents belongs to another package)."""
    doc_id = uuid.uuid4().hex[:16]
    async with db.transaction() as session:
        session.add(Document(id=doc_id, room_id=room_id, title=title, created_by=user_id,
                             created_at=now(), updated_at=now()))  # fmt: skip
    return doc_id


@dataclass
class Setup:
    room_id: str
    doc_id: str
    host: str  # tokens
    editor: str
    observer: str


async def room_with_doc(api: Api, db: Database) -> Setup:
    host, editor, observer = await api.register(), await api.register(), await api.register()
    room_id = await make_room(db, host["user"]["id"])
    await add_member(db, room_id, editor["user"]["id"], Role.EDITOR)
    await add_member(db, room_id, observer["user"]["id"], Role.OBSERVER)
    doc_id = await make_doc(db, room_id, host["user"]["id"])
    return Setup(room_id, doc_id, host["token"], editor["token"], observer["token"])


def text_update(text: str, base: bytes | None = None) -> bytes:
    doc: pycrdt.Doc[pycrdt.Text] = pycrdt.Doc()
    if base:
        doc.apply_update(base)
    sv = doc.get_state()
    t = doc.get("t", type=pycrdt.Text)
    t += text
    return doc.get_update(sv)


def text_of(state: bytes) -> str:
    doc: pycrdt.Doc[pycrdt.Text] = pycrdt.Doc()
    doc.apply_update(state)
    return str(doc.get("t", type=pycrdt.Text))


async def receive(ws: aiohttp.ClientWebSocketResponse, timeout: float = 5) -> list[Message]:
    msg = await ws.receive(timeout)
    assert msg.type == aiohttp.WSMsgType.BINARY, msg
    return decode_frame(msg.data)


async def handshake(ws: aiohttp.ClientWebSocketResponse) -> list[Message]:
    """Read until the server's step 1, answer with our step 1 and read its step 2."""
    seen: list[Message] = []
    while not any(isinstance(m, SyncStep1) for m in seen):
        seen += await receive(ws)
    await ws.send_bytes(bytes(SyncStep1(b"\x00")))
    while not any(isinstance(m, SyncStep2) for m in seen):
        seen += await receive(ws)
    return seen


async def closed_with(ws: aiohttp.ClientWebSocketResponse) -> tuple[int | None, str]:
    while True:
        msg = await ws.receive(5)
        if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
            return ws.close_code, str(msg.extra or "")


@dataclass
class People:
    room_id: str
    host: str
    editor: str
    expert: str
    observer: str
    outsider: str
    editor_id: int


async def people(api: Api, server: RunningServer) -> People:
    host, editor, expert, observer, outsider = await asyncio.gather(*(api.register() for _ in range(5)))
    db = server.ctx.db
    room_id = await make_room(db, host["user"]["id"])
    await add_member(db, room_id, editor["user"]["id"], Role.EDITOR)
    await add_member(db, room_id, expert["user"]["id"], Role.EXPERT)
    await add_member(db, room_id, observer["user"]["id"], Role.OBSERVER)
    return People(room_id, host["token"], editor["token"], expert["token"], observer["token"],
                  outsider["token"], editor["user"]["id"])  # fmt: skip


async def create(
    api: Api, p: People, title: str = "《秋天的雨》教学设计", template: str = "lesson_plan"
) -> Any:
    status, doc = await api.call("POST", f"/api/rooms/{p.room_id}/docs", token=p.editor,
                                 json={"title": title, "template": template})  # fmt: skip
    assert status == 201, doc
    return doc


SAMPLE_THREADS = [{"id": "c1", "author": {"id": 1, "name": "王专家"}, "text": "目标可以再聚焦", "section": "教学目标",
            "section_now": "教学目标", "quote": "知识与技能", "position": None, "resolved": True,
            "replies": [{"author": {"id": 2, "name": "李老师"}, "text": "已修改"}]}]  # fmt: skip


def sample_plan() -> Node:
    nodes = lesson_plan_nodes()
    nodes[1] = paragraph(text("《秋天的雨》"), text("（第二课时）", "italic"))
    return {"type": "doc", "content": nodes}
