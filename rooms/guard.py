"""Rate limit on invite-code guessing, per client address, shared across processes (``server.ratelimit``).

Only failed attempts count, so fifty teachers behind one school's NAT can all join with a good
code, while a guesser is stopped after ``rooms_invite_attempts`` misses a minute (a sliding window: the
address may guess again as its misses age out, without a restart).
"""

from __future__ import annotations

from aiohttp import web

from server.context import ctx_of
from server.ratelimit import Limit

WINDOW = 60


def _limit(request: web.Request) -> tuple[Limit, str]:
    # request.remote is the TCP peer, or the client a trusted proxy forwarded for (server.proxies);
    # X-Forwarded-For from anyone else is ignored (a guesser could forge it).
    limit = Limit("invite", ctx_of(request).settings.rooms_invite_attempts, WINDOW)
    return limit, request.remote or "unknown"


async def check_invite_attempts(request: web.Request) -> None:
    """Raise 429 ``invite_rate`` when this address already missed too many codes in the window."""
    await ctx_of(request).limits.enforce(
        *_limit(request), spend=False,
        code="invite_rate", message="too many invite-code attempts; wait a minute",
    )  # fmt: skip


async def invite_failed(request: web.Request) -> None:
    await ctx_of(request).limits.hit(*_limit(request))
