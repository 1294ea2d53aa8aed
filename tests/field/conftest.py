"""One reproduced school network for the field tests: ``moke serve`` and coturn in the server namespace,
clients in the school namespace behind the router's NAT (see tests/support/netns.py)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from tests.support.api import Api
from tests.support.netns import SERVER_IP, SchoolNetwork, launcher, school_network
from tests.support.server import ServerProcess
from tests.support.services import require_chromium

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

# Every RTCPeerConnection the page makes, so the test can read its getStats().
KEEP_PEER_CONNECTIONS = """
(() => {
  const Original = window.RTCPeerConnection;
  const pcs = (window.__mokePcs = []);
  window.RTCPeerConnection = class extends Original {
    constructor(...args) { super(...args); pcs.push(this); }
  };
})();
"""


@dataclass
class Deployment:
    net: SchoolNetwork
    url: str  # the server's origin as the school sees it
    directory: Path


def _in_own_loop(coro: Any) -> Any:
    # pytest-asyncio may run a loop in this thread; run the coroutine in a loop of its own
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(scope="package")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    directory = tmp_path_factory.mktemp("school")
    with school_network() as net:
        server = ServerProcess(
            directory / "server",
            env={"MOKE_HOST": SERVER_IP, "MOKE_LOG_LEVEL": "INFO"},
            port=8080,
            prefix=net.server.argv(),
        )
        _in_own_loop(server.start())
        try:
            yield Deployment(net, server.url, directory)
        finally:
            server.terminate()


@pytest.fixture
def school(deployment: Deployment) -> Iterator[Deployment]:
    """The deployment with the school's firewall open again after each test."""
    deployment.net.firewall("open")
    yield deployment
    deployment.net.firewall("open")


@dataclass
class SchoolBrowsers:
    """Headless Chromium processes started inside the school namespace, driven from this process."""

    playwright: Any
    executable: Path
    args: list[str]
    browsers: list[Any] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def page(self, session: dict[str, Any] | None = None, *, label: str) -> Any:
        """A page in a browser process of its own (as on another PC), signed in as ``session``."""
        browser = self.playwright.chromium.launch(executable_path=str(self.executable), args=self.args,
                                                  headless=True)  # fmt: skip
        self.browsers.append(browser)
        ctx = browser.new_context(locale="zh-CN", permissions=["microphone", "camera"])
        ctx.add_init_script(KEEP_PEER_CONNECTIONS)
        if session is not None:
            ctx.add_init_script(f"localStorage.setItem('moke.session', {json.dumps(json.dumps(session))});")
        page = ctx.new_page()
        page.on("pageerror", lambda e: self.errors.append(f"[{label}] uncaught: {e}"))
        page.set_default_timeout(30_000)
        return page


@pytest.fixture
def school_chromium(school: Deployment) -> Iterator[Callable[..., Any]]:
    """``page(session, label=…)``: a Chromium page on a school PC."""
    path = require_chromium()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)
    executable = launcher(school.net.school, school.directory / "bin", path)
    args = list(CHROMIUM_ARGS)
    if school.url.startswith("http://"):
        args.append(f"--unsafely-treat-insecure-origin-as-secure={school.url}")
    with sync_playwright() as pw:
        browsers = SchoolBrowsers(pw, executable, args)
        try:
            yield browsers.page
        finally:
            for b in browsers.browsers:
                b.close()
        assert not browsers.errors, browsers.errors


@dataclass
class Showcase:
    room_id: str
    venue_id: str
    host: dict[str, Any]  # token responses (what the web client keeps as its session)
    presenter: dict[str, Any]
    observer: dict[str, Any]


async def showcase(base: str) -> Showcase:
    """Over REST: a showcase room with one venue, its presenter, and an observer (a guest)."""
    async with aiohttp.ClientSession() as http:
        api = Api(http, base)
        host = await api.register(display_name="教研员")
        presenter = await api.register(display_name="三小执教")
        status, room = await api.call("POST", "/api/rooms", token=host["token"],
                                      json={"title": "网络展示交流", "kind": "showcase"})  # fmt: skip
        assert status == 201, room
        rid = room["id"]
        code = await _invite(api, host, rid, "presenter")
        status, body = await api.call("POST", "/api/invites/redeem", token=presenter["token"],
                                      json={"code": code})  # fmt: skip
        assert status == 200, body
        code = await _invite(api, host, rid, "observer")
        status, observer = await api.call("POST", "/api/auth/guest", json={"code": code,
                                          "display_name": "观课老师", "school": "二小"})  # fmt: skip
        assert status in (200, 201), observer
        status, venue = await api.call("POST", f"/api/rooms/{rid}/venues", token=host["token"],
                                       json={"name": "三小", "presenter_id": presenter["user"]["id"]})  # fmt: skip
        assert status == 201, venue
        return Showcase(rid, venue["id"], host, presenter, observer)


async def _invite(api: Api, host: dict[str, Any], room_id: str, role: str) -> str:
    status, inv = await api.call("POST", f"/api/rooms/{room_id}/invites", token=host["token"],
                                 json={"role": role})  # fmt: skip
    assert status == 201, inv
    return str(inv["code"])


async def wait_live(base: str, show: Showcase, timeout: float = 30) -> None:
    """Until the server lists the venue as live (its publisher's media arrives)."""
    async with aiohttp.ClientSession() as http:
        api = Api(http, base)
        deadline = time.monotonic() + timeout
        while True:
            status, program = await api.call("GET", f"/api/rooms/{show.room_id}/program",
                                             token=show.host["token"])  # fmt: skip
            assert status == 200, program
            if show.venue_id in program["live"]:
                return
            assert time.monotonic() < deadline, f"venue never live: {program}"
            await asyncio.sleep(0.1)


async def put_on_program(base: str, show: Showcase) -> None:
    """Once the venue is live, the host switches the program to it (``venue:switch`` over Socket.IO)."""
    await wait_live(base, show)
    sio = socketio.AsyncClient(reconnection=False, handle_sigint=False)
    await sio.connect(base, auth={"token": show.host["token"]}, transports=["websocket"], wait_timeout=10)
    try:
        joined = await sio.call("room:join", {"room_id": show.room_id}, timeout=10)
        assert joined["ok"], joined
        # epoch 0: nothing has been switched in this fresh room yet
        reply = await sio.call("venue:switch", {"room_id": show.room_id, "venue_id": show.venue_id,
                                                "epoch": 0}, timeout=10)  # fmt: skip
        assert reply["ok"], reply
    finally:
        await sio.disconnect()
