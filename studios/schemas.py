"""Pydantic shapes of the studios REST API (bodies in, views out)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, FiniteFloat

from rooms.api import Role, RoomIn, RoomOut
from studios.permissions import StudioRole


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- studios --------------------------------------------------------------------------------------
class StudioIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    subject: str = Field(default="", max_length=64)
    grade_band: str = Field(default="", max_length=64, description="学段, e.g. 初中")
    description: str = Field(default="", max_length=5000)
    host_id: int | None = Field(default=None, description="the host (主持人); default the caller; "
                                "only an administrator names someone else")  # fmt: skip


class StudioPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    subject: str | None = Field(default=None, max_length=64)
    grade_band: str | None = Field(default=None, max_length=64)
    description: str | None = Field(default=None, max_length=5000)


class Counts(BaseModel):
    host: int
    core: int
    participant: int


class StudioOut(BaseModel):
    id: str
    name: str
    subject: str
    grade_band: str
    description: str
    host_id: int
    host_name: str
    created_at: float
    archived_at: float | None
    counts: Counts
    limits: Counts
    my_role: str | None = None


class StudioMemberOut(BaseModel):
    user_id: int
    display_name: str
    school: str
    role: str
    joined_at: float


class StudioMemberPatch(Strict):
    role: Literal["core", "participant"]


# ---- invites --------------------------------------------------------------------------------------
class StudioInviteIn(Strict):
    role: Literal["core", "participant"] = "participant"
    expires_in: float | None = Field(default=None, gt=0, le=366 * 86400, description="seconds from now")
    max_uses: int | None = Field(default=None, ge=1, le=100_000)


class StudioInviteOut(BaseModel):
    id: str
    studio_id: str
    code: str
    link: str
    role: str
    expires_at: float | None
    max_uses: int | None
    uses: int
    created_at: float
    revoked_at: float | None


class StudioInvitePreview(BaseModel):
    studio_id: str
    name: str
    subject: str
    grade_band: str
    host_name: str
    role: str


class StudioRedeemIn(Strict):
    code: str = Field(min_length=4, max_length=32)


class StudioRedeemOut(BaseModel):
    studio_id: str
    role: str


# ---- activities (the studio's rooms) ---------------------------------------------------------------
class RoleMap(Strict):
    """The room role each studio role gets in a studio room (a room ``Member`` row overrides it)."""

    host: Role = Role.HOST
    core: Role = Role.EDITOR
    participant: Role = Role.OBSERVER

    def of(self, role: StudioRole) -> Role:
        return {
            StudioRole.HOST: self.host,
            StudioRole.CORE: self.core,
            StudioRole.PARTICIPANT: self.participant,
        }[role]


class ActivityIn(Strict):
    room: RoomIn
    roles: RoleMap = Field(default_factory=RoleMap)


class ActivityRoles(Strict):
    roles: RoleMap


class ActivityOut(BaseModel):
    room: RoomOut
    studio_id: str
    roles: dict[str, str]
    cycle_id: str | None
    position: int | None
    stage: str
    doc_id: str | None


# ---- cycles ---------------------------------------------------------------------------------------
Stage = Literal["prep", "trial", "showcase"]


class CycleIn(Strict):
    title: str = Field(min_length=1, max_length=200, description="the lesson (课题)")


class StepIn(Strict):
    stage: Stage
    title: str | None = Field(
        default=None, max_length=200, description="default: the stage's name + the lesson"
    )
    starts_at: FiniteFloat | None = None
    ends_at: FiniteFloat | None = None
    roles: RoleMap = Field(default_factory=RoleMap)


class CycleOut(BaseModel):
    id: str
    studio_id: str
    title: str
    created_by: int
    created_at: float
    steps: list[ActivityOut]


class DraftOut(BaseModel):
    number: int
    name: str
    room_id: str
    doc_id: str
    version_id: str
    created_at: float


class TrialOut(BaseModel):
    room_id: str
    title: str
    stage: str
    position: int
    starts_at: float | None
    recordings: list[dict[str, Any]]
    rubric: dict[str, Any] | None
    observation: list[dict[str, Any]]


class CycleView(BaseModel):
    cycle: CycleOut
    drafts: list[DraftOut]
    diffs: list[dict[str, Any]]
    trials: list[TrialOut]
    criteria: list[dict[str, Any]]
