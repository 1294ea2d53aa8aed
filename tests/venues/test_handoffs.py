"""venues.handoffs: the audit of program changes, recorded when decided and finished when the wire reports
(real SQLite; the transitions come from the real state machine)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from media.api import CutResult
from server.db import Database, now
from server.models import User
from tests.support.api import make_room
from venues import handoffs
from venues.state import Command, Facts, Kind, ProgramState, Transition, transition

FACTS = Facts(venues=frozenset({"s1", "s3"}), live=frozenset({"s1", "s3"}), agenda=())


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with Database(f"sqlite+aiosqlite:///{tmp_path / 'moke.db'}") as database:
        yield database


async def a_room(db: Database) -> str:
    async with db.transaction() as session:
        user = User(display_name="导播", created_at=now())
        session.add(user)
        await session.flush()
        user_id = user.id
    return await make_room(db, user_id, kind="showcase")


def switch(state: ProgramState, venue: str, at: float) -> Transition:
    return transition(state, Command(Kind.SWITCH, state.epoch, venue, actor=7), FACTS, now=at)


async def test_a_hand_off_is_listed_with_its_wire_result_and_when_the_next_took_over(db: Database) -> None:
    room = await a_room(db)
    t0 = time.time()
    first = switch(ProgramState(room), "s1", t0 - 10)
    second = switch(first.after, "s3", t0 + 100)
    a = await handoffs.record(db, first)
    b = await handoffs.record(db, second)
    await handoffs.finish(db, a, CutResult(switched=True, seconds=0.0712), t0)
    listed = await handoffs.list_for_room(db, room)
    assert [(h.id, h.epoch, h.kind, h.actor_id, h.from_venue, h.to_venue) for h in listed] == [
        (a, 1, "switch", 7, None, "s1"),
        (b, 2, "switch", 7, "s1", "s3"),
    ]
    done, pending = listed
    assert (done.switched, done.switch_ms, done.requested_at) == (True, 71.2, t0 - 10)
    assert done.switched_at == t0
    assert done.on_air_until == t0 + 100  # s3 counts from its request: the wire has not reported it yet
    assert (pending.switched, pending.switched_at, pending.switch_ms, pending.on_air_until) == (
        None,
        None,
        None,
        None,
    )


async def test_a_cut_that_failed_on_the_wire_is_kept_but_changed_nothing(db: Database) -> None:
    room = await a_room(db)
    t0 = time.time()
    first = switch(ProgramState(room), "s1", t0 - 10)
    failed = switch(first.after, "s3", t0 + 100)
    third = switch(failed.after, "s1", t0 + 200)
    ids = [await handoffs.record(db, t) for t in (first, failed, third)]
    await handoffs.finish(db, ids[1], CutResult(switched=False, seconds=3.0), t0 + 103)
    listed = await handoffs.list_for_room(db, room)
    assert [h.switched for h in listed] == [None, False, None]
    assert listed[1].switched_at is None and listed[1].switch_ms == 3000.0
    assert listed[0].on_air_until == t0 + 200  # s1 stayed on air through the failed cut
    assert await handoffs.list_for_room(db, "another-room") == []
