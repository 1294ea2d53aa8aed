"""Real python-socketio clients for the rooms tests, and helpers that set up rooms over REST."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import socketio

from tests.support.api import Api


class Client:
    """One Socket.IO connection that records every event it receives and can wait for one."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: dict[str, list[Any]] = defaultdict(list)
        self.states: dict[str, dict[str, Any]] = {}  # room_id -> the room:join state
        self._changed = asyncio.Condition()

        @self.sio.on("*")
        async def _any(event: str, *args: Any) -> None:
            async with self._changed:
                self.events[event].append(args[0] if args else None)
                self._changed.notify_all()

    async def connect(self) -> Client:
        await self.sio.connect(
            self.url, auth={"token": self.token}, transports=["websocket"], wait_timeout=10
        )
        return self

    async def call(self, event: str, data: Any = None, timeout: float = 10) -> Any:
        return await self.sio.call(event, data, timeout=timeout)

    async def emit(self, event: str, data: Any = None) -> None:
        await self.sio.emit(event, data)

    async def wait_for(
        self, event: str, pred: Callable[[Any], bool] = lambda _: True, timeout: float = 10
    ) -> Any:
        """The first ``event`` payload (already received or coming) for which ``pred`` holds."""

        def found() -> Any:
            for data in self.events[event]:
                if pred(data):
                    return data
            return None

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: found() is not None), timeout)
            return found()

    def forget(self, event: str) -> None:
        """Drop what was received of ``event`` so far (wait_for then sees only what comes next)."""
        self.events[event].clear()

    async def join(self, room_id: str) -> dict[str, Any]:
        reply = await self.call("room:join", {"room_id": room_id})
        assert reply["ok"], reply
        async with self._changed:
            self.states[room_id] = reply["state"]
            self._changed.notify_all()
        return dict(reply["state"])

    def online(self, room_id: str) -> dict[int, dict[str, Any]]:
        """Presence as a client keeps it (the web client does the same): the join state's list, then every
        ``presence:delta`` received (also those that came before the join reply), a user's line replaced
        only by a newer ``rev`` than the one it came from."""
        state = self.states[room_id]
        base = state["presence_rev"]
        lines = {u["user_id"]: u for u in state["online"]}
        revs: dict[int, int] = {}
        for d in self.events["presence:delta"]:
            if d["room_id"] != room_id:
                continue
            for line in d["changed"]:
                if d["rev"] > revs.get(line["user_id"], base):
                    revs[line["user_id"]] = d["rev"]
                    lines[line["user_id"]] = line
            for uid in d["left"]:
                if d["rev"] > revs.get(uid, base):
                    revs[uid] = d["rev"]
                    lines.pop(uid, None)
        return lines

    async def wait_online(
        self, room_id: str, pred: Callable[[dict[int, dict[str, Any]]], bool], timeout: float = 10
    ) -> dict[int, dict[str, Any]]:
        """Wait until :meth:`online` (user id -> line) satisfies ``pred``; returns it."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: pred(self.online(room_id))), timeout)
            return self.online(room_id)

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()


async def create_room(api: Api, token: str, **extra: Any) -> dict[str, Any]:
    body = {"title": "《秋天的雨》集体备课", "kind": "prep", **extra}
    status, room = await api.call("POST", "/api/rooms", token=token, json=body)
    assert status == 201, room
    return dict(room)


async def invite(api: Api, token: str, room_id: str, role: str = "observer", **extra: Any) -> dict[str, Any]:
    status, inv = await api.call(
        "POST", f"/api/rooms/{room_id}/invites", token=token, json={"role": role, **extra}
    )
    assert status == 201, inv
    return dict(inv)


async def guest(api: Api, code: str, name: str = "王老师", school: str = "三小") -> dict[str, Any]:
    status, body = await api.call(
        "POST", "/api/auth/guest", json={"code": code, "display_name": name, "school": school}
    )
    assert status == 200, body
    return dict(body)


async def member(
    api: Api, host_token: str, room_id: str, role: str, *, as_guest: bool = False
) -> dict[str, Any]:
    """Register a user (or a guest: quicker, no password hash) and bring them in with ``role`` by invite."""
    inv = await invite(api, host_token, room_id, role=role)
    if as_guest:
        joined = await guest(api, inv["code"], name=f"{role}-{cid()[:6]}")
        assert joined["role"] == role, joined
        return joined
    user = await api.register()
    status, body = await api.call(
        "POST", "/api/invites/redeem", token=user["token"], json={"code": inv["code"]}
    )
    assert status == 200 and body["role"] == role, body
    return user


def cid() -> str:
    return uuid.uuid4().hex
