"""Chromium on the school network: a venue teacher's live page publishes the fake camera from a school PC
behind the NAT, the host puts the venue on the program, and an observer on another school PC watches
the program. Each page's ``getStats()`` names the candidate pair that carried the media."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.field.conftest import Deployment, put_on_program, showcase
from tests.support.netns import ROUTER_WAN_IP, SCHOOL_IP, SERVER_IP, SERVER_IP_2

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


def _connection(page: Any, kind: str) -> dict[str, Any]:
    """The page's one connected peer connection that sends (``framesEncoded``) or receives video."""
    page.wait_for_function(
        "() => window.__mokePcs.some((pc) => pc.connectionState === 'connected')", timeout=30_000
    )
    conns = [c for c in page.evaluate(STATS) if c["state"] == "connected" and c[kind] > 0]
    assert len(conns) == 1, page.evaluate(STATS)
    return dict(conns[0])


def _frames_flow(page: Any, kind: str) -> dict[str, Any]:
    """Wait until the page's video frame count rises by 30; returns the connection's stats then."""
    first = _connection(page, kind) if _has_frames(page, kind) else None
    start = first[kind] if first else 0
    page.wait_for_function(
        f"""async () => {{
          for (const pc of window.__mokePcs) {{
            if (pc.connectionState !== 'connected') continue;
            let n = 0;
            (await pc.getStats()).forEach((s) => {{ if (s.kind === 'video' && s.{kind}) n += s.{kind}; }});
            if (n >= {start + 30}) return true;
          }}
          return false;
        }}""",
        timeout=60_000,
        polling=250,
    )
    return _connection(page, kind)


def _has_frames(page: Any, kind: str) -> bool:
    return any(c[kind] > 0 for c in page.evaluate(STATS))


def publish_and_watch(school: Deployment, page_of: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Venue page publishes, the host takes it to the program, the observer page plays it."""
    net = school.net
    show = net.school.run(lambda: showcase(school.url))
    live = f"{school.url}/rooms/{show.room_id}/live"

    venue = page_of(show.presenter, label="venue")
    venue.goto(live)
    venue.locator("#venue-select").select_option(show.venue_id)
    venue.locator("#publish-venue").click()
    expect(venue.get_by_test_id("publish-status")).to_have_attribute("data-state", "live")
    net.school.run(lambda: put_on_program(school.url, show))

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
    print("chromium nat:", sent, received)
    # Chromium names its side by the address the server saw: the router's (srflx when a STUN server told
    # it first, prflx when the server's check response did); the server's side is its own host address
    for conn in (sent, received):
        local, remote = conn["local"], conn["remote"]
        assert local["protocol"] == "udp" and remote["protocol"] == "udp", conn
        assert (local["type"], local["address"]) in (("host", SCHOOL_IP), ("srflx", ROUTER_WAN_IP),
                                                     ("prflx", ROUTER_WAN_IP)), conn  # fmt: skip
        assert remote["type"] == "host" and remote["address"] in (SERVER_IP, SERVER_IP_2), conn
