"""Chat fan-out through rooms: delivery latency and server cost, one process vs two behind Redis.

Scenarios (each run on both deployments; one table at the end, deployments side by side):
  * 1 room × 500 clients (``--crowd``), 20 of them (``--senders``) send one chat message per second;
  * 50 rooms × 20 clients (``--rooms``), 20 senders (one in each of 20 rooms) send one message per second.
Clients are real python-socketio AsyncClients spread over ``--workers`` client processes (so the client
side does not saturate first); in the two-process deployment they alternate between the two servers.
Joins go a few at a time per worker; a connect or join that fails is retried, and a worker that gives up
stops the run with its error (no silent hang). Latency = receive time - send time carried in the message
(one machine, one clock), for every delivery to every other member of the room. Server CPU is measured from
/proc over the send window, RSS at its end (summed over the server processes). Both deployments use
PostgreSQL; the second adds Redis (python-socketio's Redis manager; presence, seats, rate limits in Redis).

    .venv/bin/python bench/room_fanout.py [flags]

Flags:
  --seconds S    length of the send window (default 10)
  --workers N    client processes (default 4)
  --crowd N      clients in the one-room scenario (default 500; 0 skips it)
  --rooms RxN    the many-rooms scenario: R rooms of N clients (default 50x20; 0x0 skips it)
  --senders N    clients sending one message per second in each scenario (default 20)
  --only 1|2     run only the one-process or only the two-process deployment
  --smoke        tiny sizes (1 × 40 and 5 × 8, 4 senders) to check the script works

Rows of the table: time until every client had joined, per-join reply time (p50/p99), chat delivery
latency (p50/p99), deliveries seen / expected, presence deltas each client received while the room filled,
how long after a client sent room:join the others already in the room saw it in a delta (p50/p99; an upper
bound of presence latency: it includes the join's own time in the server's queue),
server CPU (% of one core over the send window, summed over processes; and CPU time from the window's start
to the end of the drain divided by the deliveries seen), server RSS, and the client processes' CPU. On a
busy machine latency mostly measures how much CPU the server process gets; CPU per delivery does not.
Runs take a few minutes and load the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.server import ServerProcess  # noqa: E402
from tests.support.services import fresh_pg_database, require_redis, unique_prefix  # noqa: E402

CLK = os.sysconf("SC_CLK_TCK")
JOINS_AT_ONCE = 8  # per worker process
ATTEMPTS = 4
READY_TIMEOUT = 900.0
DRAIN_MAX = 60.0


@dataclass
class Seat:
    url: str
    token: str
    user_id: int
    room_id: str
    sender: bool


@dataclass
class WorkerResult:
    latencies: list[float] = field(default_factory=list)
    join_times: list[float] = field(default_factory=list)
    deltas: int = 0  # presence:delta events received while joining
    joined_at: dict[int, float] = field(default_factory=dict)  # user id -> when it sent room:join
    seen: list[tuple[int, float]] = field(default_factory=list)  # (user id, when a delta first showed it)
    retries: int = 0


# ---- clients ---------------------------------------------------------------------------------------
OnEvent = Callable[[str, Any], None]


class WireClient:
    """The Socket.IO protocol spoken directly over one aiohttp WebSocket: Engine.IO 4 open, ping → pong,
    Socket.IO 5 CONNECT with auth, EVENT, ACK. A python-socketio AsyncClient spends several times more CPU
    on each message it receives; with hundreds of them on a small machine the clients, not the server,
    would set the latency (``--client python-socketio`` runs the library instead)."""

    def __init__(self, http: aiohttp.ClientSession, on_event: OnEvent) -> None:
        self.http = http
        self.on_event = on_event
        self.acks: dict[int, asyncio.Future[Any]] = {}
        self.n = 0
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.reader: asyncio.Task[None] | None = None
        self.closed = ""  # why the connection ended, once it has

    async def connect(self, url: str, token: str, timeout: float) -> None:
        ws_url = "ws" + url[4:] + "/socket.io/?EIO=4&transport=websocket"
        self.ws = ws = await self.http.ws_connect(ws_url, timeout=aiohttp.ClientWSTimeout(ws_close=5),
                                                  max_msg_size=0, autoping=True)  # fmt: skip
        opened = await ws.receive(timeout)
        if not (isinstance(opened.data, str) and opened.data.startswith("0")):
            raise ConnectionError(f"no Engine.IO open packet: {opened.data!r}")
        await ws.send_str("40" + json.dumps({"token": token}))
        connected = await ws.receive(timeout)
        if not (isinstance(connected.data, str) and connected.data.startswith("40")):
            raise ConnectionError(f"Socket.IO connect refused: {connected.data!r}")
        self.reader = asyncio.get_running_loop().create_task(self._read(ws))

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        why = "connection closed"
        try:
            async for msg in ws:
                data = msg.data
                if msg.type != aiohttp.WSMsgType.TEXT:
                    continue
                if data == "2":
                    await ws.send_str("3")
                elif data.startswith("42"):
                    event, payload = json.loads(data[2:])[:2]
                    self.on_event(event, payload)
                elif data.startswith("43"):
                    i = 2
                    while data[i].isdigit():
                        i += 1
                    fut = self.acks.pop(int(data[2:i]), None)
                    if fut is not None and not fut.done():
                        fut.set_result(json.loads(data[i:])[0])
                elif data.startswith("41") or data.startswith("1"):
                    why = f"closed by the server ({data!r})"
                    break
        except Exception as exc:
            why = f"reader failed: {exc!r}"
        finally:
            self.closed = why
            for fut in self.acks.values():
                if not fut.done():
                    fut.set_exception(ConnectionError(why))
            self.acks.clear()

    async def call(self, event: str, data: Any, timeout: float) -> Any:
        assert self.ws is not None
        if self.closed:
            raise ConnectionError(self.closed)
        self.n += 1
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.acks[self.n] = fut
        await self.ws.send_str(f"42{self.n}" + json.dumps([event, data]))
        return await asyncio.wait_for(fut, timeout)

    async def emit(self, event: str, data: Any) -> None:
        assert self.ws is not None
        await self.ws.send_str("42" + json.dumps([event, data]))

    async def close(self) -> None:
        if self.ws is not None and not self.ws.closed:
            with contextlib.suppress(Exception):
                await self.ws.send_str("41")
            await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()


class LibClient:
    """python-socketio's AsyncClient behind the same four calls."""

    def __init__(self, on_event: OnEvent) -> None:
        import socketio

        self.sio = socketio.AsyncClient(reconnection=False)
        self.sio.on("*", lambda event, data=None: on_event(event, data))

    async def connect(self, url: str, token: str, timeout: float) -> None:
        await self.sio.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=timeout)

    async def call(self, event: str, data: Any, timeout: float) -> Any:
        return await self.sio.call(event, data, timeout=timeout)

    async def emit(self, event: str, data: Any) -> None:
        await self.sio.emit(event, data)

    async def close(self) -> None:
        await self.sio.disconnect()


