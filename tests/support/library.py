"""Library test helpers: a studio with members straight in the database, and small real files of each
accepted type (and some that only pretend to be)."""

from __future__ import annotations

import io
import json
import struct
import urllib.parse
import urllib.request
import uuid
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any

from server.db import Database, now
from studios.models import Cycle, Studio, StudioMember, StudioRoom
from tests.support.api import Api


@dataclass
class Team:
    studio_id: str
    host: str  # tokens
    core: str
    participant: str
    outsider: str
    host_id: int
    participant_id: int


async def make_studio(db: Database, host_id: int, members: dict[int, str], *, name: str = "王老师语文工作室",
                      subject: str = "语文", grade_band: str = "小学") -> str:  # fmt: skip
    studio_id = uuid.uuid4().hex[:16]
    async with db.transaction() as session:
        session.add(Studio(id=studio_id, name=name, subject=subject, grade_band=grade_band, host_id=host_id,
                           created_by=host_id, created_at=now(), updated_at=now()))  # fmt: skip
        await session.flush()
        session.add(StudioMember(studio_id=studio_id, user_id=host_id, role="host", joined_at=now()))
        session.add_all(
            StudioMember(studio_id=studio_id, user_id=u, role=r, joined_at=now()) for u, r in members.items()
        )
    return studio_id


async def team(api: Api, db: Database) -> Team:
    host, core, participant, outsider = [await api.register() for _ in range(4)]
    studio_id = await make_studio(db, host["user"]["id"], {core["user"]["id"]: "core",
                                                           participant["user"]["id"]: "participant"})  # fmt: skip
    return Team(studio_id, host["token"], core["token"], participant["token"], outsider["token"],
                host["user"]["id"], participant["user"]["id"])  # fmt: skip


async def make_cycle(db: Database, studio_id: str, user_id: int, title: str = "《秋天的雨》") -> str:
    cycle_id = uuid.uuid4().hex[:16]
    async with db.transaction() as session:
        session.add(
            Cycle(id=cycle_id, studio_id=studio_id, title=title, created_by=user_id, created_at=now())
        )
    return cycle_id


async def add_studio_room(db: Database, studio_id: str, room_id: str, user_id: int, *, cycle_id: str | None = None,
                          doc_id: str | None = None, final_version_id: str | None = None) -> None:  # fmt: skip
    async with db.transaction() as session:
        session.add(StudioRoom(room_id=room_id, studio_id=studio_id, host_role="host", core_role="editor",
                               participant_role="observer", cycle_id=cycle_id, position=0 if cycle_id else None,
                               doc_id=doc_id, final_version_id=final_version_id, added_by=user_id,
                               added_at=now()))  # fmt: skip


def pdf_bytes(pages: int = 1) -> bytes:
    """A small valid PDF (text-free pages), padded so range requests have something to cut."""
    body = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    body += b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    body += b"%" + b"0123456789" * 400 + b"\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    return body


def png_bytes(width: int = 4, height: int = 4) -> bytes:
    def chunk(tag: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + b"\xff\x80\x00" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    )


def ooxml_bytes(main_part: str) -> bytes:
    """A minimal OOXML package whose main part is ``main_part`` (``ppt/presentation.xml``: a PPTX)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        )
        z.writestr(main_part, '<?xml version="1.0"?><root/>')
    return buf.getvalue()


def plain_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "not an office document")
    return buf.getvalue()


def upload_sync(
    base: str, token: str, studio_id: str, filename: str, data: bytes, **query: str
) -> dict[str, Any]:
    """Upload a library file from a synchronous test (the browser tests' REST client sends JSON only)."""
    params = urllib.parse.urlencode({"filename": filename, **query})
    req = urllib.request.Request(f"{base}/api/studios/{studio_id}/library/files?{params}", data=data, method="POST",
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"})  # fmt: skip
    with urllib.request.urlopen(req, timeout=15) as resp:
        assert resp.status == 201
        return dict(json.loads(resp.read()))
