"""Soak: a full showcase on one ``moke serve`` process for half an hour; is it flat?

A showcase room with V venues publishing (aiortc, in this process), N viewers on the program feed (each its
own guest with a Socket.IO connection, chatting and writing observation notes, in worker processes), E
editors co-editing a lesson plan (stock Yjs y-websocket providers in one Node process) and H hand-offs
spread over the run. Every ``--sample`` seconds it prints the server's RSS, open file descriptors and
threads (read from ``/proc/<pid>``) and its live asyncio tasks (``moke_asyncio_tasks`` on ``/metrics``);
at the end the least-squares slope of each after ``--warmup`` minutes. Flat after warm-up is the target;
it prints numbers, never pass/fail.

    python bench/soak.py [--minutes 30] [--venues 3] [--viewers 50] [--editors 10] [--handoffs 60]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from media import aiortc_hooks  # noqa: E402
from tests.support.api import Api  # noqa: E402
from tests.support.rooms import Client, guest, invite, member  # noqa: E402
from tests.support.server import ServerProcess  # noqa: E402
from tests.support.venues import Showcase, command, person, publish, showcase, watch_program  # noqa: E402
from tests.support.yjs import yclients  # noqa: E402

COLOURS = ("red", "green", "blue", "yellow")
NOTE_KINDS = ("positive", "question", "suggestion")  # 亮点, 疑问, 建议
METRICS = ("rss_mb", "fds", "tasks", "threads")


# ---- what is sampled -----------------------------------------------------------------------------
async def sample(api: Api, pid: int) -> dict[str, float]:
    """The server's RSS (MB), open descriptors and threads from /proc; asyncio tasks and connected viewers
    (summed over every label set) from /metrics."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss = int(re.search(r"^VmRSS:\s+(\d+)", status, re.MULTILINE).group(1)) / 1024  # type: ignore[union-attr]
    threads = int(re.search(r"^Threads:\s+(\d+)", status, re.MULTILINE).group(1))  # type: ignore[union-attr]
    async with api.http.get(api.base + "/metrics") as resp:
        text = await resp.text()
    tasks = float(re.search(r"^moke_asyncio_tasks (\S+)$", text, re.MULTILINE).group(1))  # type: ignore[union-attr]
    viewers = sum(
        float(v) for v in re.findall(r"^moke_media_viewers(?:\{[^}]*\})? (\S+)$", text, re.MULTILINE)
    )
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return {"rss_mb": rss, "fds": fds, "tasks": tasks, "threads": threads, "viewers": viewers}


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope (units per minute) of (minute, value) points."""
    if len(points) < 2:
        return float("nan")
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / var if var else float("nan")


# ---- viewers (worker processes) ------------------------------------------------------------------
async def ask(client: Client, event: str, body: dict[str, Any]) -> str:
    """Send one event: "ok", the refusal's error code, or "no_answer" after 20 s of silence."""
    try:
        reply = await client.call(event, body, timeout=20)
    except Exception:
        return "no_answer"
    return "ok" if reply.get("ok") else str(reply.get("error", {}).get("code"))