# ---- client worker process -------------------------------------------------------------------------
def worker(seats: list[Seat], library: bool, conn: Connection) -> None:
    try:
        asyncio.run(_worker(seats, library, conn))
    except BaseException as exc:
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        raise


async def _worker(seats: list[Seat], library: bool, conn: Connection) -> None:
    result = WorkerResult()
    sem = asyncio.Semaphore(JOINS_AT_ONCE)
    window: list[float] = [0.0, 0.0]
    joining = [True]
    last_rx = [0.0]  # when the last chat message arrived
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))  # each WebSocket holds a connection

    def handler(seat: Seat, known: set[int]) -> OnEvent:
        """``known``: users this client has seen online (filled from the join state; empty until then)."""

        def on_event(event: str, data: Any) -> None:
            if event == "chat:message":
                if data["user_id"] == seat.user_id:
                    return
                t = last_rx[0] = time.time()
                sent = json.loads(data["text"])["t"]
                if window[0] <= sent < window[1]:
                    result.latencies.append(t - sent)
            elif event == "presence:delta":
                if joining[0]:
                    result.deltas += 1
                if not known:
                    return  # not joined yet: the join state will have them
                t = time.time()
                for line in data["changed"]:
                    if line["user_id"] not in known:
                        known.add(line["user_id"])
                        result.seen.append((line["user_id"], t))

        return on_event

    async def connect(seat: Seat) -> Any:
        for attempt in range(ATTEMPTS):
            known: set[int] = set()
            c = LibClient(handler(seat, known)) if library else WireClient(http, handler(seat, known))
            try:
                async with sem:
                    t0 = time.time()
                    await c.connect(seat.url, seat.token, 60)
                    asked = time.time()
                    reply = await c.call("room:join", {"room_id": seat.room_id}, timeout=120)
                    if not reply.get("ok"):
                        raise RuntimeError(f"join refused: {reply}")
                    t1 = time.time()
                    result.join_times.append(t1 - t0)
                    result.joined_at[seat.user_id] = asked
                    known.update(u["user_id"] for u in reply["state"]["online"])
                    known.add(seat.user_id)
                return c
            except Exception as exc:
                result.retries += 1
                print(
                    f"  retry {attempt + 1}: {seat.url} user {seat.user_id}: {exc!r}",
                    file=sys.stderr,
                    flush=True,
                )
                with contextlib.suppress(Exception):
                    await c.close()
                if attempt == ATTEMPTS - 1:
                    raise
                await asyncio.sleep(1.0 + attempt * 2)
        raise AssertionError("unreachable")

    clients = await asyncio.gather(*(connect(s) for s in seats))
    conn.send(("ready", None))
    start, seconds = await asyncio.get_running_loop().run_in_executor(None, conn.recv)
    joining[0] = False
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
    # drain: until nothing has arrived for 2 s (a backlog on a busy machine still counts), at most a minute
    end = start + seconds
    while time.time() < end + DRAIN_MAX and (time.time() < end + 2 or time.time() - last_rx[0] < 2):
        await asyncio.sleep(0.25)
    conn.send(("done", result))
    await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
    await http.close()


