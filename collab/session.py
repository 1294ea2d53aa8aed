"""One live document: a pycrdt ``Doc``, its connected clients, their awareness, and the write pipeline.

Ordering rule (durability): an update is applied to the in-memory document, written to the store,
and only then relayed to clients and other processes. ``self.lock`` is held from applying a batch to
committing it, so whoever holds the lock (sync step 1 answers, ``state()``) sees exactly what is
stored: no client ever receives an edit the store does not have.

Batching: updates arriving in one event-loop turn form one batch (one transaction, shared with
other documents by :class:`collab.store.DocStore`); everything relayed in one turn is merged with
``pycrdt.merge_updates`` into one sync-update message, framed once, and the same bytes are written
to every client (the stock y-websocket 3.x client reads only the first message of a frame, so updates
are merged rather than packed).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import pycrdt

from collab.aiohttp_hooks import binary_frame
from collab.awareness import AwarenessRegistry
from collab.protocol import (
    AwarenessMessage,
    Message,
    PermissionDenied,
    QueryAwareness,
    SyncStep1,
    SyncStep2,
    SyncUpdate,
    encode_awareness_update,
)
from collab.store import DocStore
from server.errors import BadRequest, MokeError, TooLarge

log = logging.getLogger(__name__)

EMPTY_UPDATE_MAX = 2  # b"\x00\x00": no structs, empty delete set (a read-only client's sync step 2)


class Client(Protocol):
    """A connected client as the session sees it (``collab.server.Connection``)."""

    read_only: bool
    closed: bool
    failed: bool  # closed by the server for bad input: its queued updates are dropped
    label: str

    def send(self, frame: bytes) -> None: ...

    def fail(self, exc: MokeError) -> None: ...


Publish = Callable[[bytes], Awaitable[None]]


@dataclass
class _Incoming:
    update: bytes
    origin: Client | None
    done: asyncio.Future[None] | None


class DocSession:
    """State and fan-out of one document in this process. Created and unloaded by the manager."""

    def __init__(self, doc_id: str, store: DocStore, *, max_doc_bytes: int, publish: Publish) -> None:
        self.doc_id = doc_id
        self.doc: pycrdt.Doc[Any] = pycrdt.Doc()
        self.store = store
        self.max_doc_bytes = max_doc_bytes
        self.publish = publish  # to the other processes (bus); already-durable bytes only
        self.clients: set[Client] = set()
        self.awareness = AwarenessRegistry()
        self.lock = asyncio.Lock()
        self.stored_bytes = 0
        self.log_rows = 0
        self.holds = 0  # connections and API calls using the session (the manager unloads at 0)
        self.broken: MokeError | None = None
        self._incoming: list[_Incoming] = []
        self._flusher: asyncio.Task[None] | None = None
        self._outbox: list[tuple[bytes, Client | None]] = []
        self._denied: set[Client] = set()

    # ---- loading ---------------------------------------------------------------------------------
    def apply_stored(self, state: bytes, stored_bytes: int, log_rows: int) -> None:
        self.doc.apply_update(state)
        self.stored_bytes = stored_bytes
        self.log_rows = log_rows

    # ---- clients -------------------------------------------------------------------------------------
    def join(self, client: Client) -> None:
        """Start the sync handshake: the server's step 1, then everyone's awareness (as y-websocket does)."""
        self.clients.add(client)
        client.send(binary_frame(bytes(SyncStep1(self.doc.get_state()))))
        if client.read_only:
            client.send(
                binary_frame(bytes(PermissionDenied("read-only: your role may not edit this document")))
            )
        everyone = self.awareness.encode_all()
        if everyone is not None:
            client.send(binary_frame(bytes(AwarenessMessage(everyone))))

    def leave(self, client: Client) -> bytes | None:
        """Remove ``client``; returns its awareness removal (already relayed locally) for other processes."""
        self.clients.discard(client)
        self._denied.discard(client)
        removal = self.awareness.remove_owner(client)
        if removal is not None:
            self.broadcast_awareness(removal)
        return removal

    async def handle(self, client: Client, msg: Message) -> bytes | None:
        """Act on one message from ``client``; returns an awareness update to publish to other processes."""
        if isinstance(msg, SyncStep1):
            async with self.lock:
                try:
                    diff = self.doc.get_update(msg.state_vector)
                except Exception as exc:
                    raise BadRequest(f"malformed state vector: {exc}", code="malformed_message") from None
            client.send(binary_frame(bytes(SyncStep2(diff))))
        elif isinstance(msg, SyncStep2 | SyncUpdate):
            if client.read_only:
                if len(msg.update) > EMPTY_UPDATE_MAX and client not in self._denied:
                    self._denied.add(client)
                    log.info("dropped update from read-only client doc=%s %s", self.doc_id, client.label)
                    client.send(binary_frame(bytes(PermissionDenied("read-only: your edits are not saved"))))
                return None
            self.submit(msg.update, client)
        elif isinstance(msg, AwarenessMessage):
            changed = self.awareness.apply(msg.update, client)
            if changed:  # relay what was kept, sanitised, never the client's bytes as given
                update = encode_awareness_update(changed)
                self.broadcast_awareness(update)
                return update
        elif isinstance(msg, QueryAwareness):
            everyone = self.awareness.encode_all()
            if everyone is not None:
                client.send(binary_frame(bytes(AwarenessMessage(everyone))))
        return None

    def broadcast_awareness(self, update: bytes) -> None:
        frame = binary_frame(bytes(AwarenessMessage(update)))
        for p in tuple(self.clients):
            p.send(frame)

    # ---- the write pipeline ----------------------------------------------------------------------
    def submit(
        self, update: bytes, origin: Client | None, *, wait: bool = False
    ) -> asyncio.Future[None] | None:
        """Queue an update for apply → store → relay; with ``wait`` a future resolves once relayed."""
        loop = asyncio.get_running_loop()
        done = loop.create_future() if wait else None
        self._incoming.append(_Incoming(update, origin, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = loop.create_task(self._flush_loop(), name=f"collab-flush:{self.doc_id}")
        return done

    async def _flush_loop(self) -> None:
        while self._incoming:
            await asyncio.sleep(0)  # gather the rest of this loop turn
            batch, self._incoming = self._incoming, []
            await self._flush(batch)

    async def _flush(self, batch: list[_Incoming]) -> None:
        accepted: list[_Incoming] = []
        async with self.lock:
            if self.broken is not None:
                self._reject(batch, self.broken)
                return
            for item in batch:
                if item.origin is not None and item.origin.failed:
                    continue
                error = self._apply(item.update)
                if error is not None:
                    self._reject([item], error)
                else:
                    accepted.append(item)
            if not accepted:
                return
            updates = [i.update for i in accepted]
            try:
                await self.store.append(self.doc_id, updates)
            except Exception:
                # memory now holds edits the store may not: stop serving this copy; clients reconnect
                # and resend their edits through sync
                self.broken = MokeError("document storage failed; reconnect", code="storage_failed")
                self.broken.ws_close = 1011  # type: ignore[misc]
                for p in tuple(self.clients):
                    p.fail(self.broken)
                self._reject(accepted, self.broken)
                return
            self.stored_bytes += sum(len(u) for u in updates)
            self.log_rows += len(updates)
        origins = {i.origin for i in accepted}
        merged = updates[0] if len(updates) == 1 else pycrdt.merge_updates(*updates)
        self.relay(merged, origins.pop() if len(origins) == 1 else None)
        try:
            await self.publish(merged)
        finally:
            for item in accepted:
                if item.done is not None and not item.done.done():
                    item.done.set_result(None)

    def _apply(self, update: bytes) -> MokeError | None:
        if self.stored_bytes + len(update) > self.max_doc_bytes:
            return TooLarge(f"document would exceed {self.max_doc_bytes} bytes", code="doc_too_large")
        try:
            self.doc.apply_update(update)
        except BaseException as exc:  # pyo3 panics derive from BaseException
            if isinstance(exc, asyncio.CancelledError | KeyboardInterrupt | SystemExit):
                raise
            return BadRequest(f"malformed update: {exc}", code="malformed_update")
        return None

    def _reject(self, items: list[_Incoming], error: MokeError) -> None:
        for item in items:
            if item.origin is not None:
                log.warning("update rejected doc=%s %s: %s", self.doc_id, item.origin.label, error.message)
                item.origin.fail(error)
            if item.done is not None and not item.done.done():
                item.done.set_exception(error)

    def apply_remote(self, update: bytes) -> None:
        """An update another process has already stored: apply and pass on to local clients."""
        self.doc.apply_update(update)
        self.relay(update, None)

    # ---- fan-out ---------------------------------------------------------------------------------
    def relay(self, update: bytes, exclude: Client | None) -> None:
        """Send ``update`` to every client (but ``exclude``) at the end of this loop turn, merged with others."""
        if not self._outbox:
            asyncio.get_running_loop().call_soon(self._send_outbox)
        self._outbox.append((update, exclude))

    def _send_outbox(self) -> None:
        items, self._outbox = self._outbox, []
        if not items:
            return
        if len(items) == 1:
            update, exclude = items[0]
        else:
            update = pycrdt.merge_updates(*(u for u, _ in items))
            excluded = {e for _, e in items}
            exclude = excluded.pop() if len(excluded) == 1 else None
        frame = binary_frame(bytes(SyncUpdate(update)))
        for p in tuple(self.clients):
            if p is not exclude:
                p.send(frame)

    @property
    def idle(self) -> bool:
        return self.holds == 0 and not self._incoming and not self.lock.locked()
