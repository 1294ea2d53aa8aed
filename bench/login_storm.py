"""A log-in storm against one ``moke serve``: does the event loop keep serving while passwords hash?

Two windows of the same length on the same server, side by side in one table:
  * idle  — only the probes below;
  * storm — the probes while ``--logins`` password log-ins (default 300) arrive spread over the window
    (default 10 s), each a fresh HTTP request with the right password.
The probes: ``GET /healthz`` every 50 ms, and one chat line every 100 ms from one member, timed from send
to delivery at another member (one machine, one clock). Argon2 runs in a bounded pool
(``MOKE_AUTH_HASH_WORKERS`` threads, ``MOKE_AUTH_HASH_QUEUE`` waiting); beyond that a log-in is answered
429/503 with ``Retry-After`` at once instead of queueing on the event loop. The members chatting are guests:
they need no hash at all. Accounts are registered before the windows (not timed); the per-address log-in
throttle and the chat rate are raised so that the pool, not the throttle, is what the storm meets.

    .venv/bin/python bench/login_storm.py [--logins 300] [--seconds 10] [--workers 2] [--queue 16]

On a busy machine every latency grows; compare the two columns of one run, not runs on different days.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.api import Api  # noqa: E402
from tests.support.rooms import Client, cid, create_room, member  # noqa: E402
from tests.support.server import ServerProcess  # noqa: E402

PASSWORD = "correct horse battery"


@dataclass
class Window:
    healthz_ms: list[float] = field(default_factory=list)
    healthz_errors: int = 0
    chat_ms: list[float] = field(default_factory=list)
    chat_sent: int = 0
    login_ms: list[float] = field(default_factory=list)
    login_status: Counter[int] = field(default_factory=Counter)


def pct(values: list[float], q: float) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))]:.1f}"


async def probe_healthz(http: aiohttp.ClientSession, url: str, stop: float, out: Window) -> None:
    while time.monotonic() < stop:
        t0 = time.perf_counter()
        try:
            async with http.get(url + "/healthz") as resp:
                await resp.read()
                if resp.status != 200:
                    out.healthz_errors += 1
        except aiohttp.ClientError:
            out.healthz_errors += 1
        out.healthz_ms.append((time.perf_counter() - t0) * 1000)
        await asyncio.sleep(0.05)


async def probe_chat(sender: Client, receiver: Client, room_id: str, stop: float, out: Window) -> None:
    sent: dict[str, float] = {}

    async def on_message(msg: dict[str, object]) -> None:
        t = sent.pop(str(msg.get("text")), None)
        if t is not None:
            out.chat_ms.append((time.perf_counter() - t) * 1000)

    receiver.sio.on("chat:message", on_message)
    while time.monotonic() < stop:
        text = f"probe {cid()}"
        sent[text] = time.perf_counter()
        out.chat_sent += 1
        await sender.emit("chat:send", {"room_id": room_id, "client_id": cid(), "text": text})
        await asyncio.sleep(0.1)
    await asyncio.sleep(2)  # late deliveries still count


async def storm(http: aiohttp.ClientSession, url: str, users: list[str], seconds: float, out: Window) -> None:
    async def one(username: str, delay: float) -> None:
        await asyncio.sleep(delay)
        t0 = time.perf_counter()
        try:
            body = {"username": username, "password": PASSWORD}
            async with http.post(url + "/api/auth/login", json=body) as resp:
                await resp.read()
                out.login_status[resp.status] += 1
        except aiohttp.ClientError:
            out.login_status[0] += 1
        out.login_ms.append((time.perf_counter() - t0) * 1000)

    step = seconds / max(1, len(users))
    await asyncio.gather(*(one(u, i * step) for i, u in enumerate(users)))


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="moke-login-storm-") as tmp:
        env = {
            "MOKE_AUTH_ATTEMPTS": "1000000",
            "MOKE_ROOMS_CHAT_RATE": "1000",  # the probe sends 10 lines a second
            "MOKE_AUTH_HASH_WORKERS": str(args.workers),
            "MOKE_AUTH_HASH_QUEUE": str(args.queue),
            "MOKE_LOG_LEVEL": "WARNING",
        }
        server = await ServerProcess(Path(tmp), env=env).start()
        connector = aiohttp.TCPConnector(limit=0)
        try:
            async with aiohttp.ClientSession(connector=connector) as http:
                api = Api(http, server.url)
                host = await api.register()
                room = await create_room(api, host["token"])
                a = await member(api, host["token"], room["id"], "observer", as_guest=True)
                b = await member(api, host["token"], room["id"], "observer", as_guest=True)
                sender = await Client(server.url, a["token"]).connect()
                receiver = await Client(server.url, b["token"]).connect()
                await sender.join(room["id"])
                await receiver.join(room["id"])
                print(f"registering {args.logins} accounts (not timed) …", flush=True)
                users: list[str] = []
                for i in range(0, args.logins, 8):
                    batch = [f"storm{i + j}{cid()[:6]}" for j in range(min(8, args.logins - i))]
                    await asyncio.gather(*(api.register(u) for u in batch))
                    users += batch
                results: dict[str, Window] = {}
                for name in ("idle", "storm"):
                    out = results[name] = Window()
                    stop = time.monotonic() + args.seconds
                    tasks = [probe_healthz(http, server.url, stop, out),
                             probe_chat(sender, receiver, room["id"], stop, out)]  # fmt: skip
                    if name == "storm":
                        tasks.append(storm(http, server.url, users, args.seconds, out))
                    await asyncio.gather(*tasks)
                await sender.close()
                await receiver.close()
        finally:
            server.kill()
    idle, busy = results["idle"], results["storm"]
    rows = [
        ("/healthz p50 ms", pct(idle.healthz_ms, 0.5), pct(busy.healthz_ms, 0.5)),
        ("/healthz p99 ms", pct(idle.healthz_ms, 0.99), pct(busy.healthz_ms, 0.99)),
        ("/healthz max ms", pct(idle.healthz_ms, 1.0), pct(busy.healthz_ms, 1.0)),
        ("/healthz errors", str(idle.healthz_errors), str(busy.healthz_errors)),
        ("chat p50 ms", pct(idle.chat_ms, 0.5), pct(busy.chat_ms, 0.5)),
        ("chat p99 ms", pct(idle.chat_ms, 0.99), pct(busy.chat_ms, 0.99)),
        (
            "chat delivered/sent",
            f"{len(idle.chat_ms)}/{idle.chat_sent}",
            f"{len(busy.chat_ms)}/{busy.chat_sent}",
        ),
        ("log-ins", "-", str(sum(busy.login_status.values()))),
        ("log-in answers", "-", " ".join(f"{k}:{v}" for k, v in sorted(busy.login_status.items()))),
        ("log-in p50 / p99 ms", "-", f"{pct(busy.login_ms, 0.5)} / {pct(busy.login_ms, 0.99)}"),
    ]
    print(
        f"\n{args.logins} log-ins in {args.seconds:.0f} s; hash pool {args.workers} threads + {args.queue} waiting"
    )
    print(f"{'':24}{'idle':>14}{'log-in storm':>18}")
    for label, left, right in rows:
        print(f"{label:24}{left:>14}{right:>18}")
    if statistics.fmean(busy.healthz_ms or [0]) > 10 * statistics.fmean(idle.healthz_ms or [1]):
        print("\nnote: /healthz slowed tenfold or more during the storm")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--logins", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2, help="MOKE_AUTH_HASH_WORKERS")
    parser.add_argument("--queue", type=int, default=16, help="MOKE_AUTH_HASH_QUEUE")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