def receive(pipe: Connection, procs: list[Any], timeout: float) -> Any:
    """The next message of a worker; a worker error or death stops the run with a clear message."""
    deadline = time.time() + timeout
    while not pipe.poll(1.0):
        if time.time() > deadline:
            raise SystemExit(f"a client worker sent nothing for {timeout:.0f} s")
        if any(p.exitcode not in (None, 0) for p in procs):
            if pipe.poll(1.0):
                break
            raise SystemExit("a client worker died")
    kind, body = pipe.recv()
    if kind == "error":
        raise SystemExit(f"a client worker failed: {body}")
    return body


# ---- server measurements ---------------------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100)[q - 1]


# ---- one scenario on one deployment ----------------------------------------------------------------
async def make_seats(urls: list[str], rooms: int, per_room: int, senders: int) -> list[Seat]:
    """Rooms with guests (joined by invite code over REST), ``senders`` of them chosen to chat."""
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
    return seats


async def run_scenario(
    servers: list[ServerProcess], rooms: int, per_room: int, args: argparse.Namespace
) -> dict[str, Any]:
    senders, seconds, workers = args.senders, args.seconds, args.workers
    seats = await make_seats([s.url for s in servers], rooms, per_room, senders)
    # spread each room over the workers, so every worker has listeners of every room
    chunks: list[list[Seat]] = [seats[i::workers] for i in range(workers)]
    ctx = mp.get_context("spawn")
    pipes, procs = [], []
    for chunk in chunks:
        parent, child = ctx.Pipe()
        p = ctx.Process(target=worker, args=(chunk, args.client == "python-socketio", child), daemon=True)
        p.start()
        pipes.append(parent)
        procs.append(p)
    loop = asyncio.get_running_loop()
    try:
        joining = time.time()
        for pipe in pipes:
            await loop.run_in_executor(None, receive, pipe, procs, READY_TIMEOUT)
        joined_in = time.time() - joining
        print(f"  {rooms} × {per_room} on {len(servers)} process(es): all joined in {joined_in:.0f} s",
              file=sys.stderr, flush=True)  # fmt: skip
        pids = [s.proc.pid for s in servers if s.proc is not None]
        start = time.time() + 1.0  # every worker has the window before the first message goes out
        for pipe in pipes:
            pipe.send((start, seconds))
        await asyncio.sleep(start - time.time())
        cpu0 = sum(cpu_seconds(p) for p in pids)
        client_cpu0 = sum(cpu_seconds(p.pid) for p in procs if p.pid)
        await asyncio.sleep(start + seconds - time.time())
        cpu = (sum(cpu_seconds(p) for p in pids) - cpu0) / seconds
        client_cpu = (sum(cpu_seconds(p.pid) for p in procs if p.pid) - client_cpu0) / seconds
        rss = sum(rss_mb(p) for p in pids)
        results: list[WorkerResult] = [
            await loop.run_in_executor(None, receive, pipe, procs, seconds + DRAIN_MAX + 120)
            for pipe in pipes
        ]
        cpu_total = sum(cpu_seconds(p) for p in pids) - cpu0  # the window and the drain after it
    finally:
        for p in procs:
            p.join(30)
            if p.is_alive():
                p.kill()
    lat = sorted(x for r in results for x in r.latencies)
    joins = [x for r in results for x in r.join_times]
    joined_at = {u: t for r in results for u, t in r.joined_at.items()}
    shown = [t - joined_at[u] for r in results for u, t in r.seen if u in joined_at]
    sends = sum(1 for s in seats if s.sender) * int(seconds)
    return {
        "joined": joined_in,
        "join50": pct(joins, 50) * 1000,
        "join99": pct(joins, 99) * 1000,
        "retries": sum(r.retries for r in results),
        "p50": pct(lat, 50) * 1000,
        "p99": pct(lat, 99) * 1000,
        "delivered": len(lat),
        "expected": sends * (per_room - 1),
        "deltas": sum(r.deltas for r in results) / len(seats),
        "shown50": pct(shown, 50) * 1000,
        "shown99": pct(shown, 99) * 1000,
        "cpu": cpu * 100,
        "cpu_per_delivery": cpu_total / max(1, len(lat)) * 1e6,
        "client_cpu": client_cpu * 100,
        "rss": rss,
    }


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
                await ServerProcess(base / f"p{processes}-{rooms}-{i}", env).start(timeout=120)
                for i in range(processes)
            ]
            print(f"{rooms} × {per_room}, {processes} process(es): server pids "
                  f"{[s.proc.pid for s in servers if s.proc]}", file=sys.stderr, flush=True)  # fmt: skip
            try:
                results.append(await run_scenario(servers, rooms, per_room, args))
            finally:
                for s in servers:
                    try:
                        s.terminate(30)
                    except subprocess.TimeoutExpired:
                        s.kill()
    return results


