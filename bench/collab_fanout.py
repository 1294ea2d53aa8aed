"""Fan-out benchmark: Moke's y-websocket server side by side with pycrdt-websocket and @y/websocket-server.

Scenarios: C clients (10, 50, 100, 200) on one document, each sending 5 edits/s; and 200 documents
x 2 clients. Load comes from lightweight protocol clients spread over processes (they send valid
pre-generated Yjs updates and count incoming frames without applying them); three full Yjs peers
(pycrdt docs) per probed document send timestamped edits, apply everything, and measure fan-out
latency, delivery and convergence. Prints numbers, never pass/fail.

    python bench/collab_fanout.py [--duration 20] [--clients 10,50,100,200] [--servers moke,pycrdt,node]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import pycrdt  # noqa: E402

from collab.protocol import SyncStep1, SyncStep2, SyncUpdate, decode_frame  # noqa: E402

RATE = 5.0
MOKE_EXTRA_ENV: dict[str, str] = {}
MAX_SETTLE = 30.0
LOAD_PROCS = 2


# ==== worker roles (run in subprocesses) ===========================================================
MASK = b"\x1f\x2e\x3d\x4c"


def masked_frame(payload: bytes) -> bytes:
    """A client-to-server binary frame (RFC 6455 requires masking); built once, before the run."""
    n = len(payload)
    if n < 126:
        header = bytes((0x82, 0x80 | n))
    elif n < 1 << 16:
        header = bytes((0x82, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((0x82, 0x80 | 127)) + n.to_bytes(8, "big")
    body = bytes(b ^ MASK[i % 4] for i, b in enumerate(payload))
    return header + MASK + body


async def raw_ws(url: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Open a WebSocket with a hand-written upgrade: no framing library on the receive path."""
    rest = url.split("://", 1)[1]
    hostport, _, path = rest.partition("/")
    host, port = hostport.split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        (f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()
    )  # fmt: skip
    head = await reader.readuntil(b"\r\n\r\n")
    if b" 101 " not in head.split(b"\r\n", 1)[0]:
        raise RuntimeError(f"upgrade refused: {head[:80]!r}")
    return reader, writer


async def role_load(spec: dict[str, Any]) -> dict[str, Any]:
    """Lightweight clients: pre-generated updates out; incoming bytes counted, never parsed or applied."""
    clients = spec["clients"]  # [{url, doc, tag}]
    updates: list[list[bytes]] = []
    n_edits = int(spec["duration"] * RATE) + 2
    for c in clients:
        doc: pycrdt.Doc[Any] = pycrdt.Doc()
        m = doc.get("m", type=pycrdt.Map)
        ups = []
        for i in range(n_edits):
            sv = doc.get_state()
            m[f"{c['tag']}:{i}"] = i
            ups.append(masked_frame(bytes(SyncUpdate(doc.get_update(sv)))))
        updates.append(ups)
    received = [0] * len(clients)
    sent = [0] * len(clients)
    conns = [await raw_ws(c["url"]) for c in clients]

    async def reader(k: int, r: asyncio.StreamReader) -> None:
        while True:
            chunk = await r.read(1 << 16)
            if not chunk:
                return
            received[k] += len(chunk)

    readers = [asyncio.ensure_future(reader(k, r)) for k, (r, _w) in enumerate(conns)]
    await ws_ready()
    await wait_go()
    cpu0 = time.process_time()

    async def sender(k: int, w: asyncio.StreamWriter) -> None:
        period = 1 / RATE
        await asyncio.sleep((k * 0.6180339 % 1) * period)
        t0 = time.monotonic()
        i = 0
        while time.monotonic() - t0 < spec["duration"] and i < n_edits:
            w.write(updates[k][i])
            sent[k] += 1
            i += 1
            await asyncio.sleep(max(0.0, t0 + i * period - time.monotonic()))

    await asyncio.gather(*(sender(k, w) for k, (_r, w) in enumerate(conns)))
    await asyncio.sleep(spec["settle"])
    cpu = time.process_time() - cpu0
    for r in readers:
        r.cancel()
    for _r, w in conns:
        w.close()
    return {"cpu": cpu, "sent": {c["tag"]: s for c, s in zip(clients, sent, strict=True)},
            "docs": {c["tag"]: c["doc"] for c in clients}, "bytes_in": sum(received)}  # fmt: skip


