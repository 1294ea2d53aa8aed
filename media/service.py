"""The media plane of one server process: publications, subscriptions, their lifecycle and stats.

Signalling (``media.signalling``) and REST (``media.routes``) call into :class:`MediaService`;
permissions are checked there, the service only enforces what is about the media itself
(one live publisher per source, source exists, viewer limit). It owns every peer connection
and closes them all in :meth:`stop`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from media.ice import IceServers, announce_address, parse_announced_address, parse_port_range
from media.layers import TOP
from media.registry import MediaSource, SourceRegistry
from server.cluster import TaskGroup
from server.config import Settings
from server.errors import Conflict, NotFound, Unavailable

# aiortc and PyAV (about 26 MB resident) are imported by the first publication or subscription: an idle
# process, or one that only chats and co-edits, never loads them (tests/server/test_app.py checks it).
if TYPE_CHECKING:
    from aiortc import RTCSessionDescription

    from media.peers import Peer, PublisherPeer, ViewerPeer

log = logging.getLogger(__name__)

# (sid, event, payload): how the service tells one client something
Notify = Callable[[str, str, dict[str, object]], Awaitable[None]]
StillAllowed = Callable[[], Awaitable[bool]]


@dataclass
class RoomTotals:
    """Counters of peers that are gone, so room totals never go backwards."""

    bytes_out: int = 0
    retransmits: int = 0
    packets_lost: int = 0
    packets_received: int = 0


@dataclass
class Rate:
    """Bit rate over the last sampling window."""

    last_bytes: int = 0
    last_time: float = field(default_factory=time.monotonic)
    bps: float = 0.0

    def sample(self, total: int, now: float) -> None:
        elapsed = now - self.last_time
        if elapsed > 0:
            self.bps = max(0, total - self.last_bytes) * 8 / elapsed
        self.last_bytes, self.last_time = total, now


class MediaService:
    """Owns every media peer connection of this process."""

    SAMPLE_SECONDS = 2.0

    def __init__(
        self, settings: Settings, registry: SourceRegistry, notify: Notify, tasks: TaskGroup | None = None
    ) -> None:
        self.settings = settings
        self.tasks = tasks if tasks is not None else TaskGroup("media")
        self.registry = registry
        self.notify = notify
        self.announced_address = parse_announced_address(settings.media_announced_address)
        self.udp_ports = parse_port_range(settings.media_udp_ports)
        self.ice = IceServers.from_settings(
            settings.media_ice_servers,
            settings.media_turn_urls,
            settings.media_turn_secret,
            settings.media_turn_ttl,
        )
        self.publishers: dict[str, PublisherPeer] = {}
        self.viewers: dict[str, ViewerPeer] = {}
        self.sid_of: dict[str, str] = {}  # peer id -> Socket.IO sid
        self.rechecks: dict[str, StillAllowed] = {}  # publication id -> permission re-check
        self.totals: dict[str, RoomTotals] = {}
        self.rates_in: dict[tuple[str, str], Rate] = {}
        self.rates_out: dict[tuple[str, str], Rate] = {}
        self.room_layer_pins: dict[str, int] = {}  # a moderator's temporal layer for a whole room
        self._sampler: asyncio.Task[None] | None = None
        self._hooked = False  # the process-wide aioice hooks are installed (by the first peer)
        self.stopped = False

    # ---- lifecycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        self._sampler = self.tasks.spawn(self._sample_forever(), name="media-sampler")

    def _hook_aioice(self) -> None:
        """Before the first peer connection: loopback candidates and the UDP port range, process-wide."""
        if self._hooked:
            return
        from media import aiortc_hooks

        if self.settings.media_ice_loopback:
            aiortc_hooks.use_loopback_candidates(True)
        if self.udp_ports is not None:
            aiortc_hooks.use_port_range(self.udp_ports)
        self._hooked = True

    async def stop(self) -> None:
        """Close every peer connection (viewers first, so none waits on a closing publisher)."""
        self.stopped = True
        if self._sampler is not None:
            self._sampler.cancel()
            await asyncio.gather(self._sampler, return_exceptions=True)
        peers: list[Peer] = [*self.viewers.values(), *self.publishers.values()]
        await asyncio.gather(*(p.close("server shutdown") for p in peers), return_exceptions=True)
        self.registry.close()
        await self.tasks.close()
        if self._hooked and self.udp_ports is not None:
            from media import aiortc_hooks

            aiortc_hooks.use_port_range(None)
        log.info("media stopped: closed %d peer connections", len(peers))

    # ---- publishing ----------------------------------------------------------------------------
    async def publish(
        self,
        sid: str,
        user_id: int,
        room_id: str,
        name: str,
        sdp: str,
        type_: str,
        *,
        still_allowed: StillAllowed | None = None,
    ) -> tuple[RTCSessionDescription, str]:
        """Answer a publisher's offer for source ``name``; a re-publish by the same user replaces.

        ``still_allowed`` is re-checked every few seconds (a seat revoked ends the publication)."""
        self._check_running()
        self._hook_aioice()
        from media.peers import PublisherPeer, parse_offer

        offer = parse_offer(sdp, type_)
        source = self.registry.ensure(room_id, name)
        current = _publisher(source.owner)
        if current is not None and not current.closed and current.user_id != user_id:
            raise Conflict(f"{name} is already being published by someone else", code="already_published")
        peer = PublisherPeer(
            source,
            self.ice.for_server(),
            self._peer_ended,
            user_id=user_id,
            rtp_timeout=self.settings.media_rtp_timeout,
            on_live=self._publisher_live,
            tasks=self.tasks.child("publisher"),
        )
        if still_allowed is not None:
            self.rechecks[peer.id] = still_allowed
        source.owner = peer  # before closing the old one: viewers stay, no "ended" in between
        if current is not None:
            await current.close("replaced by a new publication")
        self.publishers[peer.id] = peer
        self.sid_of[peer.id] = sid
        answer = self._announced(await peer.answer(offer))
        log.info("publish room=%s source=%s user=%s publication=%s", room_id, name, user_id, peer.id)
        return answer, peer.id

    async def _publisher_live(self, peer: PublisherPeer) -> None:
        await self.registry.notify(peer.source.room_id, peer.source.name, True)

    # ---- watching ------------------------------------------------------------------------------
    async def watch(
        self, sid: str, user_id: int, room_id: str, name: str, sdp: str, type_: str
    ) -> tuple[RTCSessionDescription, str]:
        """Answer a viewer's offer with the named source's tracks."""
        self._check_running()
        source = self.registry.get(room_id, name)
        if source is None:
            raise NotFound(f"no media source {name!r} in this room", code="source_not_found")
        self._hook_aioice()
        from media.peers import ViewerPeer, parse_offer

        offer = parse_offer(sdp, type_)
        if len(self.viewers) >= self.settings.media_max_viewers:
            raise Unavailable("this server has reached its viewer limit", code="viewer_limit")
        peer = ViewerPeer(
            source, self.ice.for_server(), self._peer_ended, user_id=user_id, tasks=self.tasks.child("viewer")
        )
        self.viewers[peer.id] = peer
        self.sid_of[peer.id] = sid
        answer = self._announced(await peer.answer(offer))
        peer.pin_layer(None, self.room_layer_pins.get(room_id))
        log.info("watch room=%s source=%s user=%s subscription=%s", room_id, name, user_id, peer.id)
        return answer, peer.id

    def _announced(self, answer: RTCSessionDescription) -> RTCSessionDescription:
        """The answer as clients must see it: the public address in place of ours behind a 1:1 NAT."""
        if self.announced_address is None:
            return answer
        from aiortc import RTCSessionDescription

        return RTCSessionDescription(
            sdp=announce_address(answer.sdp, self.announced_address), type=answer.type
        )

    def pin_layer(self, room_id: str, subscription_id: str | None, layer: int | None) -> None:
        """Pin one viewer (``subscription_id``) or the whole room to a temporal layer; None unpins
        (the viewer's own estimate decides again). A viewer's own pin wins over the room's."""
        if subscription_id is not None:
            peer = self.viewers.get(subscription_id)
            if peer is None or peer.source.room_id != room_id:
                raise NotFound("no such viewer in this room", code="subscription_not_found")
            peer.pin_layer(layer, self.room_layer_pins.get(room_id))
            return
        if layer is None:
            self.room_layer_pins.pop(room_id, None)
        else:
            self.room_layer_pins[room_id] = layer
        for peer in self.viewers.values():
            if peer.source.room_id == room_id:
                peer.pin_layer(peer.layer_pin, layer)

    # ---- ending --------------------------------------------------------------------------------
    async def unpublish(self, sid: str, publication_id: str) -> None:
        peer = self.publishers.get(publication_id)
        if peer is None or self.sid_of.get(publication_id) != sid:
            raise NotFound("no such publication on this connection", code="publication_not_found")
        await peer.close("unpublished")

    async def unwatch(self, sid: str, subscription_id: str) -> None:
        peer = self.viewers.get(subscription_id)
        if peer is None or self.sid_of.get(subscription_id) != sid:
            raise NotFound("no such subscription on this connection", code="subscription_not_found")
        await peer.close("unwatched")

    async def disconnect(self, sid: str) -> None:
        """The client's Socket.IO connection went away: close its peers."""
        mine = [pid for pid, s in self.sid_of.items() if s == sid]
        peers: list[Peer] = [
            p for pid in mine for p in (self.publishers.get(pid), self.viewers.get(pid)) if p
        ]
        await asyncio.gather(*(p.close("client disconnected") for p in peers), return_exceptions=True)

    async def _peer_ended(self, peer: Peer, reason: str) -> None:
        totals = self.totals.setdefault(peer.source.room_id, RoomTotals())
        from media.peers import PublisherPeer, ViewerPeer  # a peer ended: loaded by its creation

        sid = self.sid_of.pop(peer.id, None)
        if isinstance(peer, ViewerPeer):
            self.viewers.pop(peer.id, None)
            totals.bytes_out += sum(t.bytes_sent for t in peer.tracks)
            totals.retransmits += sum(t.retransmits for t in peer.tracks)
            return
        assert isinstance(peer, PublisherPeer)
        self.publishers.pop(peer.id, None)
        self.rechecks.pop(peer.id, None)
        stats = peer.stats()
        totals.packets_lost += stats["packets_lost"]
        totals.packets_received += stats["packets_received"]
        if peer.source.owner is not None or self.stopped:
            return  # replaced by a new publication of the same source, or shutting down
        room_id, name = peer.source.room_id, peer.source.name
        await self.registry.notify(room_id, name, False)
        payload: dict[str, object] = {"room_id": room_id, "source": name, "reason": reason}
        targets = {
            self.sid_of[v.id]
            for v in self.viewers.values()
            if v.source is peer.source and v.id in self.sid_of
        }
        if sid is not None and reason not in ("unpublished", "client disconnected"):
            targets.add(sid)
        await asyncio.gather(
            *(self.notify(t, "media:ended", payload) for t in targets), return_exceptions=True
        )

    def _check_running(self) -> None:
        if self.stopped:
            raise Unavailable("the media service is shutting down", code="shutting_down")

    # ---- observability -------------------------------------------------------------------------
    async def _sample_forever(self) -> None:
        while True:
            await asyncio.sleep(self.SAMPLE_SECONDS)
            self.sample_rates()
            await self.recheck_publishers()

    async def recheck_publishers(self) -> None:
        """End publications whose permission is gone (a seat revoked on the floor)."""
        for pub_id, check in list(self.rechecks.items()):
            peer = self.publishers.get(pub_id)
            try:
                allowed = await check()
            except Exception:
                log.exception("permission re-check failed for publication %s", pub_id)
                continue
            if peer is not None and not allowed:
                await peer.close("seat revoked")

    def sample_rates(self) -> None:
        now = time.monotonic()
        out: dict[tuple[str, str], int] = {}
        for v in self.viewers.values():
            key = (v.source.room_id, v.source.name)
            out[key] = out.get(key, 0) + sum(t.bytes_sent for t in v.tracks)
        for room_id in self.registry.rooms():
            for src in self.registry.in_room(room_id):
                key = (room_id, src.name)
                self.rates_in.setdefault(key, Rate()).sample(src.video.bytes_in + src.audio.bytes_in, now)
                # live viewers only: a leaving viewer makes the window's total drop, clamped at 0
                self.rates_out.setdefault(key, Rate()).sample(out.get(key, 0), now)

    def source_status(self, src: MediaSource) -> dict[str, object]:
        key = (src.room_id, src.name)
        viewers = [v for v in self.viewers.values() if v.source is src]
        owner = _publisher(src.owner)
        return {
            "source": src.name,
            "live": src.live,
            "publisher_user_id": src.publisher_user_id,
            "video_codec": src.video.codec,
            "audio_codec": src.audio.codec,
            "viewers": len(viewers),
            "bitrate_in": round(self.rates_in[key].bps) if key in self.rates_in else 0,
            "bitrate_out": round(self.rates_out[key].bps) if key in self.rates_out else 0,
            "frames_in": src.video.frames_in + src.audio.frames_in,
            "keyframe_requests": src.video.keyframe_requests,
            "keyframe_reasks": src.video.keyframe_reasks,
            "keyframes_in": src.video.keyframes_in,
            "packets_lost": owner.stats()["packets_lost"] if owner else 0,
            "publisher_nacked": owner.stats()["nacked"] if owner else 0,
            "publisher_rtx_received": owner.stats()["rtx_received"] if owner else 0,
            "publisher_gaps": owner.stats()["frames_given_up"] if owner else 0,
            "dropped_frames": sum(t.reader.dropped for v in viewers for t in v.tracks),
            "viewer_nacked": sum(t.nacked for v in viewers for t in v.tracks),
            "retransmits": sum(t.retransmits for v in viewers for t in v.tracks),
            "temporal_layers": sum(1 for b in src.video.layer_bytes if b),
            "viewer_layers": [
                {"subscription_id": v.id, "user_id": v.user_id, **t.layer_status()}
                for v in viewers
                for t in v.tracks
                if t.kind == "video"
            ],
        }

    def room_status(self, room_id: str) -> dict[str, object]:
        sources = [
            self.source_status(s) for s in sorted(self.registry.in_room(room_id), key=lambda s: s.name)
        ]
        totals = self.totals.get(room_id, RoomTotals())
        live_pubs = [p for p in self.publishers.values() if p.source.room_id == room_id]
        live_viewers = [v for v in self.viewers.values() if v.source.room_id == room_id]
        per_layer = {str(layer): 0 for layer in range(TOP + 1)}  # video viewers of layered sources
        for s in sources:
            if s["temporal_layers"]:
                for v in s["viewer_layers"]:  # type: ignore[attr-defined]
                    per_layer[str(v["layer"])] += 1
        return {
            "room_id": room_id,
            "publishers": len(live_pubs),
            "viewers": len(live_viewers),
            "bitrate_in": sum(int(s["bitrate_in"]) for s in sources),  # type: ignore[call-overload]
            "bitrate_out": sum(int(s["bitrate_out"]) for s in sources),  # type: ignore[call-overload]
            "bytes_in": sum(s.video.bytes_in + s.audio.bytes_in for s in self.registry.in_room(room_id)),
            "bytes_out": totals.bytes_out + sum(t.bytes_sent for v in live_viewers for t in v.tracks),
            "keyframe_requests": sum(s.video.keyframe_requests for s in self.registry.in_room(room_id)),
            "packets_lost": totals.packets_lost + sum(p.stats()["packets_lost"] for p in live_pubs),
            "retransmits": totals.retransmits + sum(t.retransmits for v in live_viewers for t in v.tracks),
            "layer_pin": self.room_layer_pins.get(room_id),
            "viewers_per_layer": per_layer,
            "layer_switches": sum(t.layers.switches for v in live_viewers for t in v.tracks),
            "sources": sources,
        }


def _publisher(owner: object | None) -> PublisherPeer | None:
    """A source's publisher peer. Only a publisher peer sets ``owner``, so aiortc is loaded when it is set."""
    if owner is None:
        return None
    from media.peers import PublisherPeer

    return owner if isinstance(owner, PublisherPeer) else None
