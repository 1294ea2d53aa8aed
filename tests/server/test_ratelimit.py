"""server.ratelimit: the shared limits over both storages (memory, Redis), the invite, chat and log-in
limits over one process and over two ``moke serve`` processes on one Redis (one contract), the per-connection
token bucket, and the connection caps."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio as aioredis

from server.errors import RateLimited
from server.ratelimit import ConnectionCaps, Limit, RateLimits, TokenBucket
from tests.support.api import Api
from tests.support.rooms import Client, cid, create_room
from tests.support.server import ServerProcess, make_settings, running_server
from tests.support.services import fresh_pg_database, require_redis, unique_prefix

# --- RateLimits: one contract over both storages -------------------------------------------------------


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def limits(request: pytest.FixtureRequest) -> AsyncIterator[RateLimits]:
    if request.param == "memory":
        yield RateLimits.in_memory()
        return
    client = aioredis.from_url(require_redis())
    try:
        yield RateLimits.on_redis(client, unique_prefix())
    finally:
        await client.aclose()


async def test_a_limit_refuses_beyond_its_amount_and_keys_count_apart(limits: RateLimits) -> None:
    lim = Limit("t", 3, 3600)
    assert [await limits.hit(lim, "a") for _ in range(4)] == [True, True, True, False]
    assert not await limits.test(lim, "a")
    assert await limits.hit(lim, "b") and await limits.hit(lim, "a", "other-part")
    # another limit of the same name but another amount is a separate count (a changed setting starts afresh)
    assert await limits.hit(Limit("t", 4, 3600), "a")
    assert 1 <= await limits.retry_after(lim, "a") <= 7200


async def test_a_count_ends_with_its_window_even_when_only_tested(limits: RateLimits) -> None:
    # The invite guard only tests an address that is over the limit; the old in-process counter never ended
    # its window then, and locked that address out until the server restarted.
    lim = Limit("lockout", 2, 1)
    assert [await limits.hit(lim, "nat") for _ in range(3)] == [True, True, False]
    assert not await limits.test(lim, "nat")
    await asyncio.sleep(1.1)
    assert await limits.test(lim, "nat") and await limits.hit(lim, "nat")


async def test_enforce_raises_429_with_retry_after_and_a_look_spends_nothing(limits: RateLimits) -> None:
    lim = Limit("e", 2, 60)
    for _ in range(5):
        await limits.enforce(lim, "k", code="x_rate", message="slow down", spend=False)  # only looks
    await limits.enforce(lim, "k", code="x_rate", message="slow down")
    await limits.enforce(lim, "k", code="x_rate", message="slow down")
    with pytest.raises(RateLimited) as refused:
        await limits.enforce(lim, "k", code="x_rate", message="slow down", spend=False)
    assert refused.value.code == "x_rate" and 1 <= refused.value.retry_after <= 60


async def test_a_sliding_limit_admits_about_its_amount(limits: RateLimits) -> None:
    # The cheap window of the hot path: exact inside a window, about one more across its boundary.
    lim = Limit("burst", 5, 3600, sliding=True)
    admitted = sum([await limits.hit(lim, "u") for _ in range(20)])
    assert 5 <= admitted <= 6
    assert not await limits.test(lim, "u")


@pytest.mark.redis
async def test_two_instances_on_one_redis_count_together() -> None:
    # What makes a limit hold across processes: each process has its own RateLimits on the same Redis.
    url, prefix = require_redis(), unique_prefix()
    first, second = aioredis.from_url(url), aioredis.from_url(url)
    try:
        a, b = RateLimits.on_redis(first, prefix), RateLimits.on_redis(second, prefix)
        for lim in (Limit("shared", 4, 3600), Limit("shared_hot", 4, 3600, sliding=True)):
            results = [await (a if i % 2 else b).hit(lim, "user-1") for i in range(6)]
            assert results == [True] * 4 + [False] * 2, lim
    finally:
        await first.aclose()
        await second.aclose()


async def test_an_unreachable_redis_admits_rather_than_refusing_everyone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = aioredis.from_url("redis://127.0.0.1:1", socket_connect_timeout=0.5)
    try:
        limits = RateLimits.on_redis(client, unique_prefix())
        lim = Limit("down", 1, 60)
        assert await limits.hit(lim, "k") and await limits.hit(lim, "k") and await limits.test(lim, "k")
        await limits.enforce(lim, "k", code="x", message="x")
    finally:
        await client.aclose()
    warned = [r for r in caplog.records if "rate limit down admits" in r.getMessage()]
    assert len(warned) == 1  # once, not once per event


# --- the invite, chat and log-in limits: one process, or two processes on Redis --------------------------

INVITES, LOGINS, CHATS = 3, 4, 3
LIMIT_ENV = {
    "MOKE_ROOMS_INVITE_ATTEMPTS": str(INVITES),
    "MOKE_AUTH_ATTEMPTS": str(LOGINS),
    "MOKE_ROOMS_CHAT_RATE": str(CHATS),
}


@asynccontextmanager
async def one_process(tmp_path: Path) -> AsyncIterator[list[str]]:
    settings = make_settings(
        tmp_path / "one", rooms_invite_attempts=INVITES, auth_attempts=LOGINS, rooms_chat_rate=CHATS
    )
    async with running_server(settings) as srv:
        yield [srv.url, srv.url]


@asynccontextmanager
async def two_processes_on_redis(tmp_path: Path) -> AsyncIterator[list[str]]:
    redis_url = require_redis()
    async with fresh_pg_database() as db_url:
        env = {
            "MOKE_DATABASE_URL": db_url,
            "MOKE_REDIS_URL": redis_url,
            "MOKE_REDIS_PREFIX": unique_prefix(),
            "MOKE_SECRET_KEY": secrets.token_urlsafe(32),
            **LIMIT_ENV,
        }
        a = await ServerProcess(tmp_path / "a", env).start(timeout=90)
        try:
            b = await ServerProcess(tmp_path / "b", env).start(timeout=90)
            try:
                yield [a.url, b.url]
            finally:
                b.terminate()
        finally:
            a.terminate()


DEPLOYMENTS = {"one process": one_process, "two processes on Redis": two_processes_on_redis}


@pytest.mark.parametrize(
    "deployment",
    ["one process", pytest.param("two processes on Redis", marks=[pytest.mark.redis, pytest.mark.postgres])],
)
async def test_invite_chat_and_login_limits_hold_across_processes(tmp_path: Path, deployment: str) -> None:
    # Every request alternates between the processes (the same one twice on one process): the counts must
    # be one count, as on one process.
    async with DEPLOYMENTS[deployment](tmp_path) as urls, aiohttp.ClientSession() as http:
        apis = [Api(http, url) for url in urls]
        host = await apis[0].register()  # a registration: 1 of LOGINS attempts from this address
        room_id = (await create_room(apis[0], host["token"]))["id"]

        # chat: one user on both processes shares CHATS messages per 5 s
        clients = [await Client(url, host["token"]).connect() for url in urls]
        try:
            for c in clients:
                await c.join(room_id)
            replies = [
                await clients[i % 2].call("chat:send", {"room_id": room_id, "client_id": cid(), "text": "好"})
                for i in range(CHATS + 1)
            ]
        finally:
            for c in clients:
                await c.close()
        assert [r["ok"] for r in replies] == [True] * CHATS + [False]
        assert replies[-1]["error"]["code"] == "chat_rate"

        # invite guessing: INVITES misses from one address, whichever process, then 429 on both
        statuses = [(await apis[i % 2].call("GET", f"/api/invites/ZZZZZZ{i}2"))[0] for i in range(INVITES)]
        assert statuses == [404] * INVITES
        for api in apis:
            async with http.get(api.base + "/api/invites/ZZZZZZ92") as resp:
                body = await resp.json()
                assert resp.status == 429 and body["error"]["code"] == "invite_rate"
                assert 1 <= int(resp.headers["Retry-After"]) <= 60

        # log-in: the registration and LOGINS - 1 wrong passwords, then even the right one waits
        creds = {"username": host["user"]["username"], "password": "correct horse battery"}
        wrong = {**creds, "password": "wrong guess"}
        statuses = [
            (await apis[i % 2].call("POST", "/api/auth/login", json=wrong))[0] for i in range(LOGINS - 1)
        ]
        assert statuses == [401] * (LOGINS - 1)
        for api in apis:
            async with http.post(api.base + "/api/auth/login", json=creds) as resp:
                body = await resp.json()
                assert resp.status == 429 and body["error"]["code"] == "auth_rate"
                assert 1 <= int(resp.headers["Retry-After"]) <= 60


# --- TokenBucket: the per-connection hot path -----------------------------------------------------------


def test_a_full_bucket_gives_its_burst_then_refuses() -> None:
    bucket = TokenBucket(1 / 3600, burst=3)  # refills one token an hour: nothing comes back during the test
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]


def test_a_refused_take_spends_nothing() -> None:
    bucket = TokenBucket(1 / 3600, burst=3)
    assert bucket.take(2)
    assert not bucket.take(2)  # only one left
    assert bucket.take(1)


def test_the_burst_defaults_to_one_second_of_the_rate() -> None:
    assert TokenBucket(50).burst == 50


@pytest.mark.parametrize(("rate", "burst"), [(0, None), (-1, None), (5, 0.5)])
def test_nonsense_limits_are_refused(rate: float, burst: float | None) -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate, burst=burst)


@pytest.mark.parametrize(("amount", "seconds"), [(0, 1), (1, 0), (-3, 60)])
def test_nonsense_shared_limits_are_refused(amount: int, seconds: int) -> None:
    with pytest.raises(ValueError):
        Limit("x", amount, seconds)


# --- ConnectionCaps -------------------------------------------------------------------------------------


def test_connections_are_capped_per_token_and_per_user_and_closing_frees_a_place() -> None:
    caps = ConnectionCaps("test", per_user=5, per_token=3)
    for i in range(3):
        caps.open(f"t1-{i}", 1, "token-one")
    with pytest.raises(RateLimited) as refused:
        caps.open("t1-3", 1, "token-one")
    assert refused.value.code == "too_many_connections" and "token" in refused.value.message
    caps.open("t2-0", 1, "token-two")  # the same user with another token, up to the user's cap
    caps.open("t2-1", 1, "token-two")
    with pytest.raises(RateLimited) as refused:
        caps.open("t2-2", 1, "token-two")
    assert refused.value.code == "too_many_connections" and "account" in refused.value.message
    caps.open("other", 2, "token-of-user-two")  # another user is not affected
    caps.close("t1-0")
    caps.close("t1-0")  # twice is harmless
    caps.open("t1-again", 1, "token-one")
    assert caps.of_user(1) == 5 and len(caps) == 6
    for conn in ("t1-1", "t1-2", "t1-again", "t2-0", "t2-1", "other"):
        caps.close(conn)
    assert len(caps) == 0 and caps.of_user(1) == 0 and not caps._users and not caps._tokens