async def viewers(url: str, room_id: str) -> None:
    """Worker: viewers on the program feed who chat and write notes, until a line arrives on stdin.

    Reads its set-up (tokens, pacing) as one JSON line; prints "ready", then its counts as JSON at the end.
    """
    aiortc_hooks.use_loopback_candidates(True)
    loop = asyncio.get_running_loop()
    cfg = json.loads(await loop.run_in_executor(None, sys.stdin.readline))
    stats: dict[str, int] = {
        "frames": 0,
        "chat_ok": 0,
        "chat_err": 0,
        "notes_ok": 0,
        "notes_err": 0,
        "chat_heard": 0,
    }
    refusals: dict[str, int] = {}
    people = []
    for token in cfg["tokens"]:
        client = await Client(url, token).connect()
        await client.join(room_id)
        people.append((client, await watch_program(client, room_id, audio=cfg["audio"])))
    print("ready", flush=True)
    stop = asyncio.Event()

    async def act(n: int, client: Client) -> None:
        rng = random.Random(n)
        await asyncio.sleep(rng.uniform(0, cfg["chat_every"]))
        turn = 0
        while not stop.is_set():
            turn += 1
            code = await ask(client, "chat:send", {"room_id": room_id, "client_id": f"c{n}-{turn}",
                                                   "text": f"第{turn}条：板书设计很清楚"})  # fmt: skip
            stats["chat_ok" if code == "ok" else "chat_err"] += 1
            if code != "ok":
                refusals[f"chat:{code}"] = refusals.get(f"chat:{code}", 0) + 1
            if turn % cfg["note_per_chat"] == 0:
                code = await ask(client, "note:add", {
                    "room_id": room_id, "client_id": f"n{n}-{turn}", "text": "学生主动提问，追问到位",
                    "kind": NOTE_KINDS[turn % len(NOTE_KINDS)], "shared": turn % 2 == 0})  # fmt: skip
                stats["notes_ok" if code == "ok" else "notes_err"] += 1
                if code != "ok":
                    refusals[f"note:{code}"] = refusals.get(f"note:{code}", 0) + 1
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), rng.uniform(0.5, 1.5) * cfg["chat_every"])

    async def drain() -> None:  # keep the worker's own memory flat: count and drop what arrived
        while not stop.is_set():
            for client, observer in people:
                stats["frames"] += len(observer.frames)
                observer.frames.clear()
                stats["chat_heard"] += len(client.events.get("chat:message", ()))
                client.events.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), 5)

    tasks = [asyncio.ensure_future(act(i, c)) for i, (c, _) in enumerate(people)]
    tasks.append(asyncio.ensure_future(drain()))
    await loop.run_in_executor(None, sys.stdin.readline)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    for _client, observer in people:
        stats["frames"] += len(observer.frames)
    stats["dropped"] = sum(o.states != ["connecting", "connected"] for _, o in people)
    ends: dict[str, int] = {}
    for _, o in people:
        ends[">".join(o.states)] = ends.get(">".join(o.states), 0) + 1
    for client, observer in people:
        await observer.close()
        await client.close()
    print(json.dumps({**stats, "refusals": refusals, "states": ends}), flush=True)