async def role_probe(spec: dict[str, Any]) -> dict[str, Any]:
    """Full Yjs peers (pycrdt): timestamped edits out, everything applied in, latency per probe edit."""
    probes = spec["probes"]  # [{url, doc, tag}]
    latencies: list[float] = []
    docs: list[pycrdt.Doc[Any]] = []
    session = aiohttp.ClientSession()
    sockets = []
    synced = []
    for p in probes:
        doc: pycrdt.Doc[Any] = pycrdt.Doc()
        m = doc.get("m", type=pycrdt.Map)
        own = p["tag"] + ":"

        m.observe(_latency_observer(own, latencies))
        docs.append(doc)
        ws = await session.ws_connect(p["url"], max_msg_size=0, compress=0)
        sockets.append(ws)
        synced.append(asyncio.Event())

    async def reader(k: int, ws: aiohttp.ClientWebSocketResponse) -> None:
        doc = docs[k]
        await ws.send_bytes(bytes(SyncStep1(doc.get_state())))
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.BINARY:
                continue
            for m in decode_frame(msg.data):
                if isinstance(m, SyncStep1):
                    await ws.send_bytes(bytes(SyncStep2(doc.get_update(m.state_vector))))
                elif isinstance(m, SyncStep2 | SyncUpdate):
                    last_rx[0] = time.monotonic()
                    doc.apply_update(m.update)
                    if isinstance(m, SyncStep2):
                        synced[k].set()

    last_rx = [time.monotonic()]
    readers = [asyncio.ensure_future(reader(k, ws)) for k, ws in enumerate(sockets)]
    await asyncio.gather(*(asyncio.wait_for(e.wait(), 30) for e in synced))
    await ws_ready()
    await wait_go()
    cpu0 = time.process_time()
    sent = [0] * len(probes)

    async def sender(k: int, ws: aiohttp.ClientWebSocketResponse) -> None:
        doc, period = docs[k], 1 / RATE
        m = doc.get("m", type=pycrdt.Map)
        await asyncio.sleep(k * period / len(probes))
        t0 = time.monotonic()
        i = 0
        while time.monotonic() - t0 < spec["duration"]:
            sv = doc.get_state()
            m[f"{probes[k]['tag']}:{i}"] = time.time()
            await ws.send_bytes(bytes(SyncUpdate(doc.get_update(sv))))
            sent[k] += 1
            i += 1
            await asyncio.sleep(max(0.0, t0 + i * period - time.monotonic()))

    await asyncio.gather(*(sender(k, ws) for k, ws in enumerate(sockets)))
    # settle: until nothing has arrived for `settle` seconds (a server with a backlog gets to drain
    # it, so delivery and convergence mean "eventually"), at most MAX_SETTLE
    ended = time.monotonic()
    while time.monotonic() - last_rx[0] < spec["settle"] and time.monotonic() - ended < MAX_SETTLE:
        await asyncio.sleep(0.1)
    cpu = time.process_time() - cpu0
    keys = [sorted(doc.get("m", type=pycrdt.Map).keys()) for doc in docs]
    for ws in sockets:
        await ws.close()
    for r in readers:
        r.cancel()
    await session.close()
    return {"cpu": cpu, "latencies": latencies, "keys": keys,
            "docs": [p["doc"] for p in probes], "sent": {p["tag"]: s for p, s in zip(probes, sent, strict=True)},
            "probe_docs": {p["tag"]: p["doc"] for p in probes}}  # fmt: skip


def _latency_observer(own: str, latencies: list[float]) -> Any:
    def on_change(event: Any) -> None:
        now = time.time()
        for key, change in event.keys.items():
            if key.startswith("P") and not key.startswith(own) and change.get("action") == "add":
                value = change.get("newValue")
                if isinstance(value, float):
                    latencies.append(now - value)

    return on_change


async def ws_ready() -> None:
    print(json.dumps({"ready": True}), flush=True)


async def wait_go() -> float:
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    return time.time()


# ==== servers ======================================================================================
@dataclass
class Server:
    name: str
    proc: subprocess.Popen[bytes]
    base: str  # ws URL prefix; a client URL is base + doc (+ query)
    query: str = ""
    docs: list[str] = field(default_factory=list)
    tmp: Any = None

    def url(self, doc: str) -> str:
        return f"{self.base}/{doc}{self.query}"

    def cpu(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
        if self.tmp is not None:
            self.tmp.cleanup()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def start_server(kind: str, n_docs: int) -> Server:
    docs = [f"bench{i:04d}" for i in range(n_docs)]
    if kind == "node":
        port = _free_port()
        script = ROOT / "bench" / "node_modules" / "@y" / "websocket-server" / "src" / "server.js"
        env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port)}
        proc = subprocess.Popen(
            ["node", str(script)], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        assert proc.stdout is not None
        proc.stdout.readline()
        return Server(kind, proc, f"ws://127.0.0.1:{port}", docs=docs)
    if kind == "pycrdt":
        port = _free_port()
        proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "peers" / "pycrdt_server.py"), str(port)],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)  # fmt: skip
        assert proc.stdout is not None
        proc.stdout.readline()
        return Server(kind, proc, f"ws://127.0.0.1:{port}", docs=docs)
    return await _start_moke(docs)


