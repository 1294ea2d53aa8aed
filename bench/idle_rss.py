"""Idle memory: resident set size of an idle `moke serve` beside the Node `@y/websocket-server`.

Each server is started fresh, given a few seconds after it prints that it listens, and its VmRSS is read from
/proc. Moke runs with SQLite in a temporary data directory. The Node peer needs `npm ci` in bench/; without it
the issue's measured figure (56-57 MB, issue #18) is printed instead.

    .venv/bin/python bench/idle_rss.py [--runs 3] [--settle 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_SERVER = ROOT / "bench" / "node_modules" / "@y" / "websocket-server" / "src" / "server.js"
NODE_ISSUE_MB = "56-57 MB (issue #18's measurement; run `npm ci` in bench/ to measure it here)"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def idle_rss(cmd: list[str], env: dict[str, str], settle: float) -> float:
    """Start ``cmd``, wait for its first line of output (it listens) and ``settle`` seconds, read its RSS."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None
        if not proc.stdout.readline():
            raise RuntimeError(f"{cmd[0]} exited before it listened (code {proc.wait()})")
        time.sleep(settle)
        return rss_mb(proc.pid)
    finally:
        proc.kill()
        proc.wait()


def moke_rss(settle: float) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOKE_")}
    env["PYTHONPATH"] = str(ROOT)
    with tempfile.TemporaryDirectory(prefix="moke-idle-") as data:
        cmd = [sys.executable, "-m", "server", "serve", "--port", "0", "--data-dir", data]
        return idle_rss(cmd, env, settle)


def node_rss(settle: float) -> float:
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": "0"}
    return idle_rss(["node", str(NODE_SERVER)], env, settle)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--settle", type=float, default=3.0, help="seconds to wait after the server listens")
    args = parser.parse_args()
    moke = [moke_rss(args.settle) for _ in range(args.runs)]
    print(
        f"moke serve       idle RSS: {statistics.median(moke):6.1f} MB  (runs: {', '.join(f'{m:.1f}' for m in moke)})"
    )
    if NODE_SERVER.exists():
        node = [node_rss(args.settle) for _ in range(args.runs)]
        runs = ", ".join(f"{m:.1f}" for m in node)
        print(f"node y-websocket idle RSS: {statistics.median(node):6.1f} MB  (runs: {runs})")
    else:
        print(f"node y-websocket idle RSS: {NODE_ISSUE_MB}")


if __name__ == "__main__":
    main()
