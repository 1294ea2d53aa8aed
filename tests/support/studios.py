"""Studios for tests: teachers inserted directly (registration's password hashing is slow), a studio of
1 host + N core + X participants joined by invite codes through the REST API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from server.auth.tokens import Principal
from server.db import now
from server.models import User
from tests.support.api import Api
from tests.support.server import RunningServer


@dataclass
class Teacher:
    name: str
    token: str
    user_id: int


async def teacher(
    server: RunningServer, name: str, school: str = "实验小学", *, admin: bool = False
) -> Teacher:
    async with server.ctx.db.transaction() as session:
        user = User(username=f"u{uuid.uuid4().hex[:12]}", display_name=name, school=school, is_admin=admin,
                    created_at=now())  # fmt: skip
        session.add(user)
        await session.flush()
        user_id = user.id
    token = server.ctx.tokens.issue(Principal(user_id=user_id, name=name, is_admin=admin))
    return Teacher(name, token, user_id)


async def create_studio(api: Api, token: str, **extra: Any) -> dict[str, Any]:
    body = {"name": "王老师语文名师工作室", "subject": "语文", "grade_band": "小学", **extra}
    status, studio = await api.call("POST", "/api/studios", token=token, json=body)
    assert status == 201, studio
    return dict(studio)


async def studio_invite(api: Api, token: str, studio_id: str, role: str = "participant", **extra: Any) -> str:
    status, inv = await api.call(
        "POST", f"/api/studios/{studio_id}/invites", token=token, json={"role": role, **extra}
    )
    assert status == 201, inv
    return str(inv["code"])


async def join(api: Api, token: str, code: str) -> tuple[int, Any]:
    return await api.call("POST", "/api/studio-invites/redeem", token=token, json={"code": code})


@dataclass
class Studio:
    id: str
    host: Teacher
    core: list[Teacher] = field(default_factory=list)
    participants: list[Teacher] = field(default_factory=list)

    @property
    def members(self) -> list[Teacher]:
        return [self.host, *self.core, *self.participants]


async def studio_of(server: RunningServer, api: Api, core: int, participants: int) -> Studio:
    """A studio whose host invited ``core`` core members and ``participants`` participants by code."""
    host = await teacher(server, "王主持")
    studio = Studio((await create_studio(api, host.token))["id"], host)
    core_code = await studio_invite(api, host.token, studio.id, "core")
    part_code = await studio_invite(api, host.token, studio.id, "participant")
    for i in range(core):
        t = await teacher(server, f"核心{i + 1}")
        status, body = await join(api, t.token, core_code)
        assert status == 200 and body["role"] == "core", body
        studio.core.append(t)
    for i in range(participants):
        t = await teacher(server, f"学员{i + 1}", school=f"第{i % 4 + 1}小学")
        status, body = await join(api, t.token, part_code)
        assert status == 200 and body["role"] == "participant", body
        studio.participants.append(t)
    return studio


async def studio_room(api: Api, token: str, studio_id: str, **room: Any) -> dict[str, Any]:
    body = {"room": {"title": "《秋天的雨》集体备课", "kind": "prep", **room}}
    status, out = await api.call("POST", f"/api/studios/{studio_id}/rooms", token=token, json=body)
    assert status == 201, out
    return dict(out)


async def evaluate(api: Api, room_id: str, scorers: list[Teacher], sheets: list[dict[str, float]],
                   segment: str = "lesson") -> None:  # fmt: skip
    """Each scorer submits one rubric sheet (criterion -> score) on ``segment`` of the room."""
    for who, sheet in zip(scorers, sheets, strict=True):
        body = {"scores": [{"criterion": k, "score": v} for k, v in sheet.items()]}
        status, out = await api.call(
            "PUT", f"/api/rooms/{room_id}/segments/{segment}/evaluation", token=who.token, json=body
        )
        assert status == 200, out


async def code_st(
    api: Api, room_id: str, observers: list[Teacher], codes: str, segment: str = "lesson"
) -> None:
    """Every observer codes the same S-T sequence (one code per 30-second slot)."""
    for who in observers:
        status, run = await api.call("POST", f"/api/rooms/{room_id}/observations", token=who.token,
                                     json={"segment_id": segment, "instrument": "st"})  # fmt: skip
        assert status in (200, 201), run
        for slot, code in enumerate(codes):
            status, out = await api.call("PUT", f"/api/rooms/{room_id}/observations/{run['id']}/samples",
                                         token=who.token, json={"slot": slot, "code": code})  # fmt: skip
            assert status == 200, out
