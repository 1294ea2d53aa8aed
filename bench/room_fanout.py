"""Chat fan-out through rooms: delivery latency and server cost, one process vs two behind Redis.

Scenarios (each run on both deployments, printed side by side):
  * 1 room × 500 clients, 20 of them send one chat message per second;
  * 50 rooms × 20 clients, 20 senders (one in each of 20 rooms) send one message per second.
Clients are real python-socketio AsyncClients spread over several client processes (so the client side
does not saturate first); in the two-process deployment they alternate between the two servers.
Latency = receive time - send time carried in the message (one machine, one clock), for every
delivery to every other member of the room. Server CPU is measured from /proc over the send window,
RSS at its end (summed over the server processes). Both deployments use PostgreSQL; the second adds
Redis (python-socketio's Redis manager, presence/seats/rate limits in Redis).

    .venv/bin/python bench/room_fanout.py [--seconds 10] [--workers 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.server import ServerProcess  # noqa: E402
from tests.support.services import fresh_pg_database, require_redis, unique_prefix  # noqa: E402

CLK = os.sysconf("SC_CLK_TCK")


@dataclass
class Seat:
    url: str
    token: str
    user_id: int
    room_id: str
    sender: bool


# ---- client worker process -------------------------------------------------------------------------
def worker(seats: list[Seat], conn: Connection) -> None:
    asyncio.run(_worker(seats, conn))


async def _worker(seats: list[Seat], conn: Connection) -> None:
    import socketio

    latencies: list[float] = []
    clients: list[Any] = []
    sem = asyncio.Semaphore(8)
    window: list[float] = [0.0, 0.0]

    async def connect(seat: Seat) -> Any:
        c = socketio.AsyncClient(reconnection=False)

        @c.on("chat:message")
        async def on_message(msg: dict[str, Any]) -> None:
            if msg["user_id"] == seat.user_id:
                return
            t = time.time()
            sent = json.loads(msg["text"])["t"]
            if window[0] <= sent < window[1]:
                latencies.append(t - sent)

        async with sem:
            await c.connect(seat.url, auth={"token": seat.token}, transports=["websocket"], wait_timeout=30)
            reply = await c.call("room:join", {"room_id": seat.room_id}, timeout=600)
            assert reply["ok"], reply
        return c

    clients = await asyncio.gather(*(connect(s) for s in seats))
    conn.send("ready")
    start, seconds = await asyncio.get_running_loop().run_in_executor(None, conn.recv)
    window[0], window[1] = start, start + seconds

    async def send_loop(c: Any, seat: Seat, offset: float) -> None:
        k = 0
        while True:
            at = start + offset + k
            if at >= start + seconds:
                return
            await asyncio.sleep(max(0.0, at - time.time()))
            text = json.dumps({"t": time.time()})
            await c.emit(
                "chat:send", {"room_id": seat.room_id, "client_id": secrets.token_hex(8), "text": text}
            )
            k += 1

    senders = [(c, s) for c, s in zip(clients, seats, strict=True) if s.sender]
    await asyncio.gather(*(send_loop(c, s, (i * 0.0487) % 1.0) for i, (c, s) in enumerate(senders)))
    await asyncio.sleep(max(0.0, start + seconds + 3 - time.time()))  # drain
    conn.send(latencies)
    await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)


# ---- server measurements ---------------------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# ---- one scenario on one deployment ----------------------------------------------------------------
async def run_scenario(
    servers: list[ServerProcess], rooms: int, per_room: int, senders: int, seconds: float, workers: int
) -> dict[str, Any]:
    urls = [s.url for s in servers]
    seats: list[Seat] = []
    async with aiohttp.ClientSession() as http:

        async def post(url: str, path: str, body: Any, token: str | None = None) -> Any:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            async with http.post(url + path, json=body, headers=headers) as resp:
                data = await resp.json()
                assert resp.status in (200, 201), data
                return data

        host = await post(urls[0], "/api/auth/register",
                          {"username": "h" + secrets.token_hex(5), "password": "x" * 12, "display_name": "主持"})  # fmt: skip
        sem = asyncio.Semaphore(20)
        for r in range(rooms):
            room = await post(urls[0], "/api/rooms", {"title": f"bench {r}", "kind": "live"}, host["token"])
            inv = await post(urls[0], f"/api/rooms/{room['id']}/invites", {"role": "observer"}, host["token"])
            room_senders = min(senders, per_room) if rooms == 1 else (1 if r < senders else 0)

            async def guest(
                i: int, room_id: str = room["id"], code: str = inv["code"], n: int = room_senders
            ) -> Seat:
                async with sem:
                    g = await post(
                        urls[i % len(urls)], "/api/auth/guest", {"code": code, "display_name": f"师{i}"}
                    )
                return Seat(urls[i % len(urls)], g["token"], g["user"]["id"], room_id, i < n)

            seats += await asyncio.gather(*(guest(i) for i in range(per_room)))
    # spread each room over the workers, so every worker has listeners of every room
    chunks: list[list[Seat]] = [seats[i::workers] for i in range(workers)]
    ctx = mp.get_context("spawn")
    pipes, procs = [], []
    for chunk in chunks:
        parent, child = ctx.Pipe()
        p = ctx.Process(target=worker, args=(chunk, child), daemon=True)
        p.start()
        pipes.append(parent)
        procs.append(p)
    loop = asyncio.get_running_loop()
    joining = time.time()
    for pipe in pipes:
        assert await loop.run_in_executor(None, pipe.recv) == "ready"
    print(
        f"  {rooms} × {per_room} on {len(servers)} process(es): all joined in {time.time() - joining:.0f} s",
        flush=True,
    )
    pids = [s.proc.pid for s in servers if s.proc is not None]
    start = time.time() + 1.0
    cpu0 = sum(cpu_seconds(p) for p in pids)
    for pipe in pipes:
        pipe.send((start, seconds))
    await asyncio.sleep(start + seconds - time.time())
    cpu = (sum(cpu_seconds(p) for p in pids) - cpu0) / (time.time() - start + 0.0)
    rss = sum(rss_mb(p) for p in pids)
    lat: list[float] = []
    for pipe in pipes:
        lat += await loop.run_in_executor(None, pipe.recv)
    for p in procs:
        p.join(30)
    sends = sum(1 for s in seats if s.sender) * int(seconds)
    expected = sends * (per_room - 1)
    lat.sort()
    q = statistics.quantiles(lat, n=100) if len(lat) > 2 else [float("nan")] * 99
    return {"p50": q[49] * 1000, "p99": q[98] * 1000, "delivered": len(lat), "expected": expected,
            "cpu": cpu * 100, "rss": rss}  # fmt: skip


async def deployment(
    processes: int, base: Path, scenarios: list[tuple[int, int]], args: argparse.Namespace
) -> list[dict[str, Any]]:
    results = []
    for rooms, per_room in scenarios:
        async with fresh_pg_database() as db_url:
            env = {"MOKE_DATABASE_URL": db_url, "MOKE_SECRET_KEY": secrets.token_urlsafe(32),
                   "MOKE_LOG_LEVEL": "WARNING", "MOKE_ROOMS_CHAT_RATE": "100"}  # fmt: skip
            if processes > 1:
                env.update({"MOKE_REDIS_URL": require_redis(), "MOKE_REDIS_PREFIX": unique_prefix()})
            servers = [
                await ServerProcess(base / f"p{processes}-{rooms}-{i}", env).start() for i in range(processes)
            ]
            print(f"  servers: {[s.proc.pid for s in servers if s.proc]}", file=sys.stderr, flush=True)
            try:
                senders = 4 if args.smoke else 20
                results.append(
                    await run_scenario(servers, rooms, per_room, senders, args.seconds, args.workers)
                )
            finally:
                for s in servers:
                    try:
                        s.terminate(30)
                    except subprocess.TimeoutExpired:
                        s.kill()
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the send window")
    parser.add_argument("--workers", type=int, default=4, help="client processes")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check the script works")
    parser.add_argument("--crowd", type=int, default=500, help="clients in the one-room scenario")
    parser.add_argument("--only", type=int, choices=(1, 2), help="run one deployment (1 or 2 processes)")
    args = parser.parse_args()
    scenarios = [(1, 40), (5, 8)] if args.smoke else [(1, args.crowd), (50, 20)]
    with tempfile.TemporaryDirectory() as tmp:
        one = await deployment(1, Path(tmp), scenarios, args) if args.only != 2 else []
        two = await deployment(2, Path(tmp), scenarios, args) if args.only != 1 else []
    print(f"\nroom fan-out: 20 senders × 1 msg/s for {args.seconds:g} s, {args.workers} client processes, "
          f"{os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f})")  # fmt: skip
    head = f"{'scenario':<18}{'deployment':<22}{'p50 ms':>9}{'p99 ms':>9}{'delivered':>17}{'server CPU %':>14}{'RSS MB':>9}"
    print(head)
    print("-" * len(head))
    for i, (rooms, per_room) in enumerate(scenarios):
        name = f"{rooms} × {per_room}"
        for label, results in (("1 process", one), ("2 processes + Redis", two)):
            if results:
                r = results[i]
                print(f"{name:<18}{label:<22}{r['p50']:>9.1f}{r['p99']:>9.1f}"
                      f"{r['delivered']:>8}/{r['expected']:<8}{r['cpu']:>14.0f}{r['rss']:>9.0f}")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
