"""Presence liveness: a client whose network vanishes (no close, no pongs) leaves presence in bounded time;
presence lines carry the school, from which clients count a crowd per school."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
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


async def test_presence_lines_carry_the_school_so_clients_count_per_school(
    api: Api, server: RunningServer
) -> None:
    """A crowd from several schools: the host's view (join list + deltas) counts per school as the live page
    does, and follows joins and leaves."""
    host = await api.register(display_name="李主持", school="教研室")
    rid = (await create_room(api, host["token"], kind="showcase"))["id"]
    code = (await invite(api, host["token"], rid, max_uses=100))["code"]
    schools = {"三小": 5, "城关中学": 3, "": 2}  # "" : a guest who gave no school
    guests = [
        await guest(api, code, name=f"{school or '无'}{i}", school=school)
        for school, n in schools.items()
        for i in range(n)
    ]
    h = await Client(server.url, host["token"]).connect()
    crowd = [await Client(server.url, g["token"]).connect() for g in guests]
    try:
        await h.join(rid)
        await asyncio.gather(*(c.join(rid) for c in crowd))
        want = {**schools, "教研室": 1}
        on = await h.wait_online(rid, lambda on: Counter(u["school"] for u in on.values()) == want)
        assert {u["user_id"]: u["school"] for u in on.values()} == {
            host["user"]["id"]: "教研室",
            **{g["user"]["id"]: g["user"]["school"] for g in guests},
        }
        # a late joiner's own join state already has every school
        late = await Client(server.url, guests[0]["token"]).connect()
        try:
            state = await late.join(rid)
            assert Counter(u["school"] for u in state["online"]) == want
        finally:
            await late.close()
        # two teachers of 城关中学 leave: the count follows
        for c in crowd[5:7]:
            await c.close()
        await h.wait_online(rid, lambda on: Counter(u["school"] for u in on.values())["城关中学"] == 1)
        deltas = [d for d in h.events["presence:delta"] if d["room_id"] == rid]
        assert all(set(line) >= {"user_id", "name", "school"} for d in deltas for line in d["changed"])
        # the protocol stays lines only: no table of counts rides along with each delta
        assert all(set(d) == {"room_id", "rev", "changed", "left"} for d in deltas)
    finally:
        await h.close()
        for c in crowd:
            await c.close()
