"""Socket.IO signalling for the media plane (offer/answer, no trickle ICE).

Client → server (every one answered through its ack with ``{"ok": true, ...}`` or
``{"ok": false, "error": {"code", "message"}}``):

* ``media:publish {room_id, venue_id | seat: true | screen: true, sdp, type: "offer"}`` →
  ``{sdp, type, publication_id, source}`` (``screen: true`` publishes ``screen:<user_id>``, a shared screen)
* ``media:unpublish {publication_id}``
* ``media:watch {room_id, source, sdp, type: "offer"}`` → ``{sdp, type, subscription_id}``;
  ``source`` is ``"venue:<venue_id>"``, ``"seat:<user_id>"``, ``"screen:<user_id>"``, ``"program"`` or
  ``"preview"``
* ``media:unwatch {subscription_id}``
* ``media:sources {room_id}`` → ``{sources: [...]}`` (the live sources now)
* ``media:layer {room_id, subscription_id?, layer}`` → ``{room_id, subscription_id, layer}``: pin one
  viewer, or without ``subscription_id`` the whole room, to a temporal layer (0–2; ``null`` unpins);
  ``media.preview`` (hosts, moderators), like the room's media status that lists the subscriptions

Server → client: ``media:sources {room_id, sources}`` to ``room:{room_id}`` whenever a source goes
live or drops; ``media:ended {room_id, source, reason}`` to that source's viewers (and to its
publisher when the server ended it: ``rtp timeout``, ``connection failed``).
"""

from __future__ import annotations

import logging

from pydantic import BaseModel, Field, model_validator

from media.layers import TOP
from media.registry import source_name_valid
from media.routing import MediaRouter
from media.service import MediaService
from rooms.api import (
    Action,
    FloorService,
    authorize,
    require_venue_publisher,
    room_channel,
    screen_needs_seat,
    seat_needed,
)
from server.context import AppContext
from server.errors import Forbidden, ValidationError
from server.realtime import Reply, principal_of_sid

log = logging.getLogger(__name__)

SOURCE_FORMAT = "source must be venue:<id>, seat:<user_id>, screen:<user_id>, program or preview"
Id = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


class PublishIn(BaseModel):
    room_id: str = Id
    venue_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    seat: bool = False
    screen: bool = False
    sdp: str = Field(max_length=64 * 1024)
    type: str

    @model_validator(mode="after")
    def one_target(self) -> PublishIn:
        if [self.venue_id is not None, self.seat, self.screen].count(True) != 1:
            raise ValueError("give one of venue_id, seat: true or screen: true")
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


class LayerIn(BaseModel):
    room_id: str = Id
    subscription_id: str | None = Field(default=None, min_length=1, max_length=64)
    layer: int | None = Field(ge=0, le=TOP)


