"""Library items in the database: create, find (filters + full-text), change, delete; their JSON shape."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db import Database, now
from server.errors import NotFound, ValidationError
from server.models import User
from studios.library import files
from studios.library.models import Kind, LibraryItem, LibraryTag, Visibility
from studios.library.schemas import Facets, ItemOut, ItemPatch
from studios.library.search import SearchIndex
from studios.models import Cycle, Studio

MAX_TAGS = 12
MAX_TAG_CHARS = 32
PAGE_MAX = 100


def clean_tags(tags: Sequence[str]) -> list[str]:
    """Trimmed, distinct, in order; 422 for too many or too long."""
    out: list[str] = []
    for raw in tags:
        tag = raw.strip()
        if not tag or tag in out:
            continue
        if len(tag) > MAX_TAG_CHARS:
            raise ValidationError(f"tags: each at most {MAX_TAG_CHARS} characters", code="bad_tag")
        out.append(tag)
    if len(out) > MAX_TAGS:
        raise ValidationError(f"tags: at most {MAX_TAGS}", code="bad_tag")
    return out


@dataclass
class NewItem:
    """What an item is made of before it is stored; its file is already under ``DATA_DIR/library``."""

    studio_id: str
    kind: Kind
    title: str
    filename: str
    stored: str
    content_type: str
    size: int
    created_by: int
    room_id: str | None = None
    cycle_id: str | None = None
    source_id: str | None = None
    subject: str | None = None  # None: the studio's subject
    grade: str | None = None  # None: the studio's grade band
    description: str = ""
    content_text: str = ""
    tags: list[str] = field(default_factory=list)


def search_text(item: LibraryItem, tags: Sequence[str]) -> str:
    """Everything a search may match: title, description, file name, tags, and the plan's or report's text."""
    return "\n".join([item.title, item.description, item.filename, " ".join(tags), item.content_text])


async def check_cycle(session: AsyncSession, studio_id: str, cycle_id: str | None) -> None:
    if cycle_id is None:
        return
    cycle = await session.get(Cycle, cycle_id)
    if cycle is None or cycle.studio_id != studio_id:
        raise ValidationError("cycle_id: not a cycle of this studio", code="cycle_not_found")


async def create(db: Database, index: SearchIndex, new: NewItem) -> LibraryItem:
    tags = clean_tags(new.tags)
    async with db.transaction() as session:
        studio = await session.get(Studio, new.studio_id)
        if studio is None:
            raise NotFound(f"studio {new.studio_id} not found", code="studio_not_found")
        await check_cycle(session, new.studio_id, new.cycle_id)
        stamp = now()
        item = LibraryItem(
            id=uuid.uuid4().hex, studio_id=new.studio_id, cycle_id=new.cycle_id, room_id=new.room_id,
            kind=new.kind.value, title=new.title[:200], description=new.description,
            subject=studio.subject if new.subject is None else new.subject,
            grade=studio.grade_band if new.grade is None else new.grade,
            content_text=new.content_text, source_id=new.source_id, filename=new.filename[:200],
            stored=new.stored, content_type=new.content_type, size=new.size,
            visibility=Visibility.MEMBERS.value, created_by=new.created_by, created_at=stamp, updated_at=stamp,
        )  # fmt: skip
        session.add(item)
        await session.flush()
        session.add_all(LibraryTag(item_id=item.id, tag=t, position=i) for i, t in enumerate(tags))
        await index.put(session, item.id, search_text(item, tags))
    return item


async def get(db: Database, item_id: str) -> LibraryItem:
    async with db.session() as session:
        item = await session.get(LibraryItem, item_id)
    if item is None:
        raise NotFound(f"library item {item_id} not found", code="item_not_found")
    return item


async def by_token(db: Database, token: str) -> LibraryItem:
    """The public item behind a share link; 404 once it is no longer public (the link is revoked)."""
    async with db.session() as session:
        item = await session.scalar(select(LibraryItem).where(LibraryItem.public_token == token))
    if item is None or item.visibility != Visibility.PUBLIC:
        raise NotFound("this link does not lead to a public resource", code="link_not_found")
    return item


@dataclass(frozen=True)
class Filters:
    q: str = ""
    kind: str = ""
    subject: str = ""
    grade: str = ""
    tag: str = ""
    cycle_id: str = ""
    public_only: bool = False
    limit: int = 50
    offset: int = 0


async def find(db: Database, index: SearchIndex, studio_id: str, f: Filters) -> tuple[list[LibraryItem], int]:
    """One page of the studio's items matching every filter: best match first when searching, else newest."""
    stmt = select(LibraryItem).where(LibraryItem.studio_id == studio_id)
    order = [LibraryItem.created_at.desc(), LibraryItem.id]
    if f.q.strip():
        hits = index.hits(f.q)
        if hits is None:
            return [], 0
        stmt = stmt.join(hits, hits.c.item_id == LibraryItem.id)
        order = [hits.c.score.desc(), *order]
    for column, value in ((LibraryItem.kind, f.kind), (LibraryItem.subject, f.subject),
                          (LibraryItem.grade, f.grade), (LibraryItem.cycle_id, f.cycle_id)):  # fmt: skip
        if value:
            stmt = stmt.where(column == value)
    if f.tag:
        stmt = stmt.where(LibraryItem.id.in_(select(LibraryTag.item_id).where(LibraryTag.tag == f.tag)))
    if f.public_only:
        stmt = stmt.where(LibraryItem.visibility == Visibility.PUBLIC.value)
    async with db.session() as session:
        total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = (await session.scalars(stmt.order_by(*order).limit(f.limit).offset(f.offset))).all()
    return list(rows), total


