"""The controller's pure state machine: commands, epochs, conflicts, agenda, signal loss."""

from __future__ import annotations

import pytest

from server.errors import Conflict, NotFound, ValidationError
from venues.state import Command, Facts, Kind, OnAir, ProgramState, transition

FACTS = Facts(
    venues=frozenset({"centre", "s1", "s3"}),
    live=frozenset({"centre", "s1", "s3"}),
    agenda=("centre", "s3", "s1", None, "centre"),
)


def apply(state: ProgramState, kind: Kind, venue: str | None = None, facts: Facts = FACTS) -> ProgramState:
    return transition(state, Command(kind, state.epoch, venue, actor=7), facts, now=1.0).after


def test_cue_then_take_swaps_preview_and_program_and_bumps_the_epoch() -> None:
    s0 = ProgramState("r")
    s1 = apply(s0, Kind.CUE, "s3")
    assert (s1.preview, s1.program, s1.epoch) == ("s3", None, 1)
    t = transition(s1, Command(Kind.TAKE, 1, actor=7), FACTS, 2.0)
    assert t.cut and t.source == "s3"
    assert (t.after.program, t.after.preview, t.after.epoch, t.after.on_air) == ("s3", None, 2, OnAir.VENUE)
    s3 = apply(apply(t.after, Kind.CUE, "s1"), Kind.TAKE)
    assert (s3.program, s3.preview, s3.epoch) == ("s1", "s3", 4)
    assert s3.updated_by == 7


def test_stale_epoch_is_a_conflict_naming_the_current_epoch() -> None:
    s = apply(ProgramState("r"), Kind.SWITCH, "s1")
    with pytest.raises(Conflict) as exc:
        transition(s, Command(Kind.SWITCH, 0, "s3"), FACTS, 1.0)
    assert exc.value.code == "conflict"
    assert exc.value.details == {"epoch": 1, "program": "s1"}


def test_two_commands_from_the_same_epoch_only_the_first_applies() -> None:
    s = ProgramState("r", epoch=5)
    a = transition(s, Command(Kind.SWITCH, 5, "s1"), FACTS, 1.0).after
    with pytest.raises(Conflict):
        transition(a, Command(Kind.SWITCH, 5, "s3"), FACTS, 1.0)


def test_taking_a_venue_that_is_not_publishing_is_refused() -> None:
    facts = Facts(venues=FACTS.venues, live=frozenset({"centre"}), agenda=FACTS.agenda)
    with pytest.raises(Conflict) as exc:
        apply(ProgramState("r"), Kind.SWITCH, "s1", facts)
    assert exc.value.code == "venue_not_live"
    cued = apply(ProgramState("r"), Kind.CUE, "s1", facts)  # cueing a dark venue is allowed
    with pytest.raises(Conflict):
        apply(cued, Kind.TAKE, None, facts)


def test_unknown_venue_and_empty_preview() -> None:
    with pytest.raises(NotFound):
        apply(ProgramState("r"), Kind.CUE, "elsewhere")
    with pytest.raises(ValidationError):
        apply(ProgramState("r"), Kind.TAKE)
    with pytest.raises(ValidationError):
        apply(ProgramState("r"), Kind.SWITCH, None)


def test_a_shared_screen_is_a_program_target_only_while_it_is_shared() -> None:
    """The controller adds live screen shares (``screen:<user_id>``) to the venues it knows."""
    sharing = Facts(venues=FACTS.venues | {"screen:7"}, live=FACTS.live | {"screen:7"}, agenda=FACTS.agenda)
    s = apply(apply(ProgramState("r"), Kind.SWITCH, "s1", sharing), Kind.CUE, "screen:7", sharing)
    t = transition(s, Command(Kind.TAKE, s.epoch, actor=7), sharing, 2.0)
    assert t.cut and (t.after.program, t.after.preview, t.after.on_air) == ("screen:7", "s1", OnAir.VENUE)
    for kind in (Kind.CUE, Kind.SWITCH):  # a screen nobody shares (any more)
        with pytest.raises(Conflict) as exc:
            apply(ProgramState("r"), kind, "screen:8", sharing)
        assert exc.value.code == "screen_not_live"
    with pytest.raises(Conflict) as exc:
        apply(s, Kind.TAKE, None, FACTS)  # cued while shared, stopped before the take
    assert exc.value.code == "screen_not_live"
    lost = transition(t.after, Command(Kind.LOST, t.after.epoch, "screen:7"), FACTS, 3.0).after
    assert (lost.on_air, lost.lost) == (OnAir.SLATE, "screen:7")  # no fallback venue was set


