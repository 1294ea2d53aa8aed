"""evaluation.rubrics: scales, rubric validation and the shipped templates (pure, no server)."""

from __future__ import annotations

import pydantic
import pytest

from evaluation.rubrics import RubricBody, Scale, template, templates
from server.errors import NotFound


def body(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "name": "课堂教学评价量表",
        "criteria": [
            {"key": "goals", "title": "教学目标", "weight": 20},
            {"key": "process", "title": "教学过程", "weight": 30},
        ],
    }
    return {**base, **changes}


def test_a_scale_lists_and_allows_exactly_its_points() -> None:
    half = Scale(min=0, max=2, step=0.5)
    assert half.points() == [0, 0.5, 1, 1.5, 2]
    assert half.allows(1.5) and half.allows(2) and not half.allows(1.25) and not half.allows(2.5)
    assert Scale().points() == [1, 2, 3, 4, 5] and not Scale().allows(0)


@pytest.mark.parametrize(
    ("scale", "message"),
    [
        ({"min": 5, "max": 5}, "greater than"),
        ({"min": 0, "max": 1000, "step": 1}, "100 steps"),
        ({"step": 0}, "step"),
    ],
)
def test_a_bad_scale_is_refused_with_its_reason(scale: dict[str, float], message: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=message):
        Scale.model_validate(scale)


def test_a_rubric_needs_unique_keys_and_finds_its_criteria() -> None:
    rubric = RubricBody.model_validate(body())
    assert rubric.criterion("process") is not None and rubric.criterion("process").title == "教学过程"  # type: ignore[union-attr]
    assert rubric.criterion("missing") is None
    twice = [{"key": "goals", "title": "a", "weight": 1}, {"key": "goals", "title": "b", "weight": 1}]
    with pytest.raises(pydantic.ValidationError, match="unique"):
        RubricBody.model_validate(body(criteria=twice))
    with pytest.raises(pydantic.ValidationError):
        RubricBody.model_validate(body(criteria=[]))
    with pytest.raises(pydantic.ValidationError):
        RubricBody.model_validate(body(criteria=[{"key": "带空格 key", "title": "x", "weight": 1}]))
    with pytest.raises(pydantic.ValidationError):
        RubricBody.model_validate(body(criteria=[{"key": "w", "title": "x", "weight": 0}]))


def test_the_shipped_templates_are_valid_chinese_rubrics() -> None:
    shipped = templates()
    assert set(shipped) == {"general", "core_literacy"}
    general = template("general")
    assert general.name.startswith("课堂教学评价量表") and general.criteria[0].title == "教学目标"
    assert all(c.weight > 0 for t in shipped.values() for c in t.criteria)
    with pytest.raises(NotFound) as caught:
        template("nope")
    assert caught.value.code == "template_not_found"
