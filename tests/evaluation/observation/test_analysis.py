"""S-T computation by hand: Rt = N_T / N, Ch = (g − 1) / N, the lesson type from the Rt–Ch diagram, the
S-T curve, the consensus of several observers and their agreement; and the question-type instrument
analysed by the same code."""

from __future__ import annotations

import pytest

from evaluation.observation.analysis import (
    analyse,
    consensus,
    count_agreement,
    interval_agreement,
    runs,
)
from evaluation.observation.instruments import instrument

ST = instrument("st")


def test_a_lesson_coded_by_hand() -> None:
    seq = list("TTTSSTTSSSTT")  # N = 12, N_T = 7, runs TTT|SS|TT|SSS|TT → g = 5
    r = analyse(ST, seq)
    assert r.n == 12 and r.counts == {"T": 7, "S": 5} and r.runs == 5
    assert r.metrics["Rt"] == pytest.approx(7 / 12)
    assert r.metrics["Ch"] == pytest.approx(4 / 12)
    assert (r.type, r.type_title) == ("mixed", "混合型")
    # the curve walks right for T, up for S, from the origin
    assert r.curve[:6] == [(0, 0), (1, 0), (2, 0), (3, 0), (3, 1), (3, 2)]
    assert r.curve[-1] == (7, 5) and len(r.curve) == 13


@pytest.mark.parametrize(
    ("seq", "kind"),
    [
        ("SSSSSSST", "practice"),  # Rt = 1/8 ≤ 0.3
        ("TTTSSSSSSSSS", "practice"),  # Rt = 0.25: 练习型 although Ch is low
        ("TTTSSSSSSS", "practice"),  # Rt = 0.3 exactly belongs to 练习型
        ("TTTTTTTS", "lecture"),  # Rt = 7/8 ≥ 0.7
        ("TTTTTTTSSS", "lecture"),  # Rt = 0.7 exactly belongs to 讲授型
        ("TSTSTSTSTS", "dialogue"),  # Rt = 0.5, Ch = 9/10 ≥ 0.4
        ("TTSSTTSSTT", "dialogue"),  # Rt = 0.6, Ch = 4/10 = 0.4 exactly
        ("TTSSSTTSSS", "mixed"),  # Rt = 0.4, Ch = 3/10
        ("TTTSSSTTTSSS", "mixed"),  # Rt = 0.5, Ch = 3/12
    ],
)
def test_lesson_types_on_the_rt_ch_diagram(seq: str, kind: str) -> None:
    assert analyse(ST, list(seq)).type == kind


def test_nothing_coded_has_no_type() -> None:
    r = analyse(ST, [])
    assert r.n == 0 and r.metrics == {"Rt": None, "Ch": None} and r.type is None and r.curve == [(0, 0)]
    assert runs([]) == 0


def test_consensus_and_agreement_of_three_observers() -> None:
    a = {0: "T", 1: "T", 2: "S", 3: "S"}
    b = {0: "T", 1: "S", 2: "S", 3: "S"}
    c = {0: "T", 1: "T", 2: "S", 4: "T"}  # missed slot 3, coded slot 4 alone
    assert consensus(ST, [a, b, c]) == [(0, "T"), (1, "T"), (2, "S"), (3, "S"), (4, "T")]
    # pairs: a–b 3/4, a–c 3/3, b–c 2/3 → 8 of 10
    assert interval_agreement([a, b, c]) == pytest.approx(80.0)
    assert interval_agreement([a]) is None
    # a tie goes to the code listed first in the instrument (T)
    assert consensus(ST, [{0: "S"}, {0: "T"}]) == [(0, "T")]


def test_question_types_are_the_same_code_on_another_template() -> None:
    q = instrument("questions")
    assert q.mode == "event" and q.codes[0].title == "记忆性问题"
    r = analyse(q, ["recall", "recall", "understand", "higher", "managing", "apply", "recall", "recall"])
    assert r.counts == {"recall": 4, "understand": 1, "apply": 1, "higher": 1, "managing": 1}
    assert r.metrics["higher_share"] == pytest.approx(2 / 8)
    assert r.type is None and r.curve == []
    assert count_agreement([{"recall": 4, "apply": 2}, {"recall": 3, "apply": 2}]) == pytest.approx(500 / 6)
    assert count_agreement([{"recall": 0}, {"recall": 0}]) == 100.0
