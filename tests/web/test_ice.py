"""The web client builds its peer connections with the ICE servers the server gives it: Chromium
publishes a venue through a Moke configured with a real coturn, and its offer carries a relay candidate
that coturn allocated with the credentials minted for this teacher."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.coturn import Coturn
from tests.support.server import ServerProcess
from tests.support.web import Browser, Rest

SECRET = "county-turn-secret"

# Keep every peer connection the page makes, so the test can read its configuration and offer.
RECORD = """
const Native = window.RTCPeerConnection;
window.__pcs = [];
window.RTCPeerConnection = function (config) { const pc = new Native(config); window.__pcs.push(pc); return pc; };
window.RTCPeerConnection.prototype = Native.prototype;
"""


@pytest.fixture
def turn_server(tmp_path: Path) -> Iterator[tuple[str, Coturn]]:
    with Coturn(tmp_path / "coturn", SECRET) as turn:
        proc = ServerProcess(
            tmp_path / "var",
            env={
                "MOKE_LOG_LEVEL": "WARNING",
                "MOKE_MEDIA_ICE_LOOPBACK": "1",
                "MOKE_MEDIA_TURN_URLS": f"turn:127.0.0.1:{turn.port}?transport=udp",
                "MOKE_MEDIA_TURN_SECRET": SECRET,
            },
        )
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, proc.start()).result()
        try:
            yield proc.url, turn
        finally:
            proc.terminate()


def test_publisher_page_uses_minted_turn_credentials(chromium: Any, turn_server: tuple[str, Coturn]) -> None:
    base, turn = turn_server
    rest = Rest(base)
    web = Browser(chromium, base)
    try:
        host = rest.register("赵主持")
        room_id = rest.ok("POST", "/api/rooms", {"title": "网络展示交流", "kind": "showcase"}, host["token"])[
            "id"
        ]
        presenter, venue = rest.presenter_venue(host, room_id, "三小")
        page = web.page(presenter, label="venue")
        page.context.add_init_script(RECORD)
        page.goto(f"{base}/rooms/{room_id}/live")
        page.locator("#venue-select").select_option(str(venue["id"]))
        page.locator("#publish-venue").click()
        expect(page.get_by_test_id("publish-status")).to_have_attribute("data-state", "live")
        config = page.evaluate("window.__pcs[0].getConfiguration().iceServers")
        [server] = [s for s in config if any(u.startswith("turn:") for u in s["urls"])]
        assert server["urls"] == [f"turn:127.0.0.1:{turn.port}?transport=udp"]
        expires, _, user = server["username"].partition(":")
        assert expires.isdigit() and user == str(presenter["user"]["id"])  # minted for this teacher
        sdp = page.evaluate("window.__pcs[0].localDescription.sdp")
        assert " typ relay " in sdp, "Chromium got no relay candidate from coturn with the minted credentials"
    finally:
        for ctx in web.contexts:
            ctx.close()
    unexpected = web.unexpected_errors()
    assert not unexpected, "console errors:\n" + "\n".join(unexpected)