async def start_viewers(
    args: argparse.Namespace, api: Api, url: str, show: Showcase
) -> list[subprocess.Popen[str]]:
    inv = await invite(api, show.host["token"], show.room_id, role="observer")
    tokens = [(await guest(api, inv["code"], name=f"观课{i + 1}"))["token"] for i in range(args.viewers)]
    workers = []
    loop = asyncio.get_running_loop()
    for k in range(args.procs):
        mine = tokens[k :: args.procs]
        w = subprocess.Popen([sys.executable, __file__, "--worker", url, show.room_id],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
        assert w.stdin is not None
        w.stdin.write(json.dumps({"tokens": mine, "audio": args.audio, "chat_every": args.chat_every,
                                  "note_per_chat": args.note_per_chat}) + "\n")  # fmt: skip
        w.stdin.flush()
        workers.append(w)
    for w in workers:
        assert w.stdout is not None
        line = await loop.run_in_executor(None, w.stdout.readline)
        assert line.strip() == "ready", line
    return workers


async def stop_viewers(workers: list[subprocess.Popen[str]]) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    for w in workers:
        assert w.stdin is not None
        w.stdin.write("stop\n")
        w.stdin.flush()
    total: dict[str, Any] = {"refusals": {}, "states": {}}
    for w in workers:
        assert w.stdout is not None
        data = json.loads(await loop.run_in_executor(None, w.stdout.read))
        w.wait(30)
        for key, value in data.items():
            if isinstance(value, dict):  # counts by code or by state sequence
                for k, n in value.items():
                    total[key][k] = total[key].get(k, 0) + n
            else:
                total[key] = total.get(key, 0) + value
    return total


# ---- the run -------------------------------------------------------------------------------------
async def run(args: argparse.Namespace) -> None:
    aiortc_hooks.use_loopback_candidates(True)
    with tempfile.TemporaryDirectory() as tmp:
        env = {"MOKE_MEDIA_ICE_LOOPBACK": "1", "MOKE_LOG_LEVEL": "WARNING", "MOKE_MEDIA_RTP_TIMEOUT": "60",
               "MOKE_AUTH_ATTEMPTS": "100000", "MOKE_ROOMS_INVITE_ATTEMPTS": "100000"}  # fmt: skip
        proc = await ServerProcess(Path(tmp) / "var", env=env).start()
        assert proc.proc is not None
        try:
            async with aiohttp.ClientSession() as session:
                await soak(args, Api(session, proc.url), proc.url, proc.proc.pid)
        finally:
            proc.kill()
            lines = proc.log_path.read_text(errors="replace").splitlines() if proc.log_path.exists() else []
            print(
                f"\nserver log (warnings and errors): {len(lines)} lines" + (", the last:" if lines else "")
            )
            for line in lines[-args.log_tail :]:
                print("  " + line[:200])


async def soak(args: argparse.Namespace, api: Api, url: str, pid: int) -> None:
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    colours = COLOURS[: args.venues]
    show = await showcase(api, url, colours)
    for colour in colours:
        await publish(show, colour, fps=args.fps)
    moderator = await person(api, url, show, "moderator")
    reply = await command(moderator, "venue:switch", show.room_id, venue_id=show.venues[colours[0]], epoch=0)
    epoch, current = reply["state"]["epoch"], colours[0]
    log(f"{args.venues} venues publishing; starting {args.viewers} viewers in {args.procs} processes")
    workers = await start_viewers(args, api, url, show)
    editors = [await member(api, show.host["token"], show.room_id, "editor", as_guest=True)
               for _ in range(args.editors)]  # fmt: skip
    status, doc = await api.call("POST", f"/api/rooms/{show.room_id}/docs", token=editors[0]["token"],
                                 json={"title": "《秋天的雨》教学设计", "template": "lesson_plan"})  # fmt: skip
    assert status == 201, doc
    counts = {"handoffs": 0, "refused": 0, "edits": 0}
    rows: list[tuple[float, dict[str, float]]] = []
    stop = asyncio.Event()
    try:
        async with yclients(url.replace("http", "ws", 1) + "/collab") as yc:
            ids = [await yc.open(doc["id"], e["token"], name=f"编辑{i + 1}") for i, e in enumerate(editors)]
            log(f"viewers and {len(ids)} editors ready; soaking for {args.minutes:g} minutes")
            t0 = time.monotonic()
            seconds = args.minutes * 60

            async def sampler() -> None:
                print(f"{'minute':>6}{'RSS MB':>9}{'fds':>6}{'tasks':>7}{'threads':>8}{'viewers':>8}"
                      f"{'hand-offs':>11}{'edits':>7}", flush=True)  # fmt: skip
                while True:
                    minute = (time.monotonic() - t0) / 60
                    m = await sample(api, pid)
                    rows.append((minute, m))
                    print(f"{minute:>6.1f}{m['rss_mb']:>9.1f}{m['fds']:>6.0f}{m['tasks']:>7.0f}{m['threads']:>8.0f}"
                          f"{m['viewers']:>8.0f}"
                          f"{counts['handoffs']:>11}{counts['edits']:>7}", flush=True)  # fmt: skip
                    if stop.is_set():
                        return
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(stop.wait(), args.sample)

            async def edit() -> None:  # each editor rewrites its own entry: the document stays small
                n = 0
                while not stop.is_set():
                    n += 1
                    for i, c in enumerate(ids):
                        await yc.call("set", client=c, key=f"e{i}", value=f"第{n}稿：教学目标、重难点、板书")
                        counts["edits"] += 1
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(stop.wait(), args.edit_every)

            background = [asyncio.ensure_future(sampler()), asyncio.ensure_future(edit())]
            every = seconds / max(1, args.handoffs)
            for i in range(args.handoffs):
                await asyncio.sleep(max(0.0, t0 + (i + 0.5) * every - time.monotonic()))
                target = colours[(colours.index(current) + 1) % len(colours)]
                r = await command(
                    moderator, "venue:switch", show.room_id, venue_id=show.venues[target], epoch=epoch
                )
                if r["ok"]:
                    epoch, current = r["state"]["epoch"], target
                    counts["handoffs"] += 1
                else:
                    counts["refused"] += 1
                    epoch = r["error"].get("details", {}).get("epoch", epoch)
            await asyncio.sleep(max(0.0, t0 + seconds - time.monotonic()))
            stop.set()
            await asyncio.gather(*background)
        load = await stop_viewers(workers)
    finally:
        stop.set()
        for w in workers:
            if w.poll() is None:
                w.kill()
        for pc in show.pcs.values():
            await pc.close()
        for client in (moderator, show.host_client):
            await client.close()
    report(args, rows, counts, load)


def report(args: argparse.Namespace, rows: list[tuple[float, dict[str, float]]], counts: dict[str, int],
           load: dict[str, Any]) -> None:  # fmt: skip
    print(f"\nsoak: {args.venues} venues @ {args.fps} fps, {args.viewers} viewers (program feed, chat every "
          f"~{args.chat_every:g} s, a note every {args.note_per_chat} chats), {args.editors} editors (an edit each "
          f"every {args.edit_every:g} s), {counts['handoffs']} hand-offs ({counts['refused']} refused) in "
          f"{args.minutes:g} minutes on one process (loopback, shared 2-core machine)")  # fmt: skip
    print(f"load delivered: {load.get('frames', 0)} program frames decoded by viewers, chat {load.get('chat_ok', 0)} "
          f"sent ({load.get('chat_err', 0)} refused, {load.get('chat_heard', 0)} deliveries heard), notes "
          f"{load.get('notes_ok', 0)} ({load.get('notes_err', 0)} refused), {counts['edits']} edits; viewer "
          f"connections that dropped: {load.get('dropped', 0)}")  # fmt: skip
    if load.get("refusals"):
        print(f"refusals by code: {load['refusals']}")
    print(f"viewer connection states: {load.get('states', {})}")
    after = [(minute, m) for minute, m in rows if minute >= args.warmup]
    print(f"\nslope after {args.warmup:g} minutes of warm-up ({len(after)} samples), least squares:")
    print(f"{'metric':<10}{'first':>10}{'last':>10}{'per minute':>12}{'per hour':>11}")
    for name in METRICS:
        s = slope([(minute, m[name]) for minute, m in after])
        first = after[0][1][name] if after else float("nan")
        last = after[-1][1][name] if after else float("nan")
        print(f"{name:<10}{first:>10.1f}{last:>10.1f}{s:>+12.2f}{s * 60:>+11.1f}")
    print("target: flat after warm-up (RSS within noise, descriptors, tasks and threads not climbing)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="how long the showcase runs")
    parser.add_argument("--venues", type=int, default=3, choices=range(1, len(COLOURS) + 1))
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument("--editors", type=int, default=10)
    parser.add_argument("--handoffs", type=int, default=60, help="spread evenly over the run")
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--audio", action="store_true", help="viewers also receive and decode audio")
    parser.add_argument("--chat-every", type=float, default=30.0, help="seconds between a viewer's messages")
    parser.add_argument(
        "--note-per-chat", type=int, default=3, help="a viewer writes a note every N messages"
    )
    parser.add_argument("--edit-every", type=float, default=2.0, help="seconds between an editor's edits")
    parser.add_argument("--sample", type=float, default=60.0, help="seconds between samples")
    parser.add_argument("--warmup", type=float, default=2.0, help="minutes left out of the slope")
    parser.add_argument("--procs", type=int, default=2, help="viewer worker processes")
    parser.add_argument("--log-tail", type=int, default=10, help="server log lines to show at the end")
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        asyncio.run(viewers(sys.argv[2], sys.argv[3]))
        return
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
