"""Chromium on the school network: a venue teacher's live page publishes the fake camera from a school PC
behind the NAT, the host puts the venue on the program, and an observer on another school PC watches
the program. Each page's ``getStats()`` names the candidate pair that carried the media."""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.field import Deployment, put_on_program, showcase
from tests.support.netns import ROUTER_WAN_IP, SCHOOL_IP, SERVER_IP, SERVER_IP_2, Firewall

# For every live peer connection of the page: its selected candidate pair and video frame counts.
STATS = """
async () => {
  const out = [];
  for (const pc of window.__mokePcs) {
    if (pc.connectionState === 'closed') continue;
    const stats = await pc.getStats();
    const byId = new Map();
    stats.forEach((s) => byId.set(s.id, s));
    let pair = null;
    stats.forEach((s) => {
      if (s.type === 'transport' && s.selectedCandidatePairId) pair = byId.get(s.selectedCandidatePairId);
    });
    const candidate = (id) => {
      const c = byId.get(id);
      return { type: c.candidateType, protocol: c.protocol, relayProtocol: c.relayProtocol ?? null,
               address: c.address, port: c.port };
    };
    let decoded = 0, encoded = 0;
    stats.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') decoded += s.framesDecoded ?? 0;
      if (s.type === 'outbound-rtp' && s.kind === 'video') encoded += s.framesEncoded ?? 0;
    });
    out.push({
      state: pc.connectionState,
      iceServers: pc.getConfiguration().iceServers.map((s) => s.urls),
      local: pair && candidate(pair.localCandidateId),
      remote: pair && candidate(pair.remoteCandidateId),
      bytesSent: pair ? pair.bytesSent : 0,
      bytesReceived: pair ? pair.bytesReceived : 0,
      framesDecoded: decoded,
      framesEncoded: encoded,
    });
  }
  return out;
}
"""


def _connection(page: Any, kind: str) -> dict[str, Any] | None:
    """The page's one connected peer connection that sends (``framesEncoded``) or receives video."""
    conns = [c for c in page.evaluate(STATS) if c["state"] == "connected" and c[kind] > 0]
    assert len(conns) <= 1, conns
    return dict(conns[0]) if conns else None


def _frames_flow(page: Any, kind: str, more: int = 30, timeout: float = 60) -> dict[str, Any]:
    """Wait until the page's video frame count (``kind``) has risen by ``more``; returns the connection's
    stats then."""
    deadline = time.monotonic() + timeout
    first = None
    while True:
        conn = _connection(page, kind)
        if conn is not None:
            first = first or conn
            if conn[kind] >= first[kind] + more:
                return conn
        assert time.monotonic() < deadline, f"{kind} did not rise by {more}: {page.evaluate(STATS)}"
        page.wait_for_timeout(250)


def publish_and_watch(school: Deployment, page_of: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Venue page publishes, the host takes it to the program, the observer page plays it."""
    net = school.net
    show = net.school.run(lambda: showcase(school))
    live = f"{school.url}/rooms/{show.room_id}/live"

    venue = page_of(show.presenter, label="venue")
    venue.goto(live)
    venue.locator("#venue-select").select_option(show.venue_id)
    venue.locator("#publish-venue").click()
    expect(venue.get_by_test_id("publish-status")).to_have_attribute("data-state", "live")
    net.school.run(lambda: put_on_program(school, show))

    viewer = page_of(show.observer, label="observer")
    viewer.goto(live)
    expect(viewer.get_by_test_id("program-label")).to_have_text("主会场：三小")
    video = viewer.get_by_test_id("program-video")
    viewer.wait_for_function("el => el.videoWidth > 0 && el.currentTime > 0.5", arg=video.element_handle())

    sent = _frames_flow(venue, "framesEncoded")
    received = _frames_flow(viewer, "framesDecoded")
    return sent, received


def test_through_nat_over_udp(school: Deployment, school_chromium: Any) -> None:
    sent, received = publish_and_watch(school, school_chromium)
    print("chromium, open network:", sent, received)
    # Chromium names its side by the address the server saw: the router's (srflx when the STUN server
    # told it first, prflx when the server's check response did); the server's side is its own host
    # address. A TURN server was offered, but the direct path wins.
    for conn in (sent, received):
        local, remote = conn["local"], conn["remote"]
        assert local["protocol"] == "udp" and remote["protocol"] == "udp", conn
        assert (local["type"], local["address"]) in (("host", SCHOOL_IP), ("srflx", ROUTER_WAN_IP),
                                                     ("prflx", ROUTER_WAN_IP)), conn  # fmt: skip
        assert remote["type"] == "host" and remote["address"] in (SERVER_IP, SERVER_IP_2), conn


@pytest.mark.parametrize(
    ("firewall", "relay"), [("no-udp", "tcp"), ("tcp443-only", "tls")], ids=["no-udp", "tcp443-only"]
)
def test_relayed_when_the_school_blocks_udp(
    school: Deployment, school_chromium: Any, firewall: Firewall, relay: str
) -> None:
    school.net.firewall(firewall)
    sent, received = publish_and_watch(school, school_chromium)
    print(f"chromium, {firewall}:", sent, received)
    # the browser tried every TURN URL it was given; the one its firewall lets through carries the media
    for conn in (sent, received):
        local = conn["local"]
        assert (local["type"], local["relayProtocol"]) == ("relay", relay), conn
        assert local["address"] == SERVER_IP_2, conn  # the relay address coturn allocated
