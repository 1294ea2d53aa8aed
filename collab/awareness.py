"""Server-side awareness of one document: who is there (names, cursors), keyed by Yjs client id.

The server only relays awareness; it keeps the latest entry per client so that a newcomer (or a
query-awareness message) gets everyone's state, and so that it can announce a client's departure
(state ``null`` with the same clock, which y-protocols accepts as a removal) when its connection or
its process goes away. States are passed on as the JSON text the client sent, after checking that it
is JSON: relaying garbage would break every other client's awareness handler.
"""

from __future__ import annotations

import json

from collab.protocol import AwarenessEntry, decode_awareness_update, encode_awareness_update


class AwarenessRegistry:
    def __init__(self) -> None:
        self._entries: dict[int, AwarenessEntry] = {}
        self._owner: dict[int, object] = {}  # client id -> connection or node id that announced it

    def apply(self, update: bytes, owner: object) -> list[AwarenessEntry]:
        """Record an awareness update; return the entries that changed something (to relay).

        Raises ``ValueError`` when the update or a state in it is malformed."""
        entries = decode_awareness_update(update)
        for e in entries:
            if not e.removed:
                json.loads(e.state)
        changed = []
        for e in entries:
            known = self._entries.get(e.client_id)
            if known is not None and (e.clock < known.clock or (e.clock == known.clock and not e.removed)):
                continue
            changed.append(e)
            if e.removed:
                self._entries.pop(e.client_id, None)
                self._owner.pop(e.client_id, None)
            else:
                self._entries[e.client_id] = e
                self._owner[e.client_id] = owner
        return changed

    def remove_owner(self, owner: object) -> bytes | None:
        """Forget every client announced by ``owner``; the removal update to relay, or None."""
        gone = [cid for cid, o in self._owner.items() if o == owner]
        if not gone:
            return None
        removals = []
        for cid in gone:
            entry = self._entries.pop(cid)
            del self._owner[cid]
            removals.append(AwarenessEntry(cid, entry.clock, "null"))
        return encode_awareness_update(removals)

    def encode_all(self) -> bytes | None:
        if not self._entries:
            return None
        return encode_awareness_update(list(self._entries.values()))

    def owned_by(self, owner: object) -> list[int]:
        return [cid for cid, o in self._owner.items() if o == owner]

    def __len__(self) -> int:
        return len(self._entries)
