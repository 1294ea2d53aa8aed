"""One reproduced school network for the field tests: ``moke serve`` and coturn in the server namespace,
clients in the school namespace behind the router's NAT (see tests/support/netns.py)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.coturn import Coturn
from tests.support.field import Deployment
from tests.support.netns import SERVER_IP, SERVER_IP_2, launcher, school_network
from tests.support.server import ServerProcess
from tests.support.services import require_chromium
from tests.support.tls import TestCA
from tests.support.web import CHROMIUM_ARGS

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


def _in_own_loop(coro: Any) -> Any:
    # pytest-asyncio may run a loop in this thread; run the coroutine in a loop of its own
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(scope="package")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """HTTPS ``moke serve`` on 203.0.113.10:443 and coturn on 203.0.113.11 (3478 UDP/TCP, TLS on 443),
    wired as the operator guide says: TURN REST secret shared, browsers get STUN and minted TURN."""
    directory = tmp_path_factory.mktemp("school")
    ca = TestCA(directory / "ca")
    web_cert = ca.issue(SERVER_IP, stem="web")
    turn_cert = ca.issue(SERVER_IP_2, stem="turn")
    with school_network() as net:
        turn = Coturn(directory / "turn", secrets.token_urlsafe(24), host=SERVER_IP_2, cert=turn_cert.cert,
                      key=turn_cert.key, port=3478, tls_port=443, ns=net.server).start()  # fmt: skip
        turn_urls = [
            f"turn:{SERVER_IP_2}:3478?transport=udp",
            f"turn:{SERVER_IP_2}:3478?transport=tcp",
            f"turns:{SERVER_IP_2}:443?transport=tcp",
        ]
        server = ServerProcess(
            directory / "server",
            env={
                "MOKE_HOST": SERVER_IP,
                "MOKE_TLS_CERT": str(web_cert.cert),
                "MOKE_TLS_KEY": str(web_cert.key),
                "MOKE_MEDIA_ICE_SERVERS": f"stun:{SERVER_IP_2}:3478",
                "MOKE_MEDIA_TURN_URLS": ",".join(turn_urls),
                "MOKE_MEDIA_TURN_SECRET": turn.secret,
            },
            port=443,
            prefix=net.server.argv(),
        )
        try:
            _in_own_loop(server.start())
            yield Deployment(net, server.url, ca, [web_cert.spki_hash, turn_cert.spki_hash], turn, directory)
        finally:
            if server.proc is not None:
                server.terminate()
            turn.stop()


@pytest.fixture(scope="package")
def plain_http(deployment: Deployment) -> Iterator[Deployment]:
    """A second ``moke serve`` on plain HTTP port 80 of the same address, whose public URL is the HTTPS
    one: a teacher who types http://203.0.113.10 reaches it (its own rooms; same network)."""
    server = ServerProcess(
        deployment.directory / "plain",
        env={"MOKE_HOST": SERVER_IP, "MOKE_PUBLIC_URL": f"https://{SERVER_IP}"},
        port=80,
        prefix=deployment.net.server.argv(),
    )
    try:
        _in_own_loop(server.start())
        yield dataclasses.replace(deployment, url=server.url)
    finally:
        if server.proc is not None:
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
    # the test CA's certificates count as valid: the origin is a secure context, TURN over TLS verifies
    args = [*CHROMIUM_ARGS, f"--ignore-certificate-errors-spki-list={','.join(school.spki)}"]
    with sync_playwright() as pw:
        browsers = SchoolBrowsers(pw, executable, args)
        try:
            yield browsers.page
        finally:
            for b in browsers.browsers:
                b.close()
        assert not browsers.errors, browsers.errors
