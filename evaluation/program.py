"""Where the live program was at a moment: the one place that stamps notes with the main venue.

The venue controller (``rooms``, venues work) owns which venue is main. Until its state can be read
here, the client's own stamp is trusted; everything else in this package calls only
:func:`main_venue_at`, so the server-side lookup changes in this one function.
"""

from __future__ import annotations

from server.context import AppContext


async def main_venue_at(ctx: AppContext, room_id: str, at: float, client_venue: str | None) -> str | None:
    """The venue that was main in ``room_id`` at UNIX time ``at``."""
    return client_venue


def program_time(server_now: float, at: float | None, client_now: float | None, *, max_age: float) -> float:
    """The moment a note refers to, on the server's clock.

    Offline clients send ``at`` (their clock when the note was written) and ``client_now`` (their clock
    when it was sent); the difference is the note's age, which does not depend on the client's clock
    being right. Without ``client_now`` a given ``at`` is trusted when it is not in the future. Ages are
    capped at ``max_age`` so a wrong clock cannot move a note days away.
    """
    if at is None:
        return server_now
    if client_now is not None:
        age = min(max(client_now - at, 0.0), max_age)
        return server_now - age
    return min(at, server_now) if at >= server_now - max_age else server_now - max_age
