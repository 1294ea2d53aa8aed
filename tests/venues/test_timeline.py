"""Which venue was main when: the timeline cut from the program changes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.db import Database, now
from server.models import User
from tests.support.api import make_room
from venues import handoffs
from venues.models import Handoff
from venues.state import Command, Facts, Kind, ProgramState, transition
from venues.timeline import Timeline, main_venues, on_air


def test_on_air_cuts_the_timeline_at_each_change() -> None:
    names = {"v3": "三小", "v1": "一小"}
    changes = [(900.0, "v3"), (1030.0, "v1"), (1060.0, None), (1200.0, "v3")]
    bands = on_air(changes, origin=1000.0, until=1100.0, names=names)
    assert [(b.start, b.end, b.venue_id, b.venue_name) for b in bands] == [
        (0.0, 30.0, "v3", "三小"),  # on air before the recording began: clipped to its start
        (30.0, 60.0, "v1", "一小"),
        (60.0, 100.0, None, None),  # the slate; the change after the end is left out
    ]


def test_on_air_before_any_change_is_nothing() -> None:
    assert on_air([(1050.0, "v3")], origin=1000.0, until=1100.0, names={}) == on_air(
        [(1050.0, "v3"), (1200.0, "v1")], origin=1000.0, until=1100.0, names={}
    )
    [band] = on_air([(1050.0, "v3")], origin=1000.0, until=1100.0, names={})
    assert (band.start, band.end, band.venue_name) == (50.0, 100.0, None)
    assert on_air([], origin=1000.0, until=1100.0, names={}) == []


def handoff(id: int, epoch: int, to: str | None, requested: float, switched: bool | None = True,
            on_wire: float | None = None) -> Handoff:  # fmt: skip
    return Handoff(id=id, room_id="r", epoch=epoch, kind="switch", to_venue=to, requested_at=requested,
                   switched=switched, switched_at=None if on_wire is None else requested + on_wire)  # fmt: skip


LOG = [
    handoff(1, 1, "v1", 100.0, on_wire=0.5),
    handoff(2, 2, "v2", 200.0, on_wire=1.5),  # the picture changed at 201.5
    handoff(3, 3, "v3", 250.0, switched=False),  # never on the wire
    handoff(4, 4, None, 300.0, switched=None),  # the slate; the wire has not reported yet
]


def test_the_main_venue_changes_when_the_wire_switched_and_never_for_a_failed_cut() -> None:
    t = Timeline.of(list(reversed(LOG)))
    assert [t.main_at(at) for at in (99.0, 100.2, 100.5, 201.0, 201.5, 260.0, 300.0)] == [
        None, None, "v1", "v1", "v2", "v2", None,
    ]  # fmt: skip
    assert t.controlled and not Timeline.of([]).controlled


def test_the_audits_on_air_until_is_the_next_change_on_the_timeline() -> None:
    t = Timeline.of(LOG)
    assert [t.until(h.id) for h in LOG] == [201.5, 300.0, None, None]


def test_the_replays_stretches_and_the_notes_stamps_agree() -> None:
    t = Timeline.of(LOG)
    stretches = t.stretches(150.0, 350.0, {"v1": "一小", "v2": "二小"})
    assert [(s.start, s.end, s.venue_name) for s in stretches] == [
        (0.0, 51.5, "一小"), (51.5, 150.0, "二小"), (150.0, 200.0, None),
    ]  # fmt: skip
    for s in stretches:
        assert t.main_at(150.0 + s.start) == t.main_at(150.0 + s.end - 0.01) == s.venue_id


def test_the_epochs_order_the_changes_when_two_processes_clocks_disagree() -> None:
    # epoch 2 was decided at a process whose clock was 5 s behind the one that decided epoch 1
    skewed = [handoff(1, 1, "v1", 100.0, on_wire=0.5), handoff(2, 2, "v2", 96.0, on_wire=0.5),
              handoff(3, 3, "v3", 103.0, on_wire=0.5)]  # fmt: skip
    t = Timeline.of(list(reversed(skewed)))
    assert [c.venue_id for c in t.changes] == ["v1", "v2", "v3"]
    assert [c.at for c in t.changes] == [100.5, 100.5, 103.5]  # never placed before the change it followed
    assert [t.main_at(at) for at in (100.4, 100.5, 103.0, 104.0)] == [None, "v2", "v2", "v3"]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with Database(f"sqlite+aiosqlite:///{tmp_path / 'moke.db'}") as database:
        yield database


async def test_a_shared_screen_on_the_program_is_named_on_the_replay_timeline(db: Database) -> None:
    async with db.transaction() as session:
        sharer = User(display_name="李老师", created_at=now())
        session.add(sharer)
        await session.flush()
        sharer_id = sharer.id
    room = await make_room(db, sharer_id, kind="showcase")
    screen = f"screen:{sharer_id}"
    facts = Facts(venues=frozenset({screen}), live=frozenset({screen}))
    t = transition(ProgramState(room), Command(Kind.SWITCH, 0, screen, actor=sharer_id), facts, now=100.0)
    await handoffs.record(db, t)
    (stretch,) = await main_venues(db, room, origin=90.0, until=130.0)
    assert (stretch.start, stretch.end, stretch.venue_id, stretch.venue_name) == (
        10.0,
        40.0,
        screen,
        "课件演示（李老师）",
    )
