"""Password hashing with Argon2id (memory-hard), via argon2-cffi.

A hash takes tens of milliseconds of CPU, so handlers never run one on the event loop: ``PasswordPool``
runs them in a few threads of its own and refuses (429 with ``Retry-After``) once too many wait, so a
log-in storm cannot stall live edits, chat and signalling. (Registrations and failed log-ins per client
address are throttled by ``server.auth.routes`` with the shared rate limits; guests need no hash.)
"""

from __future__ import annotations

from functools import partial

from aiohttp import web
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from server.errors import RateLimited
from server.workers import BoundedPool

_hasher = PasswordHasher()  # RFC 9106 low-memory profile: 64 MiB, 3 passes
# Verified against when the user does not exist, so a wrong username costs as long as a wrong
# password and timing does not reveal which accounts exist.
_DUMMY_HASH = _hasher.hash("moke-dummy-password")

THREAD_PREFIX = "moke-argon2"


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

    def __init__(self, workers: int, queue: int) -> None:
        self._pool = BoundedPool(THREAD_PREFIX, workers, queue, _busy)

    async def hash(self, password: str) -> str:
        return await self._pool.run(partial(hash_password, password))

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        return await self._pool.run(partial(verify_password, stored_hash, password))

    def close(self) -> None:
        self._pool.close()


PASSWORDS: web.AppKey[PasswordPool] = web.AppKey("moke_passwords", PasswordPool)