def install(ctx: AppContext, service: MediaService, router: MediaRouter, floor: FloorService) -> None:
    """Register the ``media:*`` events and a disconnect hook on ``ctx.realtime``.

    Each operation runs at the room's media home (``media.routing``), here or in another process."""
    sio = ctx.sio
    homes = _Homes()

    @ctx.realtime.event("media:publish", PublishIn)
    async def publish(sid: str, body: PublishIn) -> Reply:
        principal = await principal_of_sid(sio, sid)
        if body.seat:
            role = await authorize(ctx.db, principal, body.room_id, Action.MEDIA_PUBLISH_SEAT)
            if not await floor.may_publish_seat(body.room_id, principal.user_id, role):
                raise Forbidden("you need an interactive seat to publish; raise your hand", code="no_seat")
            name = f"seat:{principal.user_id}"
            recheck_seat = seat_needed(role)
        elif body.screen:
            role = await authorize(ctx.db, principal, body.room_id, Action.MEDIA_PUBLISH_SCREEN)
            if not await floor.may_share_screen(body.room_id, principal.user_id, role):
                raise Forbidden(
                    "only the host, a presenter or a seat holder may share a screen; raise your hand for a seat",
                    code="screen_not_allowed",
                )
            name = f"screen:{principal.user_id}"
            recheck_seat = screen_needs_seat(role)
        else:
            assert body.venue_id is not None
            role = await authorize(ctx.db, principal, body.room_id, Action.MEDIA_PUBLISH_VENUE)
            await require_venue_publisher(ctx.db, body.room_id, body.venue_id, principal.user_id, role)
            name = f"venue:{body.venue_id}"
            recheck_seat = False
        node, answer = await router.call(
            body.room_id, "publish", sid=sid, user_id=principal.user_id, room_id=body.room_id, name=name,
            sdp=body.sdp, type_=body.type, recheck_seat=recheck_seat,
        )  # fmt: skip
        homes.add(answer["publication_id"], node, sid)
        return answer

    @ctx.realtime.event("media:watch", WatchIn)
    async def watch(sid: str, body: WatchIn) -> Reply:
        if not source_name_valid(body.source):
            raise ValidationError(SOURCE_FORMAT, code="invalid_source")
        principal = await principal_of_sid(sio, sid)
        action = Action.MEDIA_PREVIEW if body.source == "preview" else Action.MEDIA_WATCH
        await authorize(ctx.db, principal, body.room_id, action)
        node, answer = await router.call(
            body.room_id, "watch", sid=sid, user_id=principal.user_id, room_id=body.room_id,
            name=body.source, sdp=body.sdp, type_=body.type,
        )  # fmt: skip
        homes.add(answer["subscription_id"], node, sid)
        return answer

    @ctx.realtime.event("media:unpublish", PublicationIn)
    async def unpublish(sid: str, body: PublicationIn) -> Reply:
        pub_id = body.publication_id
        await router.call_at(homes.node(pub_id, router.node), "unpublish", sid=sid, peer_id=pub_id)
        homes.pop(pub_id)
        return {}

    @ctx.realtime.event("media:unwatch", SubscriptionIn)
    async def unwatch(sid: str, body: SubscriptionIn) -> Reply:
        sub_id = body.subscription_id
        await router.call_at(homes.node(sub_id, router.node), "unwatch", sid=sid, peer_id=sub_id)
        homes.pop(sub_id)
        return {}

    @ctx.realtime.event("media:sources", RoomIn)
    async def sources(sid: str, body: RoomIn) -> Reply:
        await authorize(ctx.db, await principal_of_sid(sio, sid), body.room_id, Action.MEDIA_WATCH)
        _node, live = await router.call(body.room_id, "sources", room_id=body.room_id)
        return {"room_id": body.room_id, **live}

    @ctx.realtime.event("media:layer", LayerIn)
    async def layer(sid: str, body: LayerIn) -> Reply:
        await authorize(ctx.db, await principal_of_sid(sio, sid), body.room_id, Action.MEDIA_PREVIEW)
        _node, answer = await router.call(
            body.room_id,
            "layer",
            room_id=body.room_id,
            subscription_id=body.subscription_id,
            layer=body.layer,
        )
        return answer

    async def announce(room_id: str, name: str, live: bool) -> None:
        payload = {"room_id": room_id, "sources": service.registry.live_names(room_id)}
        await sio.emit("media:sources", payload, room=room_channel(room_id))

    service.registry.add_listener(announce)

    @ctx.realtime.on_disconnect
    async def close_peers(sid: str) -> None:
        """Close a client's peers (in every process) when its connection ends."""
        homes.forget_sid(sid)
        await router.broadcast("disconnect", sid=sid)


class _Homes:
    """Where each peer of this process's clients lives (publication/subscription id -> node)."""

    def __init__(self) -> None:
        self._where: dict[str, tuple[str, str]] = {}

    def add(self, peer_id: str, node: str, sid: str) -> None:
        self._where[peer_id] = (node, sid)

    def node(self, peer_id: str, default: str) -> str:
        return self._where.get(peer_id, (default, ""))[0]

    def pop(self, peer_id: str) -> None:
        self._where.pop(peer_id, None)

    def forget_sid(self, sid: str) -> None:
        for peer_id in [p for p, (_n, s) in self._where.items() if s == sid]:
            del self._where[peer_id]
