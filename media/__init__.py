"""WebRTC media plane (aiortc): publishing, forwarding relay, program feed, recording."""
