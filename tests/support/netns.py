"""A school network reproduced on this machine with Linux network namespaces (needs root).

::

    school ns                    router ns                          server ns
    198.51.100.10 ── lan0 ── 198.51.100.1 │ NAT │ 203.0.113.1 ── wan0 ── 203.0.113.10, 203.0.113.11

The school's address is private: the server has no route to 198.51.100.0/24 and sees every school
packet coming from the router's 203.0.113.1 (MASQUERADE). Firewall policies on the router stand in for
school networks that drop outbound UDP or let only TCP 443 out. Every address lives in a documentation
range inside namespaces built here; nothing is routed anywhere else.

Needs ``ip`` (iproute2) and ``iptables`` (Debian's default nft backend; the legacy one works as well).
Namespaces are named ``moke-<pid>-<tag>-<role>``: parallel runs never meet, and a run killed before its
teardown is swept by the next one (its pid is gone). Interfaces are created inside the namespaces, so
deleting a namespace removes its veths and iptables rules with it.

Code in the test process reaches into a namespace through :meth:`Namespace.call`: a worker thread that
entered the namespace with ``setns(2)`` (network namespaces are per thread), so sockets it opens, and
the interfaces aioice enumerates there, are the namespace's. Browsers and servers run under
``ip netns exec``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ctypes
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import threading
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, TypeVar

from tests.support.services import unavailable

T = TypeVar("T")

SERVER_IP = "203.0.113.10"
SERVER_IP_2 = "203.0.113.11"  # a second public address (a TURN server on 443 beside HTTPS on 443)
ROUTER_WAN_IP = "203.0.113.1"
ROUTER_LAN_IP = "198.51.100.1"
SCHOOL_IP = "198.51.100.10"
PUBLIC_NET = "203.0.113.0/24"
SCHOOL_NET = "198.51.100.0/24"

Firewall = Literal["open", "no-udp", "tcp443-only"]

_CLONE_NEWNET = 0x40000000
_NAME = re.compile(r"^moke-(\d+)-[0-9a-f]+-\w+$")


def require_netns() -> None:
    """Skip (fail under CI) unless this process may build namespaces and NAT: root, ip, iptables."""
    if os.geteuid() != 0:
        unavailable("root (network namespaces)")
    for tool in ("ip", "iptables"):
        if shutil.which(tool) is None:
            unavailable(f"`{tool}` (apt-get install iproute2 iptables)")


def _sh(*argv: str) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def _setns(path: str) -> None:
    """Move the calling thread into the network namespace at ``path`` (Python 3.11 has no os.setns)."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, _CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns({path}): {os.strerror(err)}")
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _kill_pids(pids: Sequence[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Namespace:
    """One network namespace: run commands in it, start processes in it, call Python code inside it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.path = f"/run/netns/{name}"
        self.procs: list[subprocess.Popen[bytes]] = []
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None

    def argv(self, *cmd: str) -> list[str]:
        return ["ip", "netns", "exec", self.name, *cmd]

    def sh(self, *cmd: str) -> str:
        return _sh(*self.argv(*cmd))

    def popen(self, cmd: Sequence[str], **kw: Any) -> subprocess.Popen[bytes]:
        """Start ``cmd`` inside the namespace; it is killed at teardown."""
        proc = subprocess.Popen(self.argv(*cmd), **kw)
        self.procs.append(proc)
        return proc

    def call(self, fn: Callable[..., T], *args: Any, timeout: float = 120) -> T:
        """Run ``fn(*args)`` on this namespace's worker thread (its sockets are the namespace's)."""
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(
                1, thread_name_prefix=self.name, initializer=_setns, initargs=(self.path,)
            )
        return self._pool.submit(fn, *args).result(timeout)

    def run(self, coro: Callable[[], Coroutine[Any, Any, T]], timeout: float = 120) -> T:
        """Run a coroutine to completion in a fresh event loop inside the namespace."""
        return self.call(lambda: asyncio.run(coro()), timeout=timeout)

    @contextmanager
    def loop(self) -> Iterator[asyncio.AbstractEventLoop]:
        """An event loop running on a thread of its own inside the namespace until the block ends, for
        something that serves while the test goes on (a UDP relay on the router); hand it coroutines
        with ``asyncio.run_coroutine_threadsafe``."""
        loop = asyncio.new_event_loop()
        entered: concurrent.futures.Future[None] = concurrent.futures.Future()

        def run() -> None:
            try:
                _setns(self.path)
            except OSError as exc:
                entered.set_exception(exc)
                return
            asyncio.set_event_loop(loop)
            entered.set_result(None)
            loop.run_forever()

        thread = threading.Thread(target=run, name=f"{self.name}-loop", daemon=True)
        thread.start()
        try:
            entered.result(10)
            yield loop
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()

    def port_open(self, host: str, port: int) -> bool:
        def probe() -> bool:
            try:
                with socket.create_connection((host, port), timeout=0.5):
                    return True
            except OSError:
                return False

        return self.call(probe)

    def close(self) -> None:
        """Stop what runs inside (our processes first, politely), then delete the namespace."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        _delete_namespace(self.name)


def _delete_namespace(name: str) -> None:
    """Kill what is left inside (only processes in a namespace of ours) and delete it."""
    try:
        pids = [int(p) for p in _sh("ip", "netns", "pids", name).split()]
    except RuntimeError:
        pids = []
    _kill_pids(pids)
    subprocess.run(["ip", "netns", "delete", name], capture_output=True, timeout=30)


def sweep_stale() -> list[str]:
    """Delete namespaces left by earlier runs that died before their teardown (their pid is gone)."""
    swept = []
    for line in _sh("ip", "netns", "list").splitlines():
        name = line.split()[0] if line.strip() else ""
        m = _NAME.match(name)
        if m and not _pid_alive(int(m.group(1))):
            _delete_namespace(name)
            swept.append(name)
    return swept


class SchoolNetwork:
    """The three namespaces and the router's firewall (see the module docstring for the picture)."""

    def __init__(self, tag: str) -> None:
        base = f"moke-{os.getpid()}-{tag}"
        self.server = Namespace(f"{base}-server")
        self.router = Namespace(f"{base}-router")
        self.school = Namespace(f"{base}-school")
        self.policy: Firewall = "open"

    @property
    def namespaces(self) -> tuple[Namespace, Namespace, Namespace]:
        return self.server, self.router, self.school

    def build(self) -> None:
        for ns in self.namespaces:
            _sh("ip", "netns", "add", ns.name)
            ns.sh("ip", "link", "set", "lo", "up")
        s, r, c = self.server.name, self.router.name, self.school.name
        # created inside the namespaces: no interface ever lives in (or leaks into) the host's namespace
        _sh("ip", "link", "add", "wan0", "netns", r, "type", "veth", "peer", "name", "pub0", "netns", s)
        _sh("ip", "link", "add", "lan0", "netns", r, "type", "veth", "peer", "name", "eth0", "netns", c)
        self.server.sh("ip", "addr", "add", f"{SERVER_IP}/24", "dev", "pub0")
        self.server.sh("ip", "addr", "add", f"{SERVER_IP_2}/24", "dev", "pub0")
        self.router.sh("ip", "addr", "add", f"{ROUTER_WAN_IP}/24", "dev", "wan0")
        self.router.sh("ip", "addr", "add", f"{ROUTER_LAN_IP}/24", "dev", "lan0")
        self.school.sh("ip", "addr", "add", f"{SCHOOL_IP}/24", "dev", "eth0")
        for ns, dev in (
            (self.server, "pub0"),
            (self.router, "wan0"),
            (self.router, "lan0"),
            (self.school, "eth0"),
        ):
            ns.sh("ip", "link", "set", dev, "up")
        self.school.sh("ip", "route", "add", "default", "via", ROUTER_LAN_IP)
        self.router.sh("sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
        self.router.sh("iptables", "-t", "nat", "-A", "POSTROUTING", "-o", "wan0", "-j", "MASQUERADE")

    def firewall(self, policy: Firewall) -> None:
        """What the school's router lets out: everything, everything but UDP, or only TCP to port 443."""
        self.router.sh("iptables", "-F", "FORWARD")
        if policy == "no-udp":
            self.router.sh("iptables", "-A", "FORWARD", "-i", "lan0", "-p", "udp", "-j", "DROP")
        elif policy == "tcp443-only":
            self.router.sh(
                "iptables", "-A", "FORWARD", "-i", "lan0", "-p", "tcp", "--dport", "443", "-j", "ACCEPT"
            )
            self.router.sh("iptables", "-A", "FORWARD", "-i", "lan0", "-j", "DROP")
        # no state match: a connection the old policy let through is cut as well
        self.policy = policy

    def close(self) -> None:
        for ns in (self.school, self.router, self.server):
            ns.close()


@contextmanager
def school_network() -> Iterator[SchoolNetwork]:
    """Build the namespaces (sweeping dead runs' leftovers first); tear everything down afterwards."""
    require_netns()
    net = SchoolNetwork(secrets.token_hex(3))
    try:
        sweep_stale()
        net.build()
    except Exception as exc:
        net.close()
        unavailable(f"network namespaces with NAT ({exc})")
    try:
        yield net
    finally:
        net.close()


def launcher(ns: Namespace, directory: Path, executable: str) -> Path:
    """A script that starts ``executable`` inside ``ns`` with the caller's arguments and file
    descriptors: Playwright launches it as "the browser" and drives it over its pipe as usual."""
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / f"{Path(executable).name}-in-{ns.name}"
    script.write_text(f'#!/bin/sh\nexec ip netns exec {ns.name} {executable} "$@"\n')
    script.chmod(0o755)
    return script