def test_following_the_agenda_walks_segments_and_cues_the_next_venue() -> None:
    s = apply(ProgramState("r"), Kind.NEXT)
    assert (s.agenda_index, s.program, s.preview) == (0, "centre", "s3")
    s = apply(s, Kind.NEXT)
    assert (s.agenda_index, s.program, s.preview) == (1, "s3", "s1")
    s = apply(s, Kind.NEXT)
    assert (s.agenda_index, s.program, s.preview) == (2, "s1", "s1")  # the break names no venue
    t = transition(s, Command(Kind.NEXT, s.epoch), FACTS, 1.0)
    assert not t.cut and t.after.program == "s1" and t.after.agenda_index == 3
    s = apply(t.after, Kind.NEXT)
    assert (s.agenda_index, s.program) == (4, "centre")
    with pytest.raises(Conflict) as exc:
        apply(s, Kind.NEXT)
    assert exc.value.code == "agenda_end"


def test_signal_loss_cuts_to_a_live_fallback_or_else_to_the_slate() -> None:
    s = apply(apply(ProgramState("r"), Kind.FALLBACK, "centre"), Kind.SWITCH, "s3")
    dark = Facts(venues=FACTS.venues, live=frozenset({"centre", "s1"}), agenda=FACTS.agenda)
    t = transition(s, Command(Kind.LOST, s.epoch, "s3"), dark, 1.0)
    assert t.cut and (t.after.program, t.after.on_air, t.after.lost) == ("centre", OnAir.FALLBACK, "s3")
    no_fallback = Facts(venues=FACTS.venues, live=frozenset({"s1"}), agenda=FACTS.agenda)
    t = transition(s, Command(Kind.LOST, s.epoch, "s3"), no_fallback, 1.0)
    assert t.source is None and t.after.slate and t.after.public()["slate"] is True
    # the venue came back before the delay ran out, or is no longer on air: nothing to do
    with pytest.raises(Conflict):
        transition(s, Command(Kind.LOST, s.epoch, "s3"), FACTS, 1.0)
    with pytest.raises(Conflict):
        transition(s, Command(Kind.LOST, s.epoch, "s1"), dark, 1.0)
    # after the slate, a moderator decides: taking the venue again clears it
    back = apply(t.after, Kind.SWITCH, "s3")
    assert (back.program, back.on_air, back.lost, back.slate) == ("s3", OnAir.VENUE, None, False)


def test_state_round_trips_through_json() -> None:
    s = ProgramState("r", "s1", "s3", "centre", 2, 9, OnAir.FALLBACK, "s3", 12.5, 4)
    assert ProgramState.loads(s.dumps()) == s


def test_a_change_is_never_stamped_before_the_one_it_follows() -> None:
    s1 = transition(ProgramState("r"), Command(Kind.CUE, 0, "s3", actor=7), FACTS, 100.0).after
    # the next command is decided at a process whose clock is 5 s behind
    s2 = transition(s1, Command(Kind.TAKE, 1, actor=8), FACTS, 95.2).after
    s3 = transition(s2, Command(Kind.CUE, 2, "s1", actor=8), FACTS, 101.0).after
    assert [s.updated_at for s in (s1, s2, s3)] == [100.0, 100.0, 101.0]
