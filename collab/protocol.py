"""The y-websocket wire protocol (y-protocols ``sync``, ``awareness``, ``auth``), pure encode/decode.

A WebSocket binary frame holds one or more messages; each message starts with a varuint type:

- ``0`` sync, followed by a varuint sub-type and one var-length byte array:
  ``0`` step 1 (the sender's state vector), ``1`` step 2 (an update answering a step 1),
  ``2`` update (an incremental update);
- ``1`` awareness, followed by one var-length byte array (an awareness update, see
  :func:`decode_awareness_update`);
- ``2`` auth, followed by a varuint sub-type (``0`` permission denied) and a var-length string reason;
- ``3`` query-awareness, with no payload (asks the other side to send all awareness states).

Varuints are little-endian base-128 (``lib0/encoding.writeVarUint``). Malformed input raises
:class:`ValueError` and nothing else; this module does no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

MAX_VARUINT_BYTES = 10  # 64-bit integers fit in 10 base-128 groups


class MessageType(IntEnum):
    SYNC = 0
    AWARENESS = 1
    AUTH = 2
    QUERY_AWARENESS = 3


class SyncType(IntEnum):
    STEP1 = 0
    STEP2 = 1
    UPDATE = 2


AUTH_PERMISSION_DENIED = 0


# ---- primitive encoders ---------------------------------------------------------------------------
def write_varuint(value: int) -> bytes:
    if value < 0:
        raise ValueError(f"varuint must not be negative: {value}")
    out = bytearray()
    while value > 0x7F:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.append(value)
    return bytes(out)


def write_bytes(data: bytes) -> bytes:
    return write_varuint(len(data)) + data


def write_string(text: str) -> bytes:
    return write_bytes(text.encode("utf-8"))


class Reader:
    """A cursor over a buffer; every read checks bounds and raises ``ValueError`` when short."""

    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data)
        self.pos = 0

    @property
    def done(self) -> bool:
        return self.pos >= len(self.data)

    def varuint(self) -> int:
        result = 0
        shift = 0
        for _ in range(MAX_VARUINT_BYTES):
            if self.pos >= len(self.data):
                raise ValueError("truncated varuint")
            byte = self.data[self.pos]
            self.pos += 1
            result |= (byte & 0x7F) << shift
            if byte < 0x80:
                return result
            shift += 7
        raise ValueError("varuint longer than 10 bytes")

    def bytes(self) -> bytes:
        length = self.varuint()
        end = self.pos + length
        if end > len(self.data):
            raise ValueError(f"truncated byte array: need {length} bytes, have {len(self.data) - self.pos}")
        chunk = bytes(self.data[self.pos : end])
        self.pos = end
        return chunk

    def string(self) -> str:
        raw = self.bytes()
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"string is not UTF-8: {exc.reason}") from None


# ---- messages ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SyncStep1:
    state_vector: bytes

    def __bytes__(self) -> bytes:
        return b"\x00\x00" + write_bytes(self.state_vector)


@dataclass(frozen=True)
class SyncStep2:
    update: bytes

    def __bytes__(self) -> bytes:
        return b"\x00\x01" + write_bytes(self.update)


@dataclass(frozen=True)
class SyncUpdate:
    update: bytes

    def __bytes__(self) -> bytes:
        return b"\x00\x02" + write_bytes(self.update)


@dataclass(frozen=True)
class AwarenessMessage:
    update: bytes

    def __bytes__(self) -> bytes:
        return b"\x01" + write_bytes(self.update)


@dataclass(frozen=True)
class PermissionDenied:
    reason: str

    def __bytes__(self) -> bytes:
        return b"\x02" + write_varuint(AUTH_PERMISSION_DENIED) + write_string(self.reason)


@dataclass(frozen=True)
class QueryAwareness:
    def __bytes__(self) -> bytes:
        return b"\x03"


Message = SyncStep1 | SyncStep2 | SyncUpdate | AwarenessMessage | PermissionDenied | QueryAwareness


def _read_message(reader: Reader) -> Message:
    kind = reader.varuint()
    if kind == MessageType.SYNC:
        sub = reader.varuint()
        payload = reader.bytes()
        if sub == SyncType.STEP1:
            return SyncStep1(payload)
        if sub == SyncType.STEP2:
            return SyncStep2(payload)
        if sub == SyncType.UPDATE:
            return SyncUpdate(payload)
        raise ValueError(f"unknown sync message type {sub}")
    if kind == MessageType.AWARENESS:
        return AwarenessMessage(reader.bytes())
    if kind == MessageType.AUTH:
        sub = reader.varuint()
        if sub != AUTH_PERMISSION_DENIED:
            raise ValueError(f"unknown auth message type {sub}")
        return PermissionDenied(reader.string())
    if kind == MessageType.QUERY_AWARENESS:
        return QueryAwareness()
    raise ValueError(f"unknown message type {kind}")


def decode_frame(data: bytes) -> list[Message]:
    """Every message in one WebSocket frame (the v4 client batches several into one frame)."""
    reader = Reader(data)
    if reader.done:
        raise ValueError("empty frame")
    messages: list[Message] = []
    while not reader.done:
        messages.append(_read_message(reader))
    return messages


def encode_frame(messages: list[Message]) -> bytes:
    return b"".join(bytes(m) for m in messages)


# ---- awareness update payload ---------------------------------------------------------------------
@dataclass(frozen=True)
class AwarenessEntry:
    """One client's awareness: ``state`` is its JSON text, ``"null"`` when the client went away."""

    client_id: int
    clock: int
    state: str

    @property
    def removed(self) -> bool:
        return self.state in ("null", "")


def decode_awareness_update(data: bytes) -> list[AwarenessEntry]:
    reader = Reader(data)
    count = reader.varuint()
    if count > len(data):  # each entry takes at least three bytes: guards against huge counts
        raise ValueError(f"awareness update claims {count} entries in {len(data)} bytes")
    entries = [AwarenessEntry(reader.varuint(), reader.varuint(), reader.string()) for _ in range(count)]
    if not reader.done:
        raise ValueError("trailing bytes after awareness update")
    return entries


def encode_awareness_update(entries: list[AwarenessEntry]) -> bytes:
    out = [write_varuint(len(entries))]
    for e in entries:
        out += [write_varuint(e.client_id), write_varuint(e.clock), write_string(e.state)]
    return b"".join(out)
