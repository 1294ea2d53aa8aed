"""Rate limit on invite-code guessing, per client address, shared across processes.

Only failed attempts count, so fifty teachers behind one school's NAT can all join with a good
code, while a guesser is stopped after ``rooms_invite_attempts`` misses per minute.
"""

from __future__ import annotations

from aiohttp import web

from rooms.api import SHARED
from server.context import ctx_of
from server.errors import RateLimited

WINDOW = 60.0


def _key(request: web.Request) -> str:
    # request.remote is the TCP peer, or the client a trusted proxy forwarded for (server.proxies);
    # X-Forwarded-For from anyone else is ignored (a guesser could forge it).
    return f"invite:{request.remote or 'unknown'}"


async def check_invite_attempts(request: web.Request) -> None:
    """Raise 429 when this address already missed too many codes in the current minute."""
    limit = ctx_of(request).settings.rooms_invite_attempts
    if await request.app[SHARED].count(_key(request)) >= limit:
        raise RateLimited("too many invite-code attempts; wait a minute", code="invite_rate")


async def invite_failed(request: web.Request) -> None:
    limit = ctx_of(request).settings.rooms_invite_attempts
    await request.app[SHARED].hit(_key(request), limit + 1, WINDOW)
