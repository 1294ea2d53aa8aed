"""Invite codes (邀请码): short, human-typable, race-free redemption."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rooms.models import Invite, Member
from rooms.permissions import Role
from server.db import now
from server.errors import NotFound

# No 0/O, 1/I/L: codes are read aloud and typed on school PCs.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw: str) -> str:
    """Accept what people type: lower case, spaces and dashes."""
    return raw.upper().replace(" ", "").replace("-", "")


def new_id() -> str:
    return secrets.token_hex(8)


async def create_invite(
    session: AsyncSession,
    *,
    room_id: str,
    role: Role,
    created_by: int,
    expires_at: float | None = None,
    max_uses: int | None = None,
) -> Invite:
    invite = Invite(
        id=new_id(), room_id=room_id, code=new_code(), role=role.value, expires_at=expires_at,
        max_uses=max_uses, uses=0, created_by=created_by, created_at=now(),
    )  # fmt: skip
    session.add(invite)
    await session.flush()
    return invite


@dataclass(frozen=True)
class Redemption:
    room_id: str
    role: Role


async def redeem(session: AsyncSession, code: str, user_id: int) -> Redemption:
    """Use one invite: atomically count the use and add the member. Any failure is the same 404,
    so an expired, revoked, used-up or unknown code tells a guesser nothing."""
    code = normalize_code(code)
    t = now()
    result = await session.execute(
        update(Invite)
        .where(
            Invite.code == code,
            Invite.revoked_at.is_(None),
            or_(Invite.expires_at.is_(None), Invite.expires_at > t),
            or_(Invite.max_uses.is_(None), Invite.uses < Invite.max_uses),
        )
        .values(uses=Invite.uses + 1)
        .returning(Invite.room_id, Invite.role)
    )
    row = result.first()
    if row is None:
        raise NotFound("invite code is not valid", code="invite_invalid")
    existing = await session.get(Member, (row.room_id, user_id))
    if existing is None:
        session.add(Member(room_id=row.room_id, user_id=user_id, role=row.role, joined_at=t))
        role = Role(row.role)
    else:
        role = Role(existing.role)
    return Redemption(room_id=row.room_id, role=role)


async def find_invite(session: AsyncSession, code: str) -> Invite | None:
    res = await session.execute(select(Invite).where(Invite.code == normalize_code(code)))
    return res.scalar_one_or_none()
