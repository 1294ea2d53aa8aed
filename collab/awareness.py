"""Server-side awareness of one document: who is there (names, cursors), keyed by Yjs client id.

The server only relays awareness; it keeps the latest entry per client so that a newcomer (or a
query-awareness message) gets everyone's state, and so that it can announce a client's departure
(state ``null`` with the same clock, which y-protocols accepts as a removal) when its connection or
its process goes away. States are passed on as the JSON text the client sent, after checking that it
is JSON (relaying garbage would break every other client's awareness handler) and bounding what other
clients render: a state over :data:`MAX_STATE_BYTES` is dropped, ``user.name`` is cut to
:data:`MAX_NAME_CHARS`, and a ``user.color``/``user.colorLight`` that is not a ``#rgb``/``#rrggbb`` hex
colour is removed (cursor renderers put it into a ``style`` attribute). A sanitised state is re-encoded.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from collab.protocol import AwarenessEntry, decode_awareness_update, encode_awareness_update

MAX_STATE_BYTES = 2048  # a name, a colour and two cursor positions take a few hundred
MAX_NAME_CHARS = 64
_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_COLOR_FIELDS = ("color", "colorLight")


def sanitize_state(state: str) -> str | None:
    """The state to keep and relay (re-encoded only when something was changed), or None to drop it.

    Raises ``ValueError`` when ``state`` is not JSON."""
    if len(state.encode()) > MAX_STATE_BYTES:
        return None
    value: Any = json.loads(state)
    user = value.get("user") if isinstance(value, dict) else None
    if not isinstance(user, dict):
        return state
    changed = False
    name = user.get("name")
    if name is not None and not isinstance(name, str):
        del user["name"]
        changed = True
    elif isinstance(name, str) and len(name) > MAX_NAME_CHARS:
        user["name"] = name[:MAX_NAME_CHARS]
        changed = True
    for field in _COLOR_FIELDS:
        color = user.get(field)
        if field in user and not (isinstance(color, str) and _COLOR.fullmatch(color)):
            del user[field]
            changed = True
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")) if changed else state


class AwarenessRegistry:
    def __init__(self) -> None:
        self._entries: dict[int, AwarenessEntry] = {}
        self._owner: dict[int, object] = {}  # client id -> connection or node id that announced it

    def apply(self, update: bytes, owner: object) -> list[AwarenessEntry]:
        """Record an awareness update; return the entries that changed something, sanitised (to relay
        re-encoded with :func:`encode_awareness_update`; oversized states are left out).

        Raises ``ValueError`` when the update or a state in it is malformed."""
        entries = []
        for e in decode_awareness_update(update):
            if e.removed:
                entries.append(e)
                continue
            state = sanitize_state(e.state)
            if state is not None:
                entries.append(e if state == e.state else replace(e, state=state))
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
