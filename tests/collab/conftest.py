from __future__ import annotations

import uuid
from dataclasses import dataclass

from collab.models import Document
from rooms.permissions import Role
from server.db import Database, now
from tests.support.api import Api, add_member, make_room


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