async def _start_moke(doc_names: list[str]) -> Server:
    import server.models  # noqa: F401  (tables for the foreign keys)
    from collab.models import Document
    from server.db import Database, now
    from tests.support.api import Api, make_room

    tmp = tempfile.TemporaryDirectory(prefix="moke-bench-")
    data = Path(tmp.name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOKE_")}
    env.update({"MOKE_DATA_DIR": str(data), "MOKE_LOG_LEVEL": "WARNING", "MOKE_LOG_JSON": "0", "PYTHONPATH": str(ROOT),
                "MOKE_COLLAB_RATE_MESSAGES": "1000",
                # every client uses one account's token: lift the connection caps for the load
                "MOKE_CONN_PER_TOKEN": "1000000", "MOKE_CONN_PER_USER": "1000000", **MOKE_EXTRA_ENV})  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "server", "serve", "--port", "0"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline().decode()
    port = int(line.rsplit(":", 1)[1].split("/")[0].strip())
    async with aiohttp.ClientSession() as http:
        user = await Api(http, f"http://127.0.0.1:{port}").register()
    db = Database(f"sqlite+aiosqlite:///{data / 'moke.db'}")
    await db.start(migrate=False)
    room = await make_room(db, user["user"]["id"])
    async with db.transaction() as session:
        session.add_all(Document(id=name, room_id=room, title=name, created_by=user["user"]["id"],
                                 created_at=now(), updated_at=now()) for name in doc_names)  # fmt: skip
    docs = doc_names
    await db.stop()
    return Server("moke", proc, f"ws://127.0.0.1:{port}/collab", f"?token={user['token']}", docs, tmp)


# ==== one scenario =================================================================================
async def _spawn(role: str, spec: dict[str, Any]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--role", role, "--spec", json.dumps(spec),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def run_scenario(kind: str, clients_per_doc: int, n_docs: int, duration: float) -> dict[str, Any]:
    srv = await start_server(kind, n_docs)
    settle = 3.0
    try:
        probed = srv.docs[: 1 if n_docs == 1 else 3]
        probes_per_doc = 3 if n_docs == 1 else 2
        probes = [{"url": srv.url(d), "doc": d, "tag": f"P{j}{i}"} for j, d in enumerate(probed)
                  for i in range(probes_per_doc)]  # fmt: skip
        load_clients = []
        for d in srv.docs:
            n = clients_per_doc - (probes_per_doc if d in probed else 0)
            load_clients += [{"url": srv.url(d), "doc": d, "tag": f"L{d[-6:]}-{i}"} for i in range(max(0, n))]
        spec = {"duration": duration, "settle": settle}
        # one process per full peer, so that applying every update never starves a peer of CPU
        procs = [await _spawn("probe", {**spec, "probes": [p]}) for p in probes]
        for p in range(LOAD_PROCS):
            part = load_clients[p::LOAD_PROCS]
            if part:
                procs.append(await _spawn("load", {**spec, "clients": part}))
        for p in procs:  # everyone connected and synced
            assert p.stdout is not None
            await asyncio.wait_for(p.stdout.readline(), 120)
        cpu0 = srv.cpu()
        t0 = time.monotonic()
        for p in procs:
            assert p.stdin is not None
            p.stdin.write(b"go\n")
            await p.stdin.drain()
        results = []
        for p in procs:
            assert p.stdout is not None
            out = await asyncio.wait_for(p.stdout.read(), duration + MAX_SETTLE + 120)
            results.append(json.loads(out.decode().strip().splitlines()[-1]))
            await p.wait()
        wall = time.monotonic() - t0
        server_cpu = srv.cpu() - cpu0
        rss = srv.peak_rss_mb()
    finally:
        srv.stop()
    probe_results, loads = results[: len(probes)], results[len(probes) :]
    probe: dict[str, Any] = {
        "sent": {},
        "probe_docs": {},
        "docs": [],
        "keys": [],
        "latencies": [],
        "cpu": 0.0,
    }
    for r in probe_results:
        probe["sent"].update(r["sent"])
        probe["probe_docs"].update(r["probe_docs"])
        probe["docs"] += r["docs"]
        probe["keys"] += r["keys"]
        probe["latencies"] += r["latencies"]
        probe["cpu"] += r["cpu"]
    sent: dict[str, int] = {**probe["sent"]}
    doc_of: dict[str, str] = {**probe["probe_docs"]}
    for r in loads:
        sent.update(r["sent"])
        doc_of.update(r["docs"])
    expected: dict[str, set[str]] = {}
    for tag, n in sent.items():
        expected.setdefault(doc_of[tag], set()).update(f"{tag}:{i}" for i in range(n))
    ratios, converged = [], True
    for doc, keys in zip(probe["docs"], probe["keys"], strict=True):
        want = expected[doc]
        ratios.append(len(want & set(keys)) / len(want))
        converged &= set(keys) == want
    total_sent = sum(sent.values())
    deliveries = sum(n * (clients_per_doc - 1) for n in sent.values()) * statistics.mean(ratios)
    lat = sorted(probe["latencies"]) or [float("nan")]

    def pct(q: float) -> float:
        return lat[min(len(lat) - 1, int(q * len(lat)))] * 1000

    return {"server": kind, "scenario": f"{clients_per_doc}x1" if n_docs == 1 else f"{n_docs}docx{clients_per_doc}",
            "p50": pct(0.5), "p95": pct(0.95), "p99": pct(0.99), "cpu_pct": 100 * server_cpu / wall,
            "rss_mb": rss, "client_cpu_pct": 100 * (probe["cpu"] + sum(r["cpu"] for r in loads)) / wall,
            "delivery": statistics.mean(ratios), "converged": converged, "sent": total_sent,
            "us_per_delivery": 1e6 * server_cpu / deliveries if deliveries else float("nan")}  # fmt: skip


def print_table(rows: list[dict[str, Any]], header: bool = True) -> None:
    head = (f"{'scenario':>10} {'server':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'srv CPU%':>8} "
            f"{'peak RSS':>9} {'cli CPU%':>8} {'deliv.':>7} {'conv.':>5} {'µs/deliv':>8} {'sent':>6}")  # fmt: skip
    if header:
        print(head)
        print("-" * len(head))
    for r in rows:
        print(f"{r['scenario']:>10} {r['server']:>8} {r['p50']:8.1f} {r['p95']:8.1f} {r['p99']:8.1f} "
              f"{r['cpu_pct']:8.1f} {r['rss_mb']:7.0f}MB {r['client_cpu_pct']:8.1f} {r['delivery']:7.3f} "
              f"{'yes' if r['converged'] else 'NO':>5} {r['us_per_delivery']:8.1f} {r['sent']:>6}", flush=True)  # fmt: skip


async def main(args: argparse.Namespace) -> None:
    servers = args.servers.split(",")
    scenarios = [(int(c), 1) for c in args.clients.split(",") if c] + ([(2, 200)] if args.docs else [])
    rows = []
    print(f"collab fan-out: {RATE:.0f} edits/s per client, {args.duration:.0f} s per run, "
          f"load over {LOAD_PROCS} processes + one process per full peer, {os.cpu_count()} CPUs", flush=True)  # fmt: skip
    for per_doc, n_docs in scenarios:
        for kind in servers:
            try:
                rows.append(await run_scenario(kind, per_doc, n_docs, args.duration))
            except Exception as exc:  # a peer that falls over is a result too
                print(f"  {kind} {per_doc}x{n_docs}: failed: {exc!r}", flush=True)
            if rows and rows[-1]["server"] == kind:
                print_table(rows[-1:], header=len(rows) == 1)
    print()
    print_table(rows)
    print(
        f"load average at the end: {os.getloadavg()[0]:.1f} (other work on this machine competes for its CPUs)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of editing per run")
    parser.add_argument("--clients", default="10,50,100,200", help="clients on one document, comma-separated")
    parser.add_argument("--no-docs", dest="docs", action="store_false", help="skip 200 documents x 2 clients")
    parser.add_argument("--servers", default="moke,pycrdt,node")
    parser.add_argument("--role", choices=["load", "probe"], help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    a = parser.parse_args()
    if a.role:
        fn = role_load if a.role == "load" else role_probe
        print(json.dumps(asyncio.run(fn(json.loads(a.spec)))), flush=True)
    else:
        asyncio.run(main(a))
