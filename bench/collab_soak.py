"""Soak: load and unload many documents; print each server's RSS as it goes (flat is the goal).

Each document is opened by one client that makes one edit and leaves; Moke unloads idle documents
after ``--unload-after`` seconds, the peers after their last client leaves. Side by side with
pycrdt-websocket and @y/websocket-server, like ``collab_fanout.py``.

    python bench/collab_soak.py [--docs 10000] [--servers moke,pycrdt,node]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import pycrdt  # noqa: E402
from collab_fanout import Server, masked_frame, raw_ws, start_server  # noqa: E402

from collab.protocol import SyncUpdate  # noqa: E402

CONCURRENCY = 16


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def one_edit(i: int) -> bytes:
    doc: pycrdt.Doc[Any] = pycrdt.Doc()
    doc.get("t", type=pycrdt.Text).insert(0, f"第{i}份教案：教学目标、教学过程、板书设计。")
    return masked_frame(bytes(SyncUpdate(doc.get_update())))


async def visit(srv: Server, doc: str, frame: bytes) -> None:
    reader, writer = await raw_ws(srv.url(doc))
    writer.write(frame)
    await reader.read(1 << 16)  # the server's sync step 1: the document is loaded
    writer.write(
        b"\x88\x82"
        + b"\x1f\x2e\x3d\x4c"
        + bytes(b ^ m for b, m in zip(b"\x03\xe8", b"\x1f\x2e", strict=True))
    )
    writer.close()


async def soak(kind: str, n_docs: int, samples: int) -> list[tuple[int, float, float]]:
    srv = await start_server(kind, n_docs)
    frames = [one_edit(i) for i in range(min(n_docs, 500))]
    out: list[tuple[int, float, float]] = [(0, 0.0, rss_mb(srv.proc.pid))]
    t0 = time.monotonic()
    try:
        sem = asyncio.Semaphore(CONCURRENCY)
        step = max(1, n_docs // samples)

        async def one(i: int) -> None:
            async with sem:
                await visit(srv, srv.docs[i], frames[i % len(frames)])

        for start in range(0, n_docs, step):
            await asyncio.gather(*(one(i) for i in range(start, min(n_docs, start + step))))
            out.append((min(n_docs, start + step), time.monotonic() - t0, rss_mb(srv.proc.pid)))
        await asyncio.sleep(3)  # idle documents unload
        out.append((n_docs, time.monotonic() - t0, rss_mb(srv.proc.pid)))
    finally:
        srv.stop()
    return out


async def main(args: argparse.Namespace) -> None:
    import collab_fanout

    collab_fanout.MOKE_EXTRA_ENV["MOKE_COLLAB_UNLOAD_AFTER"] = str(args.unload_after)
    results = {}
    for kind in args.servers.split(","):
        results[kind] = await soak(kind, args.docs, args.samples)
        print(f"{kind}: done in {results[kind][-1][1]:.0f} s", flush=True)
    kinds = list(results)
    print(f"\nRSS (MB) while {args.docs} documents are each opened, edited once and left")
    print(f"{'docs':>7} " + " ".join(f"{k:>10}" for k in kinds))
    for row in range(len(results[kinds[0]])):
        label = "idle" if row == len(results[kinds[0]]) - 1 else str(results[kinds[0]][row][0])
        print(
            f"{label:>7} " + " ".join(f"{results[k][row][2]:10.1f}" for k in kinds if row < len(results[k]))
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--unload-after", type=float, default=1.0)
    parser.add_argument("--servers", default="moke,pycrdt,node")
    asyncio.run(main(parser.parse_args()))