ROWS = [
    ("all joined in (s)", lambda r: f"{r['joined']:.0f}"),
    ("join reply p50/p99 (ms)", lambda r: f"{r['join50']:.0f} / {r['join99']:.0f}"),
    ("connect/join retries", lambda r: f"{r['retries']}"),
    ("chat latency p50 (ms)", lambda r: f"{r['p50']:.1f}"),
    ("chat latency p99 (ms)", lambda r: f"{r['p99']:.1f}"),
    ("delivered / expected", lambda r: f"{r['delivered']}/{r['expected']}"),
    ("presence deltas per client", lambda r: f"{r['deltas']:.0f}"),
    ("join → seen by others p50/p99 (ms)", lambda r: f"{r['shown50']:.0f} / {r['shown99']:.0f}"),
    ("server CPU (% of a core)", lambda r: f"{r['cpu']:.0f}"),
    ("server CPU per delivery (µs)", lambda r: f"{r['cpu_per_delivery']:.0f}"),
    ("server RSS (MB)", lambda r: f"{r['rss']:.0f}"),
    ("client CPU (% of a core)", lambda r: f"{r['client_cpu']:.0f}"),
]


def table(scenarios: list[tuple[int, int]], one: list[dict[str, Any]], two: list[dict[str, Any]]) -> str:
    columns = []  # (heading, results)
    for i, (rooms, per_room) in enumerate(scenarios):
        for label, results in (("1 process", one), ("2 proc + Redis", two)):
            if results:
                columns.append((f"{rooms}×{per_room} {label}", results[i]))
    width = max(22, *(len(h) + 2 for h, _ in columns))
    lines = [f"{'':<28}" + "".join(f"{h:>{width}}" for h, _ in columns)]
    lines.append("-" * len(lines[0]))
    for name, fmt in ROWS:
        lines.append(f"{name:<28}" + "".join(f"{fmt(r):>{width}}" for _, r in columns))
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n", 1)[0], epilog="See the module docstring for what is measured."
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the send window")
    parser.add_argument("--workers", type=int, default=4, help="client processes")
    parser.add_argument("--crowd", type=int, default=500, help="clients in the one-room scenario")
    parser.add_argument("--rooms", default="50x20", help="many-rooms scenario: ROOMSxCLIENTS")
    parser.add_argument("--senders", type=int, default=20, help="clients sending 1 message/s")
    parser.add_argument("--client", choices=("wire", "python-socketio"), default="wire",
                        help="protocol spoken by hand over aiohttp (light) or python-socketio's AsyncClient")  # fmt: skip
    parser.add_argument("--only", type=int, choices=(1, 2), help="run one deployment (1 or 2 processes)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check the script works")
    args = parser.parse_args()
    many = tuple(int(x) for x in args.rooms.lower().split("x"))
    if args.smoke:
        scenarios, args.senders = [(1, 40), (5, 8)], 4
    else:
        scenarios = [sc for sc in [(1, args.crowd), (many[0], many[1])] if sc[0] * sc[1] > 0]
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        one = await deployment(1, Path(tmp), scenarios, args) if args.only != 2 else []
        two = await deployment(2, Path(tmp), scenarios, args) if args.only != 1 else []
    print(f"\nroom fan-out: {args.senders} senders × 1 msg/s for {args.seconds:g} s, {args.workers} client "
          f"processes ({args.client} clients), {os.cpu_count()} CPUs; load average {load_before[0]:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after")  # fmt: skip
    print(table(scenarios, one, two))


if __name__ == "__main__":
    asyncio.run(main())
