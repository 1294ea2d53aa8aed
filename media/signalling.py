"""Socket.IO signalling for the media plane (offer/answer, no trickle ICE).

Client → server (every one answered through its ack with ``{"ok": true, ...}`` or
``{"ok": false, "error": {"code", "message"}}``):

* ``media:publish {room_id, venue_id | seat: true, sdp, type: "offer"}`` → ``{sdp, type, publication_id}``
* ``media:unpublish {publication_id}``
* ``media:watch {room_id, source, sdp, type: "offer"}`` → ``{sdp, type, subscription_id}``;
  ``source`` is ``"venue:<venue_id>"``, ``"seat:<user_id>"``, ``"program"`` or ``"preview"``
* ``media:unwatch {subscription_id}``
* ``media:sources {room_id}`` → ``{sources: [...]}`` (the live sources now)

Server → client: ``media:sources {room_id, sources}`` to ``room:{room_id}`` whenever a source goes
live or drops; ``media:ended {room_id, source, reason}`` to that source's viewers (and to its
publisher when the server ended it: ``rtp timeout``, ``connection failed``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import socketio
from aiohttp import web
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select

from media.registry import source_name_valid
from media.service import MediaService
from rooms.floor import FLOOR
from rooms.membership import authorize
from rooms.models import Member, Venue
from rooms.permissions import Action, Role
from server.api import validate
from server.context import AppContext
from server.errors import Forbidden, MokeError, NotFound, ValidationError, sio_error
from server.realtime import principal_of_sid

log = logging.getLogger(__name__)

Id = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


class PublishIn(BaseModel):
    room_id: str = Id
    venue_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    seat: bool = False
    sdp: str = Field(max_length=64 * 1024)
    type: str

    @model_validator(mode="after")
    def one_target(self) -> PublishIn:
        if (self.venue_id is None) == (not self.seat):
            raise ValueError("give either venue_id or seat: true")
        return self


class WatchIn(BaseModel):
    room_id: str = Id
    source: str = Field(min_length=1, max_length=80)
    sdp: str = Field(max_length=64 * 1024)
    type: str


class PublicationIn(BaseModel):
    publication_id: str = Field(min_length=1, max_length=64)


class SubscriptionIn(BaseModel):
    subscription_id: str = Field(min_length=1, max_length=64)


class RoomIn(BaseModel):
    room_id: str = Id


def install(app: web.Application, ctx: AppContext, service: MediaService) -> None:
    """Register the ``media:*`` events on ``ctx.sio`` (and chain the disconnect handler)."""
    sio = ctx.sio

    def handler(event: str, fn: Callable[[str, Any], Awaitable[dict[str, Any]]]) -> None:
        async def on_event(sid: str, data: Any = None) -> dict[str, Any]:
            try:
                return {"ok": True, **await fn(sid, data)}
            except MokeError as exc:
                return sio_error(exc, event)
            except Exception:
                log.exception("%s failed sid=%s", event, sid)
                return sio_error(MokeError("internal error", code="internal"), event)

        sio.on(event, on_event)

    async def publish(sid: str, data: Any) -> dict[str, Any]:
        body = validate(PublishIn, data)
        principal = await principal_of_sid(sio, sid)
        still_allowed: Callable[[], Awaitable[bool]] | None = None
        if body.seat:
            role = await authorize(ctx.db, principal, body.room_id, Action.MEDIA_PUBLISH_SEAT)
            await _require_seat(app, body.room_id, principal.user_id, role)
            name = f"seat:{principal.user_id}"
            floor = app.get(FLOOR)
            if role not in (Role.HOST, Role.MODERATOR) and floor is not None:
                still_allowed = functools.partial(floor.holds_seat, body.room_id, principal.user_id)
        else:
            assert body.venue_id is not None
            role = await authorize(ctx.db, principal, body.room_id, Action.MEDIA_PUBLISH_VENUE)
            await _require_venue(ctx, body.room_id, body.venue_id, principal.user_id, role)
            name = f"venue:{body.venue_id}"
        answer, pub_id = await service.publish(
            sid, principal.user_id, body.room_id, name, body.sdp, body.type, still_allowed=still_allowed
        )
        return {"sdp": answer.sdp, "type": answer.type, "publication_id": pub_id, "source": name}

    async def watch(sid: str, data: Any) -> dict[str, Any]:
        body = validate(WatchIn, data)
        if not source_name_valid(body.source):
            raise ValidationError(
                "source must be venue:<id>, seat:<user_id>, program or preview", code="invalid_source"
            )
        principal = await principal_of_sid(sio, sid)
        action = Action.MEDIA_PREVIEW if body.source == "preview" else Action.MEDIA_WATCH
        await authorize(ctx.db, principal, body.room_id, action)
        answer, sub_id = await service.watch(
            sid, principal.user_id, body.room_id, body.source, body.sdp, body.type
        )
        return {"sdp": answer.sdp, "type": answer.type, "subscription_id": sub_id}

    async def unpublish(sid: str, data: Any) -> dict[str, Any]:
        await service.unpublish(sid, validate(PublicationIn, data).publication_id)
        return {}

    async def unwatch(sid: str, data: Any) -> dict[str, Any]:
        await service.unwatch(sid, validate(SubscriptionIn, data).subscription_id)
        return {}

    async def sources(sid: str, data: Any) -> dict[str, Any]:
        body = validate(RoomIn, data)
        await authorize(ctx.db, await principal_of_sid(sio, sid), body.room_id, Action.MEDIA_WATCH)
        return {"room_id": body.room_id, "sources": service.registry.live_names(body.room_id)}

    handler("media:publish", publish)
    handler("media:watch", watch)
    handler("media:unpublish", unpublish)
    handler("media:unwatch", unwatch)
    handler("media:sources", sources)

    async def announce(room_id: str, name: str, live: bool) -> None:
        payload = {"room_id": room_id, "sources": service.registry.live_names(room_id)}
        await sio.emit("media:sources", payload, room=f"room:{room_id}")

    service.registry.add_listener(announce)
    _chain_disconnect(sio, service)


def _chain_disconnect(sio: socketio.AsyncServer, service: MediaService) -> None:
    """Close a client's peers when its Socket.IO connection ends, keeping any earlier handler."""
    previous = sio.handlers.get("/", {}).get("disconnect")

    async def disconnect(sid: str, reason: Any = None) -> None:
        try:
            if previous is not None:
                try:
                    result = previous(sid, reason)
                except TypeError:
                    result = previous(sid)
                if hasattr(result, "__await__"):
                    await result
        finally:
            await service.disconnect(sid)

    sio.on("disconnect", disconnect)


