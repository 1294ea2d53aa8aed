"""A log-in storm: what ``/healthz`` and chat feel like while a whole staff room logs in at once.

One real ``moke serve`` process (PostgreSQL, a free port). Two phases of ``--seconds`` each, side by side:
  * idle: only the probes run;
  * log-in storm: ``--logins`` password log-ins (accounts registered beforehand) spread evenly over the
    window, each fired without waiting for the one before (like a class of teachers pressing 登录 together);
  * guest storm: as many guest joins by invite code (``POST /api/auth/guest``: no password, no hash).
During every phase the probes are the same: ``GET /healthz`` every 50 ms, and one Socket.IO member of a room
sends a chat message every 100 ms that another member receives (latency = receive − send, one clock).
Password hashing runs in the server's bounded pool (MOKE_AUTH_HASH_WORKERS threads, MOKE_AUTH_HASH_QUEUE
waiting); beyond that a log-in is answered 429 ``auth_busy`` with ``Retry-After`` — the table counts those,
and how many carried the header. Clients do not retry, so the counts show the limit at work.

    .venv/bin/python bench/login_storm.py [--seconds 10] [--logins 300]

Rows: healthz p50/p99/max, chat p50/p99/max and messages seen/sent, log-ins (or guest joins) answered
200 / 429 / other, 429s with Retry-After, their reply time p50/p99, and the server's CPU over the window
(% of one core, from /proc). On a busy machine the latencies mostly measure how much CPU the server gets.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.api import Api  # noqa: E402
from tests.support.rooms import Client, create_room, guest, invite  # noqa: E402
from tests.support.server import ServerProcess  # noqa: E402
from tests.support.services import fresh_pg_database  # noqa: E402

CLK = os.sysconf("SC_CLK_TCK")
PASSWORD = "correct horse battery"
HEALTHZ_EVERY = 0.05
CHAT_EVERY = 0.1


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


async def healthz_probe(http: aiohttp.ClientSession, url: str, until: float) -> list[float]:
    lat: list[float] = []
    while time.monotonic() < until:
        t0 = time.monotonic()
        async with http.get(url + "/healthz") as resp:
            await resp.read()
        lat.append((time.monotonic() - t0) * 1000)
        await asyncio.sleep(max(0.0, HEALTHZ_EVERY - (time.monotonic() - t0)))
    return lat


async def chat_probe(sender: Client, receiver: Client, room_id: str, until: float) -> tuple[list[float], int]:
    lat: list[float] = []

    @receiver.sio.on("chat:message")
    async def _got(msg: Any) -> None:
        try:
            lat.append((time.time() - json.loads(msg["text"])["t"]) * 1000)
        except (KeyError, TypeError, ValueError):
            pass

    sent = 0
    while time.monotonic() < until and sender.sio.connected:
        text = json.dumps({"t": time.time()})
        await sender.emit("chat:send", {"room_id": room_id, "client_id": secrets.token_hex(8), "text": text})
        sent += 1
        await asyncio.sleep(CHAT_EVERY)
    await asyncio.sleep(2)  # the tail of the backlog still counts
    return list(lat), sent


async def storm(
    api: Api, kind: str, n: int, seconds: float, usernames: list[str], code: str
) -> dict[str, Any]:
    """``n`` requests spread evenly over ``seconds``, each fired on its own; status counts and reply times."""
    statuses: list[int] = []
    retry_after = 0
    lat: list[float] = []

    async def one(i: int) -> None:
        nonlocal retry_after
        if kind == "login":
            path, body = "/api/auth/login", {"username": usernames[i % len(usernames)], "password": PASSWORD}
        else:
            path, body = "/api/auth/guest", {"code": code, "display_name": f"老师{i}", "school": "三小"}
        t0 = time.monotonic()
        async with api.http.post(api.base + path, json=body) as resp:
            await resp.read()
            statuses.append(resp.status)
            retry_after += resp.status == 429 and "Retry-After" in resp.headers
        lat.append((time.monotonic() - t0) * 1000)

    start = time.monotonic()
    tasks = []
    for i in range(n):
        await asyncio.sleep(max(0.0, start + i * seconds / n - time.monotonic()))
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    return {"ok": statuses.count(200), "busy": statuses.count(429),
            "other": len(statuses) - statuses.count(200) - statuses.count(429),
            "retry_after": retry_after, "p50": pct(lat, 0.5), "p99": pct(lat, 0.99)}  # fmt: skip


async def phase(
    name: str, args: argparse.Namespace, api: Api, pid: int, probes: tuple[Client, Client, str],
    usernames: list[str], code: str,
) -> dict[str, Any]:  # fmt: skip
    print(f"phase: {name}", file=sys.stderr, flush=True)
    sender, receiver, room_id = probes
    until = time.monotonic() + args.seconds
    ticks0, t0 = cpu_ticks(pid), time.monotonic()
    jobs: list[Any] = [healthz_probe(api.http, api.base, until), chat_probe(sender, receiver, room_id, until)]
    if name != "idle":
        jobs.append(storm(api, "login" if name == "log-in storm" else "guest", args.logins, args.seconds,
                          usernames, code))  # fmt: skip
    results = await asyncio.gather(*jobs)
    cpu = (cpu_ticks(pid) - ticks0) / CLK / (time.monotonic() - t0) * 100
    health, (chat, sent) = results[0], results[1]
    return {"health": health, "chat": chat, "sent": sent, "storm": results[2] if len(results) > 2 else None,
            "cpu": cpu}  # fmt: skip


ROWS: list[tuple[str, Any]] = [
    ("healthz p50 / p99 / max (ms)",
     lambda r: f"{pct(r['health'], .5):.1f} / {pct(r['health'], .99):.1f} / {max(r['health']):.1f}"),
    ("chat p50 / p99 / max (ms)",
     lambda r: f"{pct(r['chat'], .5):.1f} / {pct(r['chat'], .99):.1f} / {max(r['chat'], default=0):.1f}"),
    ("chat messages seen / sent", lambda r: f"{len(r['chat'])} / {r['sent']}"),
    ("answered 200 / 429 / other",
     lambda r: "-" if not r["storm"] else f"{r['storm']['ok']} / {r['storm']['busy']} / {r['storm']['other']}"),
    ("429s with Retry-After", lambda r: "-" if not r["storm"] else str(r["storm"]["retry_after"])),
    ("reply p50 / p99 (ms)",
     lambda r: "-" if not r["storm"] else f"{r['storm']['p50']:.0f} / {r['storm']['p99']:.0f}"),
    ("server CPU (% of a core)", lambda r: f"{r['cpu']:.0f}"),
]  # fmt: skip


async def register_all(api: Api, n: int) -> list[str]:
    """``n`` accounts, four registrations at a time (each is a hash: more would meet the pool's limit)."""
    names = [f"storm{i}_{secrets.token_hex(3)}" for i in range(n)]
    gate = asyncio.Semaphore(4)

    async def one(name: str) -> None:
        async with gate:
            await api.register(name)

    await asyncio.gather(*(one(u) for u in names))
    return names


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with fresh_pg_database() as db_url:
            env = {"MOKE_DATABASE_URL": db_url, "MOKE_SECRET_KEY": secrets.token_urlsafe(32),
                   "MOKE_LOG_LEVEL": "WARNING", "MOKE_ROOMS_CHAT_RATE": "1000",
                   "MOKE_AUTH_ATTEMPTS": "100000", "MOKE_ROOMS_INVITE_ATTEMPTS": "100000"}  # fmt: skip
            proc = await ServerProcess(Path(tmp) / "var", env=env).start(timeout=120)
            assert proc.proc is not None
            try:
                async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
                    api = Api(http, proc.url)
                    t0 = time.monotonic()
                    usernames = await register_all(api, min(args.logins, args.accounts))
                    print(f"registered {len(usernames)} accounts in {time.monotonic() - t0:.1f} s",
                          file=sys.stderr, flush=True)  # fmt: skip
                    host = await api.register()
                    room = await create_room(api, host["token"])
                    code = (await invite(api, host["token"], room["id"], role="observer"))["code"]
                    clients = []
                    for token in (host["token"], (await guest(api, code, name="接收"))["token"]):
                        c = await Client(proc.url, token).connect()
                        await c.join(room["id"])
                        clients.append(c)
                    probes = (clients[0], clients[1], room["id"])
                    results = {}
                    for name in ("idle", "log-in storm", "guest storm"):
                        results[name] = await phase(name, args, api, proc.proc.pid, probes, usernames, code)
                    for c in clients:
                        await c.close()
            finally:
                proc.terminate(30)
    names = list(results)
    print(f"\n{args.logins} log-ins / guest joins in {args.seconds:g} s; "
          f"hash pool: server defaults unless MOKE_AUTH_HASH_* set\n")  # fmt: skip
    width = max(len(label) for label, _ in ROWS)
    print(f"{'':{width}} | " + " | ".join(f"{n:>22}" for n in names))
    for label, cell in ROWS:
        print(f"{label:{width}} | " + " | ".join(f"{cell(results[n]):>22}" for n in names))
    print(f"\nmedian healthz idle {statistics.median(results['idle']['health']):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--logins", type=int, default=300)
    parser.add_argument("--accounts", type=int, default=300,
                        help="distinct accounts the log-ins cycle through (registering is itself hashing)")  # fmt: skip
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
