"""All live documents of this process: loading (one task per document), unloading, the bus, compaction.

Implements :class:`collab.api.LiveDocuments`. Cross-process traffic rides ``ctx.bus`` on channel
``collab:{doc_id}``: ``u`` + node id + update (already stored by its sender) and ``a`` + node id +
awareness update. When the cluster (``server.cluster``, one heartbeat per process) reports a node gone,
its clients' awareness is removed everywhere.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from typing import Any

from collab.protocol import encode_awareness_update
from collab.session import DocSession
from collab.store import DocStore
from server.bus import Bus, Subscription
from server.cluster import Cluster
from server.config import Settings
from server.errors import BadRequest, MokeError

log = logging.getLogger(__name__)


class _Loaded:
    """What the manager keeps per document: the session, its bus subscription, its loading task."""

    def __init__(self, session: DocSession) -> None:
        self.session = session
        self.sub: Subscription | None = None
        self.ready: asyncio.Task[None] | None = None
        self.buffer: list[bytes] | None = []  # bus messages that arrive while loading
        self.unload: asyncio.TimerHandle | None = None


class SessionManager:
    """Owns every :class:`DocSession` of the process and the tasks around them (``start``/``stop``)."""

    def __init__(self, settings: Settings, store: DocStore, bus: Bus, cluster: Cluster) -> None:
        self.settings = settings
        self.store = store
        self.bus = bus
        self.cluster = cluster
        self.node = cluster.node_id
        self._docs: dict[str, _Loaded] = {}
        self.tasks = cluster.task_group("collab")
        self._compacting: set[str] = set()

    # ---- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        self.bus.on_reconnect(self._resync_all)
        self.cluster.on_node_gone(self._node_gone)

    async def stop(self) -> None:
        for entry in list(self._docs.values()):
            if entry.unload is not None:
                entry.unload.cancel()
            if entry.sub is not None:
                await entry.sub.close()
        self._docs.clear()
        await self.tasks.close()

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        if not self.tasks.closed:
            self.tasks.spawn(coro, name=name)
        else:
            coro.close()  # stopping: an unsubscribe or compaction after stop has nothing left to do

    # ---- sessions -----------------------------------------------------------------------------------
    @property
    def loaded(self) -> int:
        return len(self._docs)

    def sessions(self) -> list[DocSession]:
        """Every loaded document's session."""
        return [entry.session for entry in self._docs.values()]

    def session(self, doc_id: str) -> DocSession | None:
        entry = self._docs.get(doc_id)
        return entry.session if entry is not None and entry.buffer is None else None

    async def acquire(self, doc_id: str) -> DocSession:
        """The live session of ``doc_id``, loaded once however many callers ask at the same time."""
        entry = self._docs.get(doc_id)
        if entry is not None and entry.session.broken is not None:
            # a copy holding edits the store may not have is never served again: load afresh, and the
            # clients' sync resends what the store missed
            self._drop(entry)
            entry = None
        if entry is None:
            session = DocSession(
                doc_id,
                self.store,
                max_doc_bytes=self.settings.collab_max_doc_bytes,
                publish=lambda update: self._publish(doc_id, b"u", update),
            )
            entry = _Loaded(session)
            self._docs[doc_id] = entry
            entry.ready = asyncio.get_running_loop().create_task(
                self._load(entry), name=f"collab-load:{doc_id}"
            )
        entry.session.holds += 1
        if entry.unload is not None:
            entry.unload.cancel()
            entry.unload = None
        try:
            assert entry.ready is not None
            await asyncio.shield(entry.ready)
        except BaseException:
            self.release(entry.session)
            raise
        return entry.session

    def release(self, session: DocSession) -> None:
        session.holds -= 1
        entry = self._docs.get(session.doc_id)
        if entry is None or entry.session is not session or session.holds > 0:
            return
        if entry.ready is not None and entry.ready.done() and entry.ready.exception() is not None:
            self._drop(entry)  # failed load: forget at once so the next caller retries
            return
        delay = self.settings.collab_unload_after
        entry.unload = asyncio.get_running_loop().call_later(delay, self._maybe_unload, session.doc_id)

    def _maybe_unload(self, doc_id: str) -> None:
        entry = self._docs.get(doc_id)
        if entry is None:
            return
        entry.unload = None
        if not entry.session.idle:
            entry.unload = asyncio.get_running_loop().call_later(1.0, self._maybe_unload, doc_id)
            return
        self._drop(entry)
        log.debug("unloaded doc=%s", doc_id)

    def _drop(self, entry: _Loaded) -> None:
        if self._docs.get(entry.session.doc_id) is entry:
            del self._docs[entry.session.doc_id]
        if entry.sub is not None:
            self._spawn(entry.sub.close(), f"collab-unsub:{entry.session.doc_id}")
            entry.sub = None

    async def _load(self, entry: _Loaded) -> None:
        """Subscribe first, then read the store: an update stored in between arrives on the bus."""
        session = entry.session
        started = time.monotonic()
        entry.sub = await self.bus.subscribe(
            "collab:" + session.doc_id, lambda _ch, data: self._on_bus(entry, data)
        )
        stored = await self.store.load(session.doc_id)
        session.apply_stored(stored.state, stored.stored_bytes, stored.pending_updates)
        buffered, entry.buffer = entry.buffer or [], None
        for data in buffered:
            self._deliver(entry, data)
        log.info(
            "loaded doc=%s bytes=%d log_rows=%d in %.1f ms",
            session.doc_id, stored.stored_bytes, stored.pending_updates, (time.monotonic() - started) * 1000,
        )  # fmt: skip

    # ---- bus -------------------------------------------------------------------------------------
    async def _publish(self, doc_id: str, kind: bytes, payload: bytes) -> None:
        try:
            await self.bus.publish("collab:" + doc_id, kind + self.node.encode() + payload)
        except Exception:
            log.exception("collab bus publish failed doc=%s", doc_id)
        entry = self._docs.get(doc_id)
        if (
            kind == b"u"
            and entry is not None
            and entry.session.log_rows >= self.settings.collab_compact_after
        ):
            self.schedule_compaction(doc_id)

    async def publish_awareness(self, doc_id: str, update: bytes) -> None:
        await self._publish(doc_id, b"a", update)

    async def _on_bus(self, entry: _Loaded, data: bytes) -> None:
        if entry.buffer is not None:
            entry.buffer.append(data)
        else:
            self._deliver(entry, data)

    def _deliver(self, entry: _Loaded, data: bytes) -> None:
        kind, node, payload = data[:1], data[1 : 1 + len(self.node)].decode(), data[1 + len(self.node) :]
        if node == self.node:
            return
        session = entry.session
        try:
            if kind == b"u":
                session.apply_remote(payload)
            elif kind == b"a":
                changed = session.awareness.apply(payload, ("node", node))
                if changed:
                    session.broadcast_awareness(encode_awareness_update(changed))
        except ValueError:
            log.warning("bad collab bus message doc=%s from node=%s", session.doc_id, node)

    async def _node_gone(self, node: str) -> None:
        self._forget_node(node)

    def _forget_node(self, node: str) -> None:
        log.warning("collab node %s went silent; clearing its clients' awareness", node)
        for entry in self._docs.values():
            removal = entry.session.awareness.remove_owner(("node", node))
            if removal is not None:
                entry.session.broadcast_awareness(removal)

    async def _resync_all(self) -> None:
        """After a bus gap, re-read every loaded document and relay what this process missed."""
        for entry in list(self._docs.values()):
            if entry.buffer is not None:
                continue
            session = entry.session
            stored = await self.store.load(session.doc_id)
            before = session.doc.get_state()
            session.doc.apply_update(stored.state)
            missed = session.doc.get_update(before)
            if len(missed) > 2:
                session.relay(missed, None)
            log.info("resynced doc=%s after bus reconnect", session.doc_id)

    # ---- compaction ------------------------------------------------------------------------------
    def schedule_compaction(self, doc_id: str) -> None:
        if doc_id in self._compacting:
            return
        self._compacting.add(doc_id)
        self._spawn(self._compact(doc_id), f"collab-compact:{doc_id}")

    async def _compact(self, doc_id: str) -> None:
        try:
            folded = await self.store.compact(doc_id)
            session = self.session(doc_id)
            if session is not None:
                session.log_rows = max(0, session.log_rows - folded)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("compaction failed doc=%s", doc_id)
        finally:
            self._compacting.discard(doc_id)

    # ---- LiveDocuments ---------------------------------------------------------------------------
    async def state(self, doc_id: str) -> bytes:
        session = self.session(doc_id)
        if session is None:
            return (await self.store.load(doc_id)).state
        async with session.lock:
            return session.doc.get_update()

    async def apply_update(self, doc_id: str, update: bytes, *, origin: str) -> None:
        session = await self.acquire(doc_id)
        try:
            done = session.submit(update, None, wait=True)
            assert done is not None
            try:
                await done
            except MokeError as exc:
                raise BadRequest(f"update rejected: {exc.message}", code=exc.code) from None
            log.info("applied update doc=%s origin=%s bytes=%d", doc_id, origin, len(update))
        finally:
            self.release(session)
