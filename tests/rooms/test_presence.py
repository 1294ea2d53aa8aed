"""Presence liveness: a client whose network vanishes (no close, no pongs) leaves presence in bounded time."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from rooms.api import SHARED
from server.config import Settings
from tests.support.api import Api
from tests.support.rooms import Client, create_room, guest, invite
from tests.support.server import ROOT, RunningServer, make_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # Short pings so the test is quick; the bound is the same sum with the defaults (10 s + 10 s).
    return make_settings(tmp_path / "var", sio_ping_interval=1.0, sio_ping_timeout=2.0, cluster_node_ttl=1.5)


async def test_a_client_whose_network_vanishes_leaves_presence(api: Api, server: RunningServer) -> None:
    host = await api.register(display_name="李主持")
    rid = (await create_room(api, host["token"]))["id"]
    g = await guest(api, (await invite(api, host["token"], rid))["code"], name="断网的老师")
    gid = g["user"]["id"]
    h = await Client(server.url, host["token"]).connect()
    lone = subprocess.Popen(
        [sys.executable, "-m", "tests.support.lone_client", server.url, g["token"], rid],
        cwd=ROOT, stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    try:
        await h.join(rid)
        assert lone.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(lone.stdout.readline), 60)
        assert line.strip() == b"joined", line
        await h.wait_online(rid, lambda on: gid in on, timeout=30)
        # the process freezes: its socket stays open, but it answers no more pings
        lone.send_signal(signal.SIGSTOP)
        left = await h.wait_for("presence:delta", lambda d: gid in d["left"], timeout=90)
        assert left["changed"] == [] and list(h.online(rid)) == [host["user"]["id"]]
        entries = await server.app[SHARED].presence(rid)
        assert [e["user_id"] for e in entries.values()] == [host["user"]["id"]]
    finally:
        await h.close()
        lone.send_signal(signal.SIGCONT)
        lone.terminate()
        try:
            lone.wait(15)
        except subprocess.TimeoutExpired:
            lone.kill()
            lone.wait(15)
