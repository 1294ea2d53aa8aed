"""evaluation.scores: a score sheet is checked against its rubric version, and anonymous mode hides who."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evaluation.models import Evaluation
from evaluation.rubrics import Rubric
from evaluation.scores import EvaluationIn, check_sheet, to_out
from server.app import build_app
from server.context import CTX, AppContext
from server.errors import ValidationError
from tests.support.server import make_settings


@pytest.fixture
def ctx(tmp_path: Path) -> AppContext:
    """The application's real context (nothing started: check_sheet only reads its settings)."""
    return build_app(make_settings(tmp_path / "var", evaluation_comment_max_chars=10))[CTX]


RUBRIC = Rubric.model_validate(
    {
        "id": "r1", "room_id": "room", "version": 2, "created_at": 0.0, "name": "量表",
        "scale": {"min": 1, "max": 5, "step": 0.5},
        "criteria": [{"key": "goals", "title": "教学目标", "weight": 1}, {"key": "process", "title": "教学过程", "weight": 2}],
    }
)  # fmt: skip


def sheet(*scores: tuple[str, float], comment: str = "") -> EvaluationIn:
    return EvaluationIn(scores=[{"criterion": k, "score": v, "comment": comment} for k, v in scores])  # type: ignore[misc]


def test_a_complete_sheet_on_the_scale_is_kept_with_trimmed_comments(ctx: AppContext) -> None:
    checked = check_sheet(ctx, RUBRIC, sheet(("goals", 4.5), ("process", 1), comment=" 很好 "))
    assert checked == {"goals": {"score": 4.5, "comment": "很好"}, "process": {"score": 1, "comment": "很好"}}


@pytest.mark.parametrize(
    ("submitted", "code", "field"),
    [
        (sheet(("goals", 4), ("nope", 3)), "bad_criterion", "scores.1.criterion"),
        (sheet(("goals", 4), ("goals", 3)), "duplicate_score", "scores.1.criterion"),
        (sheet(("goals", 4.25), ("process", 3)), "score_out_of_range", "scores.0.score"),
        (sheet(("goals", 6), ("process", 3)), "score_out_of_range", "scores.0.score"),
        (sheet(("goals", 4)), "missing_score", "scores"),
        (sheet(("goals", 4), ("process", 3), comment="太长了" * 5), "comment_too_long", "scores.0.comment"),
    ],
)
def test_each_mistake_has_its_own_code_and_names_the_field(
    ctx: AppContext, submitted: EvaluationIn, code: str, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        check_sheet(ctx, RUBRIC, submitted)
    assert caught.value.code == code and caught.value.message.startswith(field + ":")


def test_anonymous_mode_hides_the_observer_and_the_times() -> None:
    row = Evaluation(
        id="e1", room_id="room", segment_id="s1", rubric_id="r1", observer_id=7, comment="总评",
        scores=json.dumps({"goals": {"score": 4, "comment": "好"}}), created_at=10.0, updated_at=11.0,
    )  # fmt: skip
    named = to_out(row, "周老师", anonymous=False)
    assert (named.observer_id, named.observer_name, named.created_at) == (7, "周老师", 10.0)
    assert [(s.criterion, s.score, s.comment) for s in named.scores] == [("goals", 4.0, "好")]
    hidden = to_out(row, "周老师", anonymous=True)
    assert (hidden.observer_id, hidden.observer_name, hidden.created_at, hidden.updated_at) == (
        None,
        None,
        None,
        None,
    )
    assert hidden.scores == named.scores and hidden.comment == "总评"
