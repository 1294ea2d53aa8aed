"""Invite codes (邀请码): short, human-typable, race-free redemption.

The code machinery serves every invite (:class:`~rooms.models.InviteFields`: a room's here, a studio's in
``studios``): issuing with a fresh code, whether one is usable, counting a use atomically, revoking.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Row, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rooms.models import Invite, InviteFields, Member
from rooms.permissions import Role
from server.db import Database, now
from server.errors import NotFound

InviteT = TypeVar("InviteT", bound=InviteFields)
INVALID = "invite code is not valid"  # one answer for unknown, expired, revoked and used-up codes

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


def usable(invite: InviteFields, t: float) -> bool:
    """Not revoked, not expired, not used up (what a preview says; a redemption checks it atomically)."""
    return (
        invite.revoked_at is None
        and (invite.expires_at is None or invite.expires_at > t)
        and (invite.max_uses is None or invite.uses < invite.max_uses)
    )


async def issue(db: Database, build: Callable[[str], InviteT]) -> InviteT:
    """Store ``build(code)`` with a fresh code, trying another code on the (astronomically rare) collision."""
    for _ in range(5):
        try:
            async with db.transaction() as session:
                invite = build(new_code())
                session.add(invite)
            return invite
        except IntegrityError:
            continue
    raise RuntimeError("could not allocate an invite code")  # pragma: no cover


async def load(db: Database, model: type[InviteT], invite_id: str) -> InviteT:
    async with db.session() as session:
        invite = await session.get(model, invite_id)
    if invite is None:
        raise NotFound("invite not found", code="invite_not_found")
    return invite


async def revoke(db: Database, model: type[InviteT], invite_id: str) -> InviteT:
    """Revoke an invite (again is a no-op); the caller has authorised it."""
    async with db.transaction() as session:
        row = await session.get(model, invite_id)
        if row is None:
            raise NotFound("invite not found", code="invite_not_found")
        if row.revoked_at is None:
            row.revoked_at = now()
    return row


async def find(session: AsyncSession, model: type[InviteT], code: str) -> InviteT | None:
    return await session.scalar(select(model).where(model.code == normalize_code(code)))


async def count_use(
    session: AsyncSession, model: type[InviteT], code: str, *returning: Any
) -> Row[Any] | None:
    """Count one use of a usable invite atomically and return its ``returning`` columns; None when the code
    is unknown, revoked, expired or used up. An error later in the transaction rolls the use back."""
    t = now()
    result = await session.execute(
        update(model)
        .where(
            model.code == normalize_code(code),
            model.revoked_at.is_(None),
            or_(model.expires_at.is_(None), model.expires_at > t),
            or_(model.max_uses.is_(None), model.uses < model.max_uses),
        )
        .values(uses=model.uses + 1)
        .returning(*returning)
    )
    return result.first()


def room_invite(
    code: str,
    *,
    room_id: str,
    role: Role,
    created_by: int,
    expires_at: float | None = None,
    max_uses: int | None = None,
) -> Invite:
    return Invite(
        id=new_id(), room_id=room_id, code=code, role=role.value, expires_at=expires_at,
        max_uses=max_uses, uses=0, created_by=created_by, created_at=now(),
    )  # fmt: skip


async def create_invite(session: AsyncSession, **fields: Any) -> Invite:
    """A room's invite in ``session`` (``room_invite``'s fields), for callers inside a transaction."""
    invite = room_invite(new_code(), **fields)
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
    row = await count_use(session, Invite, code, Invite.room_id, Invite.role)
    if row is None:
        raise NotFound(INVALID, code="invite_invalid")
    t = now()
    existing = await session.get(Member, (row.room_id, user_id))
    if existing is None:
        session.add(Member(room_id=row.room_id, user_id=user_id, role=row.role, joined_at=t))
        role = Role(row.role)
    else:
        role = Role(existing.role)
    return Redemption(room_id=row.room_id, role=role)


async def find_invite(session: AsyncSession, code: str) -> Invite | None:
    return await find(session, Invite, code)
