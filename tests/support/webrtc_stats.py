"""What a page's WebRTC connections receive, read from ``getStats`` (Chromium, Firefox).

The web client keeps its peer connections to itself; :data:`RECORD_PEERS` (an init script for the
browser context, before the page's own scripts) keeps a list of every ``RTCPeerConnection`` the page
makes, and :func:`inbound_frames` sums the decoded frames of the connection(s) feeding one ``<video>``.
"""

from __future__ import annotations

from typing import Any

RECORD_PEERS = """
(() => {
  const Native = window.RTCPeerConnection;
  if (!Native || window.__mokePeers) return;
  window.__mokePeers = [];
  window.RTCPeerConnection = class extends Native {
    constructor(...args) { super(...args); window.__mokePeers.push(this); }
  };
})();
"""

_FRAMES = """
async (el, kind) => {
  const ids = el.srcObject ? el.srcObject.getTracks().map((t) => t.id) : [];
  let frames = 0;
  for (const pc of window.__mokePeers || []) {
    if (pc.connectionState === 'closed') continue;
    for (const r of pc.getReceivers()) {
      if (!r.track || r.track.kind !== kind || !ids.includes(r.track.id)) continue;
      (await r.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === kind) frames += kind === 'video' ? (s.framesDecoded || 0) : (s.packetsReceived || 0);
      });
    }
  }
  return frames;
}
"""


def inbound_frames(page: Any, testid: str, kind: str = "video") -> int:
    """Video frames decoded (audio: packets received) so far by the connections playing in ``testid``."""
    return int(page.get_by_test_id(testid).evaluate(_FRAMES, kind))
