"""One process's clock 5 s ahead: hand-offs and note stamps from both processes stay in one order.

Two servers on one Redis (the time authority, ``server/clock.py``) and one database; B's clock is set
5 s ahead with the test-only ``debug_clock_offset``. Moderators at A and at B switch the program in turn,
and an observer at each process writes a note after each switch.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from media import aiortc_hooks
from tests.support.api import Api
from tests.support.rooms import cid
from tests.support.server import make_settings, running_server
from tests.support.services import require_redis, unique_prefix
from tests.support.venues import command, handoffs_when, person, publish, showcase

pytestmark = pytest.mark.redis

SKEW = 5.0


@pytest.fixture(autouse=True)
def loopback_ice() -> Iterator[None]:
    aiortc_hooks.use_loopback_candidates(True)
    yield
    aiortc_hooks.use_loopback_candidates(False)


async def test_hand_offs_and_notes_stay_ordered_when_one_clock_is_5_s_ahead(tmp_path: Path) -> None:
    base = make_settings(tmp_path / "var", media_ice_loopback=True, redis_url=require_redis(),
                         redis_prefix=unique_prefix())  # fmt: skip
    async with (
        running_server(base) as a,
        running_server(base.with_overrides(debug_clock_offset=SKEW)) as b,
        aiohttp.ClientSession() as session,
    ):
        assert b.ctx.cluster.clock.local() - time.time() == pytest.approx(SKEW, abs=0.5)
        api_a, api_b = Api(session, a.url), Api(session, b.url)
        show = await showcase(api_a, a.url, ("red", "green"))
        pcs = show.pcs
        try:
            for colour in show.venues:
                await publish(show, colour)
            mods = [
                await person(api_a, a.url, show, "moderator"),
                await person(api_b, b.url, show, "moderator"),
            ]
            observers = [
                await person(api_a, a.url, show, "observer"),
                await person(api_b, b.url, show, "observer"),
            ]
            order = ["green", "red", "green", "red", "green", "red"]
            written: list[tuple[str, str]] = []  # (note id, the venue on air when it was written)
            for epoch, (colour, at) in enumerate(zip(order, itertools.cycle((0, 1))), start=0):
                r = await command(mods[at], "venue:switch", show.room_id, venue_id=show.venues[colour],
                                  epoch=epoch)  # fmt: skip
                assert r["ok"], r
                rows = await handoffs_when(api_a, show, lambda rows, n=epoch + 1: len(rows) == n
                                           and all(h["switched"] for h in rows), timeout=20)  # fmt: skip
                assert rows[-1]["switched"], rows[-1]
                await asyncio.sleep(0.3)  # a note a moment after the cut, from each process in turn
                for o in (observers[at], observers[1 - at]):
                    ack = await o.call("note:add", {"room_id": show.room_id, "client_id": cid(),
                                                    "text": f"第{epoch + 1}次切换后"})  # fmt: skip
                    assert ack["ok"], ack
                    written.append((ack["note"]["id"], show.venues[colour]))
            status, audit = await api_b.call("GET", f"/api/rooms/{show.room_id}/handoffs",
                                             token=show.host["token"])  # fmt: skip
            assert status == 200
            assert [h["epoch"] for h in audit] == list(range(1, len(order) + 1))
            assert [h["to_venue"] for h in audit] == [show.venues[c] for c in order]
            requested = [h["requested_at"] for h in audit]
            switched = [h["switched_at"] for h in audit]
            assert requested == sorted(requested) and switched == sorted(switched), audit
            # each stamp is the one deployment time, not B's: within a second of A's own clock
            assert all(abs(h["switched_at"] - h["requested_at"]) < 3 for h in audit), audit
            assert [h["on_air_until"] for h in audit[:-1]] == switched[1:]
            stamps: dict[str, dict[str, object]] = {}
            for o in observers:  # each author's own notes (private ones)
                status, notes = await api_a.call("GET", f"/api/rooms/{show.room_id}/notes", token=o.token)
                assert status == 200, notes
                stamps.update({n["id"]: n for n in notes})
            ats = [stamps[nid]["at"] for nid, _ in written]
            assert ats == sorted(ats), ats  # type: ignore[type-var]
            # and each note is put on the venue that was on air when it was written
            assert [stamps[nid]["venue_id"] for nid, _ in written] == [venue for _, venue in written]
        finally:
            for pc in pcs.values():
                await pc.close()
            with contextlib.suppress(Exception):
                await show.host_client.close()
