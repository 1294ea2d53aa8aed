"""Relative positions made in Python are byte-identical to ``Y.encodeRelativePosition`` from real Yjs."""

from __future__ import annotations

import pytest

from collab.anchors import (
    ItemId,
    decode_relative_position,
    encode_relative_position,
    text_map,
)
from collab.prosemirror import doc_from_state
from collab.template import initial_state
from tests.support.lessonplan import plan_clients


def test_encoding_round_trips_and_rejects_other_kinds() -> None:
    for item, assoc in [(ItemId(1, 0), 0), (ItemId(2**40 + 5, 300), -1), (ItemId(127, 128), 0)]:
        assert decode_relative_position(encode_relative_position(item, assoc)) == (item, assoc)
    with pytest.raises(ValueError):
        decode_relative_position(b"\x01\x07default\x00")  # kind 1: a root type, not a character
    with pytest.raises(ValueError):
        decode_relative_position(b"\x00\x81")  # truncated


async def test_python_positions_equal_yjs_positions_after_concurrent_formatted_edits() -> None:
    async with plan_clients() as js:
        a, b = await js.open_doc(), await js.open_doc()
        base = initial_state("lesson_plan")
        await js.apply(a, base)
        await js.apply(b, base)
        # two clients edit the 教学重点 paragraph ([9, 0]) at once, with formatting; then they merge
        await js.call("insert", client=a, path=[9, 0], index=5, text="理解秋天的雨", attrs={"italic": True})
        await js.call("insert", client=b, path=[9, 0], index=5, text="感受语言美")
        await js.call("insert", client=b, path=[9, 0], index=2, text="（重要）", attrs={"bold": None})
        await js.apply(a, await js.state(b))
        await js.apply(b, await js.state(a))
        await js.call("delete", client=a, path=[9, 0], index=1, length=2)
        state = await js.state(a)
        probe = text_map(doc_from_state(state))
        n = probe.paths.index((9, 0))
        text = probe.strings[n]
        assert "理解秋天的雨" in text and "感受语言美" in text
        for i in range(len(text)):
            start = (await js.call("relpos", client=a, path=[9, 0], index=i, assoc=0))["relpos"]
            end = (await js.call("relpos", client=a, path=[9, 0], index=i + 1, assoc=-1))["relpos"]
            assert encode_relative_position(probe.ids[n][i], 0) == _b(start), (i, text[i])
            assert encode_relative_position(probe.ids[n][i], -1) == _b(end), (i, text[i])
            assert probe.locate(probe.ids[n][i]) == (n, i)


def _b(s: str) -> bytes:
    import base64

    return base64.b64decode(s)
