"""What the rest of Moke may ask of live lesson-plan documents.

The y-websocket server (``collab.server`` and friends) implements :class:`LiveDocuments` and stores it
under ``LIVE_DOCS`` on the app. REST features (versions, restore, comments, export, feedback from
evaluation) only go through this interface: read a document's full state, or apply an update that is
persisted, applied to the live document and relayed to every client in every process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from aiohttp import web

from server.ratelimit import ConnectionCaps

if TYPE_CHECKING:  # the implementations import this module; only their types are needed here
    from collab.manager import SessionManager
    from collab.versions import RestoreLocks


class LiveDocuments(Protocol):
    async def state(self, doc_id: str) -> bytes:
        """The document's whole state as one Yjs v1 update (loaded from storage when not in memory)."""
        ...

    async def apply_update(self, doc_id: str, update: bytes, *, origin: str) -> None:
        """Persist ``update``, apply it to the live document and relay it to all clients, like a client edit.

        ``origin`` names who caused it (``"rest:restore:<user>"`` …) for logs."""
        ...


LIVE_DOCS: web.AppKey[LiveDocuments] = web.AppKey("moke_live_docs", LiveDocuments)
# Inside collab: the live document sessions of this process, and the per-document restore locks.
SESSIONS: web.AppKey[SessionManager] = web.AppKey("moke_collab_sessions")
RESTORE_LOCKS: web.AppKey[RestoreLocks] = web.AppKey("moke_restore_locks")
# Inside collab: open connections per user and per token (``conn_per_user``, ``conn_per_token``).
CONNECTIONS: web.AppKey[ConnectionCaps] = web.AppKey("moke_collab_connections", ConnectionCaps)
# Bus channel: a document id was deleted; every process closes its connections to it.
DELETED_CHANNEL = "collab:deleted"

# The lesson plan lives in this Yjs XmlFragment, in TipTap/ProseMirror structure (see README "Lesson-plan
# document structure"): the web editor's Collaboration extension is configured with the same field name.
PROSEMIRROR_FIELD = "default"
# Threaded comments live in this Y.Map of the same document, keyed by comment id.
COMMENTS_FIELD = "comments"
