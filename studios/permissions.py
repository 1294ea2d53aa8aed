"""Studio roles (主持人 host, 核心成员 core, 学员 participant) × what they may do in the studio: one table,
like ``rooms.permissions`` for a room. Inside a studio's rooms the room table decides; a studio role only
gives a default room role there (``StudioRoom.*_role``)."""

from __future__ import annotations

from enum import StrEnum

from rooms.api import Role
from server.errors import Forbidden


class StudioRole(StrEnum):
    HOST = "host"  # 主持人: the master teacher; one per studio
    CORE = "core"  # 核心成员: plans and runs activities with the host
    PARTICIPANT = "participant"  # 学员: takes part


class StudioAction(StrEnum):
    VIEW = "studio.view"  # members, activities, cycles
    UPDATE = "studio.update"  # name, subject, description; archive
    MEMBER_MANAGE = "studio.member_manage"  # change roles, remove members
    INVITE_MANAGE = "studio.invite_manage"  # invites (core: participant invites only)
    ACTIVITY_MANAGE = "studio.activity_manage"  # add rooms, run cycles, carry plans forward
    LIBRARY_VIEW = "studio.library_view"
    LIBRARY_ADD = "studio.library_add"
    LIBRARY_MANAGE = "studio.library_manage"  # others' items, visibility, public links
    RECORDS_VIEW = "studio.records_view"  # everyone's attendance and hours (each member sees their own)


S = StudioAction
_PARTICIPANT = frozenset({S.VIEW, S.LIBRARY_VIEW, S.LIBRARY_ADD})
STUDIO_PERMISSIONS: dict[StudioRole, frozenset[StudioAction]] = {
    StudioRole.HOST: frozenset(StudioAction),
    StudioRole.CORE: _PARTICIPANT | {S.INVITE_MANAGE, S.ACTIVITY_MANAGE, S.LIBRARY_MANAGE, S.RECORDS_VIEW},
    StudioRole.PARTICIPANT: _PARTICIPANT,
}

# The room role each studio role gets in a studio room unless the room says otherwise.
DEFAULT_ROOM_ROLES: dict[StudioRole, Role] = {
    StudioRole.HOST: Role.HOST,
    StudioRole.CORE: Role.EDITOR,
    StudioRole.PARTICIPANT: Role.OBSERVER,
}


def studio_allowed(role: StudioRole | str | None, action: StudioAction) -> bool:
    if role is None:
        return False
    try:
        return action in STUDIO_PERMISSIONS[StudioRole(role)]
    except ValueError:
        return False


def studio_require(role: StudioRole | str | None, action: StudioAction) -> None:
    """Raise :class:`Forbidden` with a readable message unless ``role`` may do ``action`` in the studio."""
    if not studio_allowed(role, action):
        who = f"studio role {str(role)!r}" if role else "a non-member"
        raise Forbidden(f"{who} may not {action.value}", code="forbidden", details={"action": action.value})
