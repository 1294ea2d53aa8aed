"""Password hashing with Argon2id (memory-hard), via argon2-cffi.

A hash takes tens of milliseconds of CPU, so handlers never run one on the event loop: ``PasswordPool``
runs them in a few threads of its own and refuses (429 with ``Retry-After``) once too many wait, so a
log-in storm cannot stall live edits, chat and signalling. It also throttles registrations and failed
log-ins per client address (guests join with an invite code and need no hash).
"""

from __future__ import annotations

from collections import OrderedDict
from functools import partial

from aiohttp import web
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from server.errors import RateLimited
from server.ratelimit import TokenBucket
from server.workers import BoundedPool

_hasher = PasswordHasher()  # RFC 9106 low-memory profile: 64 MiB, 3 passes
# Verified against when the user does not exist, so a wrong username costs as long as a wrong
# password and timing does not reveal which accounts exist.
_DUMMY_HASH = _hasher.hash("moke-dummy-password")

THREAD_PREFIX = "moke-argon2"
_MAX_ADDRESSES = 10_000  # buckets kept; the least recently used address is forgotten beyond that


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _busy() -> RateLimited:
    return RateLimited(
        "the server is busy checking passwords; try again shortly", code="auth_busy", retry_after=1
    )


class PasswordPool:
    """Argon2 off the event loop, at most ``workers + queue`` hashes admitted at once."""

    def __init__(self, workers: int, queue: int, attempts_per_minute: int) -> None:
        self._pool = BoundedPool(THREAD_PREFIX, workers, queue, _busy)
        self._attempts = attempts_per_minute
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    async def hash(self, password: str) -> str:
        return await self._pool.run(partial(hash_password, password))

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        return await self._pool.run(partial(verify_password, stored_hash, password))

    def check_address(self, address: str | None) -> None:
        """Raise 429 when this address has used up its registrations and failed log-ins."""
        bucket = self._buckets.get(address or "unknown")
        if bucket is not None and bucket.tokens_now() < 1:
            raise RateLimited(
                "too many log-in attempts from this address; wait a minute",
                code="auth_rate", retry_after=max(1, round(60 / self._attempts)),
            )  # fmt: skip

    def spend(self, address: str | None) -> None:
        """Count one registration or failed log-in against ``address``."""
        key = address or "unknown"
        bucket = self._buckets.pop(key, None) or TokenBucket(self._attempts / 60, self._attempts)
        self._buckets[key] = bucket  # most recently used last
        bucket.take()
        while len(self._buckets) > _MAX_ADDRESSES:
            self._buckets.popitem(last=False)

    def close(self) -> None:
        self._pool.close()


PASSWORDS: web.AppKey[PasswordPool] = web.AppKey("moke_passwords", PasswordPool)
