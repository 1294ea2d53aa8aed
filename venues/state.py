"""The main-venue controller's state machine: pure data and one transition function, no I/O.

A room's program state says which venue (or shared screen, ``screen:<user_id>``: a live screen share is
a venue here, known while it is shared) is on air (``program``), which is cued (``preview``), which
takes over when the program venue's signal is lost (``fallback``), where the agenda stands and the
``epoch``. Every command names the epoch it was based on; a command whose epoch is not the current one
is rejected with :class:`Conflict` ("another moderator switched first"). Every accepted command
increments the epoch — a take always does, and so does a cue or a fallback change, so a take based on a
preview that someone else changed meanwhile is refused too. The store applies a transition with a
compare-and-set on the epoch, which puts all commands, from all processes, in one order.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from media.api import is_screen
from server.errors import Conflict, NotFound, ValidationError

log = logging.getLogger(__name__)


class OnAir(StrEnum):
    """What the program feed carries."""

    IDLE = "idle"  # nothing taken yet
    VENUE = "venue"  # the venue a moderator took
    FALLBACK = "fallback"  # the program venue's signal was lost; the fallback venue is on air
    SLATE = "slate"  # the program venue's signal was lost and no fallback was live: the still image


class Kind(StrEnum):
    CUE = "cue"
    TAKE = "take"
    SWITCH = "switch"
    NEXT = "next"
    FALLBACK = "fallback"
    LOST = "lost"  # system: the program venue's publisher has been gone for media_fallback_delay


@dataclass(frozen=True)
class Command:
    """One controller command. ``actor`` is the user id; ``None`` for the controller itself."""

    kind: Kind
    epoch: int
    venue_id: str | None = None
    actor: int | None = None


@dataclass(frozen=True)
class Facts:
    """What a transition needs to know about the room besides its state."""

    venues: frozenset[str]
    live: frozenset[str]
    agenda: tuple[str | None, ...] = ()  # venue id of each segment, in agenda order
    unfit: Mapping[str, str] = field(default_factory=dict)  # live venues the program cannot carry: why


@dataclass(frozen=True)
class ProgramState:
    room_id: str
    program: str | None = None  # venue on the wire (None: idle or slate)
    preview: str | None = None
    fallback: str | None = None
    agenda_index: int | None = None
    epoch: int = 0
    on_air: OnAir = OnAir.IDLE
    lost: str | None = None  # the venue whose loss put FALLBACK or SLATE on air
    updated_at: float = 0.0
    updated_by: int | None = None

    @property
    def slate(self) -> bool:
        return self.on_air is OnAir.SLATE

    def public(self) -> dict[str, Any]:
        """The ``venue:state`` payload."""
        return {
            "room_id": self.room_id,
            "program": self.program,
            "preview": self.preview,
            "fallback": self.fallback,
            "agenda_index": self.agenda_index,
            "epoch": self.epoch,
            "slate": self.slate,
            "on_air": self.on_air.value,
            "lost": self.lost,
            "updated_at": self.updated_at,
        }

    def dumps(self) -> str:
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def loads(cls, raw: str | bytes) -> ProgramState:
        data = json.loads(raw)
        data["on_air"] = OnAir(data["on_air"])
        return cls(**data)


@dataclass(frozen=True)
class Transition:
    """The accepted result of a command: the new state and whether the program source changes."""

    before: ProgramState
    after: ProgramState
    command: Command
    cut: bool = field(default=False)

    @property
    def source(self) -> str | None:
        """The venue the program feed must carry after this transition (None: the slate)."""
        return self.after.program


def transition(state: ProgramState, cmd: Command, facts: Facts, now: float) -> Transition:
    """Apply ``cmd`` to ``state``; raise Conflict / NotFound / ValidationError when it may not apply."""
    if cmd.epoch != state.epoch:
        raise Conflict(
            "another moderator switched first; the program changed since you loaded it",
            code="conflict",
            details={"epoch": state.epoch, "program": state.program},
        )
    # The epochs are the order of a room's changes; the clock only labels them, so a change is never
    # stamped before the one it follows (a command decided at another process whose clock is behind).
    stamp = max(now, state.updated_at)
    base: dict[str, Any] = {"epoch": state.epoch + 1, "updated_at": stamp, "updated_by": cmd.actor}
    if cmd.kind is Kind.CUE:
        venue = _known(cmd.venue_id, facts)
        return Transition(state, dataclasses.replace(state, preview=venue, **base), cmd)
    if cmd.kind is Kind.FALLBACK:
        fallback = None if cmd.venue_id is None else _known(cmd.venue_id, facts)
        return Transition(state, dataclasses.replace(state, fallback=fallback, **base), cmd)
    if cmd.kind is Kind.TAKE:
        if state.preview is None:
            raise ValidationError("cue a venue into preview before taking it", code="nothing_cued")
        venue = _live(_known(state.preview, facts), facts)
        after = dataclasses.replace(state, **_on_air(venue), preview=state.program, **base)
        return Transition(state, after, cmd, cut=True)
    if cmd.kind is Kind.SWITCH:
        venue = _live(_known(cmd.venue_id, facts), facts)
        preview = None if state.preview == venue else state.preview
        after = dataclasses.replace(state, **_on_air(venue), preview=preview, **base)
        return Transition(state, after, cmd, cut=True)
    if cmd.kind is Kind.NEXT:
        return _next(state, cmd, facts, base)
    if cmd.kind is Kind.LOST:
        return _lost(state, cmd, facts, base)
    raise ValidationError(f"unknown command {cmd.kind!r}")  # pragma: no cover - Kind is closed


def _on_air(venue: str) -> dict[str, Any]:
    return {"program": venue, "on_air": OnAir.VENUE, "lost": None}


def _next(state: ProgramState, cmd: Command, facts: Facts, base: dict[str, Any]) -> Transition:
    index = 0 if state.agenda_index is None else state.agenda_index + 1
    if index >= len(facts.agenda):
        raise Conflict("the agenda has no next segment", code="agenda_end")
    venue = facts.agenda[index]
    following = facts.agenda[index + 1] if index + 1 < len(facts.agenda) else None
    preview = following if following is not None else state.preview
    if venue is None:  # a segment without a venue (a break): the program stays where it is
        after = dataclasses.replace(state, agenda_index=index, preview=preview, **base)
        return Transition(state, after, cmd)
    _live(_known(venue, facts), facts)
    after = dataclasses.replace(state, **_on_air(venue), agenda_index=index, preview=preview, **base)
    return Transition(state, after, cmd, cut=True)


def _lost(state: ProgramState, cmd: Command, facts: Facts, base: dict[str, Any]) -> Transition:
    if cmd.venue_id is None or cmd.venue_id != state.program:
        raise Conflict(f"venue {cmd.venue_id} is not on air", code="not_on_air")
    if cmd.venue_id in facts.live:
        raise Conflict(f"venue {cmd.venue_id} is live again", code="venue_live")
    fallback = state.fallback
    if fallback is not None and fallback != cmd.venue_id and fallback in facts.live:
        after = dataclasses.replace(state, program=fallback, on_air=OnAir.FALLBACK, lost=cmd.venue_id, **base)
    else:
        after = dataclasses.replace(state, program=None, on_air=OnAir.SLATE, lost=cmd.venue_id, **base)
    return Transition(state, after, cmd, cut=True)


def _known(venue_id: str | None, facts: Facts) -> str:
    if not venue_id:
        raise ValidationError("venue_id is required", code="venue_required")
    if is_screen(venue_id) and venue_id not in facts.venues:
        raise Conflict(f"{venue_id} is not being shared; it cannot be cued or taken", code="screen_not_live")
    if venue_id not in facts.venues:
        raise NotFound(f"venue {venue_id} is not a venue of this room", code="venue_not_found")
    return venue_id


def _live(venue_id: str, facts: Facts) -> str:
    if venue_id not in facts.live:
        raise Conflict(f"venue {venue_id} is not publishing; it cannot go on air", code="venue_not_live")
    return venue_id