async def _require_seat(app: web.Application, room_id: str, user_id: int, role: Role) -> None:
    """Seat publishing needs a granted seat (hosts and moderators run the floor and always may)."""
    if role in (Role.HOST, Role.MODERATOR):
        return
    floor = app.get(FLOOR)
    if floor is None or not await floor.holds_seat(room_id, user_id):
        raise Forbidden("you need an interactive seat to publish; raise your hand", code="no_seat")


async def _require_venue(ctx: AppContext, room_id: str, venue_id: str, user_id: int, role: Role) -> None:
    """A presenter publishes their own venue; the host may publish any venue of the room."""
    async with ctx.db.session() as session:
        venue = await session.get(Venue, venue_id)
        if venue is None or venue.room_id != room_id:
            raise NotFound(f"venue {venue_id} not found in this room", code="venue_not_found")
        if role == Role.PRESENTER and venue.presenter_id not in (None, user_id):
            raise Forbidden("you are not the presenter of this venue", code="not_venue_presenter")
        if role == Role.PRESENTER and venue.presenter_id is None:
            member_venue = await session.scalar(
                select(Member.venue_id).where(Member.room_id == room_id, Member.user_id == user_id)
            )
            if member_venue is not None and member_venue != venue_id:
                raise Forbidden("you present at another venue", code="not_venue_presenter")
