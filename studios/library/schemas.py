"""Request and response shapes of the library's REST API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

TagList = list[str]


class ItemOut(BaseModel):
    id: str
    studio_id: str
    cycle_id: str | None
    room_id: str | None
    kind: str = Field(description="plan, recording, report, voice or file")
    title: str
    subject: str
    grade: str
    description: str
    tags: list[str]
    source_id: str | None = Field(description="the document, recording, segment or voice note it came from")
    filename: str
    content_type: str
    size: int
    visibility: str = Field(description="members or public")
    public_token: str | None = Field(description="set while public: /api/public/library/{token}")
    created_by: int | None
    author: str
    created_at: float
    updated_at: float
    file_url: str


class Facets(BaseModel):
    """What the filters can offer in this studio (over all its items)."""

    subjects: list[str]
    grades: list[str]
    tags: list[str]
    kinds: dict[str, int]
    cycles: list[dict[str, str]]


class ItemPage(BaseModel):
    items: list[ItemOut]
    total: int
    facets: Facets
    can_add: bool = Field(description="the caller may upload and add items")
    can_manage: bool = Field(description="the caller may change any item and publish (host, core members)")


class ItemPatch(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    subject: str | None = Field(default=None, max_length=64)
    grade: str | None = Field(default=None, max_length=64)
    tags: list[str] | None = Field(default=None, max_length=12)
    cycle_id: str | None = Field(default=None, max_length=32, description='"" detaches it from its cycle')
    visibility: Literal["members", "public"] | None = Field(
        default=None, description="public makes a read-only link (studio hosts and core members)"
    )


class FromRoom(BaseModel):
    """Add something a studio room produced. ``kind`` says which id is needed: plan → ``doc_id`` (and
    ``version_id``; default the room's final version, else the live document), recording →
    ``recording_id``, report → ``segment_id`` (and ``format``), voice → ``voice_id``."""

    kind: Literal["plan", "recording", "report", "voice"]
    room_id: str = Field(min_length=1, max_length=32)
    doc_id: str | None = Field(default=None, max_length=32)
    version_id: str | None = Field(default=None, max_length=32)
    recording_id: str | None = Field(default=None, max_length=32)
    segment_id: str | None = Field(default=None, max_length=64)
    voice_id: str | None = Field(default=None, max_length=32)
    format: Literal["docx", "pdf"] = Field(default="docx", description="a report's file format")
    title: str | None = Field(default=None, min_length=1, max_length=200)
    tags: list[str] = Field(default_factory=list, max_length=12)


class PublicItemOut(BaseModel):
    """What a public link shows: no author id, no room, no membership detail."""

    title: str
    kind: str
    subject: str
    grade: str
    description: str
    tags: list[str]
    filename: str
    content_type: str
    size: int
    studio: str
    created_at: float
    token: str = Field(description="the link's token: the showcase page is /showcase/{token}")
    file_url: str
