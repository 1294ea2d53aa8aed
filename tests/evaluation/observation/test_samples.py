"""Nothing lost: coded samples acknowledged over Socket.IO and REST survive a SIGKILL of the server."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import socketio

from rooms.permissions import Role
from server.db import Database
from tests.support.api import Api, add_member, make_room
from tests.support.server import ServerProcess


async def test_acknowledged_samples_survive_sigkill(tmp_path: Path) -> None:
    data = tmp_path / "var"
    proc = await ServerProcess(data).start()
    try:
        async with aiohttp.ClientSession() as http:
            api = Api(http, proc.url)
            host, observer = (
                await api.register(display_name="王主持"),
                await api.register(display_name="李老师"),
            )
            db = Database(f"sqlite+aiosqlite:///{data / 'moke.db'}")
            await db.start(migrate=False)
            try:
                room_id = await make_room(db, host["user"]["id"], kind="trial")
                await add_member(db, room_id, observer["user"]["id"], Role.OBSERVER)
            finally:
                await db.stop()
            base = f"/api/rooms/{room_id}/observations"
            status, run = await api.call("POST", base, token=observer["token"],
                                         json={"segment_id": "s1", "instrument": "st"})  # fmt: skip
            assert status == 201
            client = socketio.AsyncClient(reconnection=False)
            await client.connect(proc.url, auth={"token": observer["token"]}, transports=["websocket"])
            for slot, code in enumerate("TTS"):
                body = {"room_id": room_id, "run_id": run["id"], "slot": slot, "code": code}
                ack = await client.call("obs:code", body, timeout=10)
                assert ack["ok"], ack
            status, _ = await api.call("PUT", f"{base}/{run['id']}/samples", token=observer["token"],
                                       json={"slot": 3, "code": "S"})  # fmt: skip
            assert status == 200
            proc.kill()  # SIGKILL right after the acks
            await client.disconnect()
            proc = await proc.restart()
            api.base = proc.url
            status, mine = await api.call("GET", f"{base}/{run['id']}/mine", token=observer["token"])
            assert status == 200 and [(s["slot"], s["code"]) for s in mine["samples"]] == [
                (0, "T"), (1, "T"), (2, "S"), (3, "S"),
            ]  # fmt: skip
            assert mine["result"]["metrics"] == {"Rt": 0.5, "Ch": 0.25}
    finally:
        proc.kill()