async def facets(db: Database, studio_id: str) -> Facets:
    async with db.session() as session:
        mine = LibraryItem.studio_id == studio_id
        subjects = (await session.scalars(select(LibraryItem.subject).where(mine, LibraryItem.subject != "")
                                          .distinct().order_by(LibraryItem.subject))).all()  # fmt: skip
        grades = (await session.scalars(select(LibraryItem.grade).where(mine, LibraryItem.grade != "")
                                        .distinct().order_by(LibraryItem.grade))).all()  # fmt: skip
        tags = (await session.scalars(select(LibraryTag.tag).join(LibraryItem).where(mine)
                                      .distinct().order_by(LibraryTag.tag))).all()  # fmt: skip
        kinds = (await session.execute(select(LibraryItem.kind, func.count()).where(mine)
                                       .group_by(LibraryItem.kind))).all()  # fmt: skip
        cycles = (await session.execute(select(Cycle.id, Cycle.title).where(Cycle.studio_id == studio_id)
                                        .order_by(Cycle.created_at))).all()  # fmt: skip
    return Facets(subjects=list(subjects), grades=list(grades), tags=list(tags),
                  kinds={k: n for k, n in kinds}, cycles=[{"id": i, "title": t} for i, t in cycles])  # fmt: skip


async def update(db: Database, index: SearchIndex, item_id: str, patch: ItemPatch) -> LibraryItem:
    async with db.transaction() as session:
        item = await session.get(LibraryItem, item_id, with_for_update=True)
        if item is None:
            raise NotFound(f"library item {item_id} not found", code="item_not_found")
        for name in ("title", "description", "subject", "grade"):
            value = getattr(patch, name)
            if value is not None:
                setattr(item, name, value.strip() if name != "description" else value)
        if patch.cycle_id is not None:
            await check_cycle(session, item.studio_id, patch.cycle_id or None)
            item.cycle_id = patch.cycle_id or None
        if patch.visibility is not None and patch.visibility != item.visibility:
            item.visibility = patch.visibility
            # a fresh token each time it is published: making it private revokes every link handed out
            item.public_token = secrets.token_urlsafe(24) if patch.visibility == Visibility.PUBLIC else None
        if patch.tags is not None:
            tags = clean_tags(patch.tags)
            await session.execute(delete(LibraryTag).where(LibraryTag.item_id == item.id))
            session.add_all(LibraryTag(item_id=item.id, tag=t, position=i) for i, t in enumerate(tags))
        else:
            tags = await _tags(session, item.id)
        item.updated_at = now()
        await index.put(session, item.id, search_text(item, tags))
    return item


async def remove(db: Database, index: SearchIndex, data_dir: Path, item: LibraryItem) -> None:
    async with db.transaction() as session:
        await index.remove(session, item.id)
        await session.execute(delete(LibraryTag).where(LibraryTag.item_id == item.id))
        await session.execute(delete(LibraryItem).where(LibraryItem.id == item.id))
    await files.remove(data_dir, item.stored)


async def _tags(session: AsyncSession, item_id: str) -> list[str]:
    rows = await session.scalars(
        select(LibraryTag.tag).where(LibraryTag.item_id == item_id).order_by(LibraryTag.position)
    )
    return list(rows.all())


async def out(db: Database, items: Sequence[LibraryItem]) -> list[ItemOut]:
    """The items' JSON shape, with their tags and authors' names (two queries for the whole page)."""
    ids = [i.id for i in items]
    authors = {i.created_by for i in items if i.created_by is not None}
    tags: dict[str, list[str]] = {i: [] for i in ids}
    names: dict[int, str] = {}
    if ids:
        async with db.session() as session:
            rows = await session.execute(select(LibraryTag.item_id, LibraryTag.tag)
                                         .where(LibraryTag.item_id.in_(ids)).order_by(LibraryTag.position))  # fmt: skip
            for item_id, tag in rows.all():
                tags[item_id].append(tag)
            if authors:
                users = await session.execute(select(User.id, User.display_name).where(User.id.in_(authors)))
                names = {uid: name for uid, name in users.all()}
    return [
        ItemOut(
            id=i.id,
            studio_id=i.studio_id,
            cycle_id=i.cycle_id,
            room_id=i.room_id,
            kind=i.kind,
            title=i.title,
            subject=i.subject,
            grade=i.grade,
            description=i.description,
            tags=tags[i.id],
            source_id=i.source_id,
            filename=i.filename,
            content_type=i.content_type,
            size=i.size,
            visibility=i.visibility,
            public_token=i.public_token,
            created_by=i.created_by,
            author=names.get(i.created_by or 0, ""),
            created_at=i.created_at,
            updated_at=i.updated_at,
            file_url=f"/api/library/{i.id}/file",
        )  # fmt: skip
        for i in items
    ]
