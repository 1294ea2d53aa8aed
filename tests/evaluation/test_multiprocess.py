"""Two servers on one PostgreSQL and one Redis: notes and the live aggregation cross processes."""

from __future__ import annotations

import secrets
from pathlib import Path

import aiohttp
import pytest

from tests.support.api import Api
from tests.support.evaluation import SEG, SHEETS, Listener, choose_general, connected, lesson, sheet_body
from tests.support.server import make_settings, running_server
from tests.support.services import fresh_pg_database, require_redis, unique_prefix

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


async def redis_listening(sender: Listener, receiver: Listener, room_id: str) -> None:
    """python-socketio subscribes a process to Redis in the background on its first connection: until it
    has, emits from other processes pass it by. Send shared notes (outside any segment) until one arrives."""
    for i in range(40):
        ack = await sender.call(
            "note:add", {"room_id": room_id, "client_id": f"warm{i}", "text": "预热", "shared": True}
        )
        assert ack["ok"], ack
        try:
            await receiver.wait_for(
                "note:shared", lambda d, sent=ack["note"]["id"]: d["note"]["id"] == sent, timeout=0.5
            )
            return
        except TimeoutError:
            continue
    raise AssertionError("the second process never heard the first over Redis")


async def test_notes_and_aggregation_cross_processes(tmp_path: Path) -> None:
    redis_url = require_redis()
    async with fresh_pg_database() as db_url:
        common = {"database_url": db_url, "redis_url": redis_url, "redis_prefix": unique_prefix(),
                  "secret_key": secrets.token_urlsafe(32)}  # fmt: skip
        async with (
            running_server(make_settings(tmp_path / "a", **common)) as a,
            running_server(make_settings(tmp_path / "b", **common)) as b,
            aiohttp.ClientSession() as http,
        ):
            api_a, api_b = Api(http, a.url), Api(http, b.url)
            les = await lesson(a, api_a)
            await choose_general(les)
            async with (
                connected(a, les.room_id, *les.observers) as observers_on_a,
                connected(b, les.room_id, les.host) as (host_on_b,),
            ):
                await redis_listening(observers_on_a[0], host_on_b, les.room_id)
                ack = await observers_on_a[0].call(
                    "note:add",
                    {
                        "room_id": les.room_id,
                        "client_id": "x1",
                        "text": "追问很有层次",
                        "segment_id": SEG,
                        "shared": True,
                    },
                )
                assert ack["ok"], ack
                await host_on_b.wait_for("note:shared", lambda d: d["note"]["id"] == ack["note"]["id"])
                for person, sheet in zip(les.observers, SHEETS, strict=True):
                    status, _ = await api_a.call(
                        "PUT",
                        f"/api/rooms/{les.room_id}/segments/{SEG}/evaluation",
                        token=person.token,
                        json=sheet_body(sheet),
                    )
                    assert status == 200
                pushed = await host_on_b.wait_for("eval:aggregate", lambda d: d["aggregate"]["count"] == 3)
            assert pushed["aggregate"]["weighted_total"] == pytest.approx(3.95)
            status, agg = await api_b.call(
                "GET", f"/api/rooms/{les.room_id}/segments/{SEG}/aggregate", token=les.host.token
            )
            assert status == 200 and agg == pushed
