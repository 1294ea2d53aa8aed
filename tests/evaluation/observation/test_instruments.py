"""Instruments are data: the shipped templates load and are Chinese; a malformed one is refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from evaluation.observation.instruments import Instrument, instrument, instruments
from server.errors import NotFound


def test_shipped_instruments() -> None:
    found = instruments()
    assert set(found) == {"st", "questions"}
    st = found["st"]
    assert st.mode == "interval" and st.interval_seconds == 30
    assert [(c.key, c.title, c.shortcut) for c in st.codes] == [
        ("T", "教师行为", "t"),
        ("S", "学生行为", "s"),
    ]
    assert [t.title for t in st.types] == ["练习型", "讲授型", "对话型", "混合型"]
    assert st.diagram is not None and (st.diagram.x, st.diagram.y) == ("Rt", "Ch")
    assert found["questions"].mode == "event" and all(c.hint for c in found["questions"].codes)


def test_unknown_instrument() -> None:
    with pytest.raises(NotFound) as err:
        instrument("flanders")
    assert err.value.code == "instrument_not_found"


def _body(**change: object) -> dict[str, object]:
    body: dict[str, object] = {
        "key": "x", "name": "测试", "mode": "interval", "interval_seconds": 30,
        "codes": [{"key": "A", "title": "甲"}, {"key": "B", "title": "乙"}],
        "metrics": [{"key": "a", "title": "甲占比", "kind": "share", "codes": ["A"]}],
        "types": [{"key": "many", "title": "多", "when": {"a": {"min": 0.5}}}],
    }  # fmt: skip
    body.update(change)
    return body


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"interval_seconds": None}, "needs interval_seconds"),
        ({"codes": [{"key": "A", "title": "甲"}, {"key": "A", "title": "乙"}]}, "unique"),
        ({"metrics": [{"key": "a", "title": "甲", "kind": "share", "codes": ["Z"]}]}, "unknown codes"),
        ({"types": [{"key": "m", "title": "多", "when": {"zz": {"min": 1}}}]}, "unknown metrics"),
        ({"codes": [{"key": "A", "title": "甲"}]}, "at least 2"),
    ],
)
def test_malformed_instruments_are_refused(change: dict[str, object], message: str) -> None:
    Instrument.model_validate(_body())
    with pytest.raises(ValidationError, match=message):
        Instrument.model_validate(_body(**change))
