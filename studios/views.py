"""Model rows -> API views, and the small reads several studio modules share."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.config import Settings
from server.models import User
from studios.models import Studio, StudioInvite, StudioMember
from studios.permissions import StudioRole
from studios.schemas import Counts, StudioInviteOut, StudioMemberOut, StudioOut


def limits_of(settings: Settings) -> Counts:
    return Counts(host=1, core=settings.studios_max_core, participant=settings.studios_max_participants)


async def role_counts(session: AsyncSession, studio_id: str) -> Counts:
    rows = await session.execute(
        select(StudioMember.role, func.count())
        .where(StudioMember.studio_id == studio_id)
        .group_by(StudioMember.role)
    )
    found = {role: int(n) for role, n in rows}
    return Counts(**{r.value: found.get(r.value, 0) for r in StudioRole})


async def studio_out(
    session: AsyncSession, studio: Studio, settings: Settings, my_role: str | None
) -> StudioOut:
    host = await session.get(User, studio.host_id)
    return StudioOut(
        id=studio.id, name=studio.name, subject=studio.subject, grade_band=studio.grade_band,
        description=studio.description, host_id=studio.host_id, host_name=host.display_name if host else "",
        created_at=studio.created_at, archived_at=studio.archived_at,
        counts=await role_counts(session, studio.id), limits=limits_of(settings), my_role=my_role,
    )  # fmt: skip


async def members_of(session: AsyncSession, studio_id: str) -> list[StudioMemberOut]:
    order = {StudioRole.HOST.value: 0, StudioRole.CORE.value: 1, StudioRole.PARTICIPANT.value: 2}
    rows = await session.execute(
        select(
            StudioMember.user_id, User.display_name, User.school, StudioMember.role, StudioMember.joined_at
        )
        .join(User, User.id == StudioMember.user_id)
        .where(StudioMember.studio_id == studio_id)
        .order_by(StudioMember.joined_at)
    )
    members = [
        StudioMemberOut(
            user_id=r.user_id,
            display_name=r.display_name,
            school=r.school,
            role=r.role,
            joined_at=r.joined_at,
        )  # fmt: skip
        for r in rows
    ]
    return sorted(members, key=lambda m: order.get(m.role, 3))


def invite_out(i: StudioInvite, base_url: str) -> StudioInviteOut:
    return StudioInviteOut(
        id=i.id, studio_id=i.studio_id, code=i.code, link=f"{base_url}/studio-join/{i.code}", role=i.role,
        expires_at=i.expires_at, max_uses=i.max_uses, uses=i.uses, created_at=i.created_at,
        revoked_at=i.revoked_at,
    )  # fmt: skip
