"""collab.protocol: byte-for-byte against y-protocols (Node), hand-made vectors, and a decoder fuzz test."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pycrdt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collab.protocol import (
    AwarenessEntry,
    AwarenessMessage,
    PermissionDenied,
    QueryAwareness,
    Reader,
    SyncStep1,
    SyncStep2,
    SyncUpdate,
    decode_awareness_update,
    decode_frame,
    encode_awareness_update,
    encode_frame,
    write_varuint,
)
from tests.support.services import require_node

VECTORS = Path(__file__).resolve().parents[1] / "js" / "protocol_vectors.mjs"


@pytest.fixture(scope="module")
def yjs_vectors() -> dict[str, str]:
    node = require_node()
    out = subprocess.run([node, str(VECTORS)], check=True, capture_output=True, timeout=30).stdout
    return dict(json.loads(out))


@pytest.mark.parametrize(
    ("value", "encoded"),
    [(0, b"\x00"), (1, b"\x01"), (127, b"\x7f"), (128, b"\x80\x01"), (300, b"\xac\x02"),
     (2**32 - 1, b"\xff\xff\xff\xff\x0f"), (123456789, bytes.fromhex("959aef3a"))],
)  # fmt: skip
def test_varuint_round_trip(value: int, encoded: bytes) -> None:
    assert write_varuint(value) == encoded
    assert Reader(encoded).varuint() == value


def test_messages_match_y_protocols_byte_for_byte(yjs_vectors: dict[str, str]) -> None:
    v = {k: bytes.fromhex(h) for k, h in yjs_vectors.items() if k != "awareness_state"}
    expected = {
        "step1": SyncStep1(v["state_vector"]),
        "step2": SyncStep2(v["update_payload"]),
        "update": SyncUpdate(v["update_payload"]),
        "big_update": SyncUpdate(v["big_update_payload"]),
        "auth": PermissionDenied("只读：观课教师不能编辑"),
        "query": QueryAwareness(),
    }
    for name, message in expected.items():
        assert decode_frame(v[name]) == [message], name
        assert bytes(message) == v[name], name
    [aw] = decode_frame(v["awareness"])
    assert isinstance(aw, AwarenessMessage)
    [entry] = decode_awareness_update(aw.update)
    assert entry.client_id == 123456789 and entry.clock == 1
    assert json.loads(entry.state) == json.loads(yjs_vectors["awareness_state"])
    assert encode_awareness_update([entry]) == aw.update


def test_yjs_update_applies_in_pycrdt(yjs_vectors: dict[str, str]) -> None:
    [msg] = decode_frame(bytes.fromhex(yjs_vectors["update"]))
    assert isinstance(msg, SyncUpdate)
    doc: pycrdt.Doc[pycrdt.Text] = pycrdt.Doc()
    doc.apply_update(msg.update)
    assert str(doc.get("t", type=pycrdt.Text)) == "课题：《秋天的雨》"


def test_over_long_varuint_is_accepted_like_lib0() -> None:
    assert decode_frame(b"\x83\x00") == [QueryAwareness()]


def test_frame_with_several_messages_decodes_all() -> None:
    messages = [SyncStep1(b"\x00"), SyncUpdate(b"\x00\x00"), AwarenessMessage(b"\x00"), QueryAwareness()]
    frame = encode_frame(messages)  # type: ignore[arg-type]
    assert frame == b"\x00\x00\x01\x00" + b"\x00\x02\x02\x00\x00" + b"\x01\x01\x00" + b"\x03"
    assert decode_frame(frame) == messages


@pytest.mark.parametrize(
    ("data", "why"),
    [(b"", "empty"), (b"\x00", "truncated varuint"), (b"\x00\x00\x05ab", "truncated byte array"),
     (b"\x00\x07\x00", "unknown sync"), (b"\x09", "unknown message type"), (b"\x02\x01", "unknown auth"),
     (b"\x02\x00\x02\xff\xfe", "not UTF-8"), (b"\x80" * 11, "longer than 10"),
     (b"\x01\x05\x03\x01", "truncated")],
)  # fmt: skip
def test_malformed_frames_raise_value_error(data: bytes, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        decode_frame(data)


def test_awareness_update_round_trip_and_errors() -> None:
    entries = [AwarenessEntry(1, 3, '{"user":{"name":"李老师"}}'), AwarenessEntry(2**40, 0, "null")]
    data = encode_awareness_update(entries)
    assert decode_awareness_update(data) == entries
    assert entries[1].removed and not entries[0].removed
    with pytest.raises(ValueError):
        decode_awareness_update(data + b"\x00")
    with pytest.raises(ValueError):
        decode_awareness_update(b"\xff\xff\xff\x0f")


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=64))
def test_fuzz_decoder_raises_only_value_error(data: bytes) -> None:
    try:
        messages = decode_frame(data)
    except ValueError:
        return
    # whatever decodes re-encodes canonically (varuints may arrive over-long) to the same messages
    assert decode_frame(encode_frame(messages)) == messages


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from([b"\x00", b"\x01", b"\x02", b"\x03", b"\x80", b"\xff", b"\x05"]), max_size=30)
)
def test_fuzz_decoder_on_protocol_shaped_bytes(parts: list[bytes]) -> None:
    data = b"".join(parts)
    try:
        decode_frame(data)
        decode_awareness_update(data)
    except ValueError:
        pass
