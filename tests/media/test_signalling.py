"""media:* events through the real server: permissions, watching, lifecycle, status and metrics."""

from __future__ import annotations

import asyncio
import itertools
from fractions import Fraction
from pathlib import Path

import aiohttp
import pytest

from media.api import SOURCES
from media.source import make_packet
from rooms.api import FLOOR
from rooms.permissions import Role
from server.config import Settings
from tests.support.api import Api
from tests.support.layered_vp8 import load as load_layered
from tests.support.media import make_venue, person, publish, room_with_host, wait_for, watch
from tests.support.server import RunningServer, make_settings, running_server


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "var", media_ice_loopback=True, media_rtp_timeout=1.5)


OFFER_STUB = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"


async def test_only_permitted_roles_publish_and_bad_input_is_refused(server: RunningServer, api: Api) -> None:
    room_id, host = await room_with_host(server, api)
    observer = await person(server, api, room_id, Role.OBSERVER)
    stranger = await person(server, api, None, None)
    base = {"room_id": room_id, "sdp": OFFER_STUB, "type": "offer"}

    presenter = await person(server, api, room_id, Role.PRESENTER)
    venue = await make_venue(server, room_id, presenter.user_id)
    other_venue = await make_venue(server, room_id, host.user_id, name="一小")

    reply = await observer.call("media:publish", {**base, "venue_id": venue})
    assert reply["error"]["code"] == "forbidden" and reply["error"]["event"] == "media:publish"
    reply = await presenter.call("media:publish", {**base, "venue_id": other_venue})
    assert reply["error"]["code"] == "not_venue_presenter"
    reply = await host.call("media:publish", {**base, "venue_id": "nosuchvenue"})
    assert reply["error"]["code"] == "venue_not_found"
    reply = await observer.call("media:publish", {**base, "seat": True})
    assert reply["error"]["code"] == "no_seat"  # a participant may publish a seat only once granted one
    reply = await stranger.call("media:watch", {**base, "source": "venue:v1"})
    assert reply["error"]["code"] == "not_member"
    reply = await host.call("media:publish", {**base, "venue_id": venue, "seat": True})
    assert reply["error"]["code"] == "validation"
    reply = await host.call("media:publish", {**base, "venue_id": venue})
    assert reply["error"]["code"] == "invalid_sdp"  # no media sections
    reply = await observer.call("media:watch", {**base, "source": "venue:nobody"})
    assert reply["error"]["code"] == "source_not_found"
    reply = await observer.call("media:watch", {**base, "source": "../etc"})
    assert reply["error"]["code"] == "invalid_source"
    reply = await observer.call("media:watch", {**base, "source": "preview"})
    assert reply["error"]["code"] == "forbidden"  # the multiview is for moderators
    reply = await observer.call("media:unwatch", {"subscription_id": "nope"})
    assert reply["error"]["code"] == "subscription_not_found"
    for p in (host, observer, stranger, presenter):
        await p.sio.disconnect()


async def test_the_sdp_events_are_flood_guarded(server: RunningServer, api: Api) -> None:
    room_id, host = await room_with_host(server, api)
    base = {"room_id": room_id, "sdp": OFFER_STUB, "type": "offer"}
    # 60 offers sent at once on one connection: past the per-event budget (20 a second) they are refused
    # before anything is parsed or authorized; another event of the same connection still goes through
    for event, extra in (("media:publish", {"venue_id": "v1"}), ("media:watch", {"source": "venue:v1"})):
        replies = await asyncio.gather(*(host.call(event, {**base, **extra}) for _ in range(60)))
        codes = {r["error"]["code"] for r in replies}
        assert "flood" in codes and codes <= {"flood", "venue_not_found", "source_not_found"}, codes
    assert (await host.call("media:sources", {"room_id": room_id}))["ok"] is True
    await host.sio.disconnect()


async def test_watch_status_metrics_publisher_loss_and_republish(server: RunningServer, api: Api) -> None:
    room_id, host = await room_with_host(server, api)
    presenter = await person(server, api, room_id, Role.PRESENTER)
    observers = [await person(server, api, room_id, Role.OBSERVER) for _ in range(2)]

    v1 = await make_venue(server, room_id, presenter.user_id)
    source = f"venue:{v1}"
    for o in observers:
        assert (await o.call("room:join", {"room_id": room_id}))["ok"]
    pub = await publish(presenter, room_id, venue_id=v1)
    assert pub.reply["source"] == source and pub.reply["publication_id"]
    await wait_for(lambda: source in server.app[SOURCES].live_names(room_id))
    assert source in (await observers[0].call("media:sources", {"room_id": room_id}))["sources"]
    await wait_for(
        lambda: all(
            any(e == "media:sources" and source in d["sources"] for e, d in o.events) for o in observers
        )
    )  # pushed to room:{room_id}

    viewers = [(await watch(o, room_id, source))[0] for o in observers]
    await wait_for(lambda: all(len(v.counters) >= 30 for v in viewers), timeout=15)

    status, body = await api.call("GET", f"/api/rooms/{room_id}/media", token=host.token)
    assert status == 200, body
    assert body["publishers"] == 1 and body["viewers"] == 2
    assert body["bytes_in"] > 0 and body["bytes_out"] > 0 and body["keyframe_requests"] >= 1
    [src] = [s for s in body["sources"] if s["source"] == source]
    assert (
        src["source"] == source and src["video_codec"] == "video/VP8" and src["audio_codec"] == "audio/opus"
    )
    status, _ = await api.call("GET", f"/api/rooms/{room_id}/media", token=observers[0].token)
    assert status == 403
    status, text = await api.call("GET", "/metrics")
    metrics = text.decode()
    assert f'moke_media_viewers{{room="{room_id}"}} 2.0' in metrics
    assert f'moke_media_publishers{{room="{room_id}"}} 1.0' in metrics
    assert "moke_media_keyframe_requests_total" in metrics and "moke_media_packets_lost_total" in metrics

    # the publisher's camera stops sending: RTP timeout ends the publication, viewers are told
    for t in pub.pc.getTransceivers():
        t.sender.replaceTrack(None)
    await wait_for(lambda: all(("media:ended", {"room_id": room_id, "source": source, "reason": "rtp timeout"})
                               in o.events for o in observers), timeout=10)  # fmt: skip
    await pub.pc.close()

    # the presenter publishes again: the same viewer connections continue, no renegotiation
    seen = [len(v.counters) for v in viewers]
    pub2 = await publish(presenter, room_id, venue_id=v1)
    await wait_for(
        lambda: all(len(v.counters) >= n + 30 for v, n in zip(viewers, seen, strict=True)), timeout=15
    )
    for v in viewers:
        assert v.counters[-1][1] < 200  # the new camera's counter, restarted from 0

    # a publisher whose Socket.IO connection drops is detected too
    await presenter.sio.disconnect()
    await wait_for(lambda: all(sum(e == "media:ended" for e, _ in o.events) == 2 for o in observers))
    await pub2.pc.close()
    for v in viewers:
        await v.close()
    for o in observers:
        await o.sio.disconnect()
    await host.sio.disconnect()


async def test_moderators_pin_a_viewer_or_the_whole_room_to_a_temporal_layer(
    server: RunningServer, api: Api
) -> None:
    room_id, host = await room_with_host(server, api)
    moderator = await person(server, api, room_id, Role.MODERATOR)
    observers = [await person(server, api, room_id, Role.OBSERVER) for _ in range(2)]
    venue = await make_venue(server, room_id, host.user_id)
    pub = await publish(host, room_id, venue_id=venue)
    watched = [await watch(o, room_id, f"venue:{venue}", audio=False) for o in observers]
    first, second = (reply["subscription_id"] for _, reply in watched)

    reply = await observers[0].call("media:layer", {"room_id": room_id, "subscription_id": first, "layer": 0})
    assert reply["error"]["code"] == "forbidden"
    reply = await moderator.call("media:layer", {"room_id": room_id, "subscription_id": "nobody", "layer": 0})
    assert reply["error"]["code"] == "subscription_not_found"
    reply = await moderator.call("media:layer", {"room_id": room_id, "layer": 3})
    assert not reply["ok"]  # layers are 0, 1, 2
    reply = await moderator.call("media:layer", {"room_id": room_id, "layer": 2})  # the district's projector
    assert reply == {"ok": True, "room_id": room_id, "subscription_id": None, "layer": 2}
    reply = await moderator.call("media:layer", {"room_id": room_id, "subscription_id": first, "layer": 0})
    assert reply["ok"], reply

    async def layers() -> tuple[dict[str, object], dict[str, dict[str, object]]]:
        status, body = await api.call("GET", f"/api/rooms/{room_id}/media", token=host.token)
        assert status == 200, body
        [src] = [s for s in body["sources"] if s["source"] == f"venue:{venue}"]
        return body, {v["subscription_id"]: v for v in src["viewer_layers"]}

    body, viewers = await layers()
    assert body["layer_pin"] == 2
    assert (viewers[first]["pin"], viewers[first]["room_pin"], viewers[first]["target"]) == (0, 2, 0)
    assert (viewers[second]["pin"], viewers[second]["target"]) == (None, 2)  # the room's layer
    assert viewers[first]["user_id"] == observers[0].user_id
    # a late viewer gets the room's pin too; unpinning the room leaves the viewer's own pin
    late = await person(server, api, room_id, Role.OBSERVER)
    _, reply = await watch(late, room_id, f"venue:{venue}", audio=False)
    await moderator.call("media:layer", {"room_id": room_id, "layer": None})
    body, viewers = await layers()
    assert body["layer_pin"] is None and viewers[first]["target"] == 0
    assert viewers[reply["subscription_id"]]["room_pin"] is None
    # an aiortc publisher sends one layer: nothing is dropped, the per-layer gauge counts no one
    assert (await layers())[0]["viewers_per_layer"] == {"0": 0, "1": 0, "2": 0}
    _, text = await api.call("GET", "/metrics")
    assert f'moke_media_viewer_layer{{layer="0",room="{room_id}"}} 0.0' in text.decode()
    assert f'moke_media_layer_switches_total{{room="{room_id}"}}' in text.decode()
    await pub.pc.close()
    for viewer, _ in watched:
        await viewer.close()


async def test_viewers_of_a_layered_source_are_counted_per_layer_in_status_and_metrics(
    server: RunningServer, api: Api
) -> None:
    """Chromium's recorded L1T3 frames fed into a venue source of the running server; an aiortc viewer watches
    through media:watch; the host pins the room to layer 0."""
    room_id, host = await room_with_host(server, api)
    observer = await person(server, api, room_id, Role.OBSERVER)
    venue = await make_venue(server, room_id, host.user_id)
    source = server.app[SOURCES].ensure(room_id, f"venue:{venue}")
    source.video.attach("video/VP8", None)
    frames = load_layered()
    viewer, _ = await watch(observer, room_id, f"venue:{venue}", audio=False)

    async def feed() -> None:
        for f in itertools.cycle(frames):  # the first is the keyframe the viewer waits for
            source.video.push(make_packet(f.data, f.timestamp, Fraction(1, 90000)), f.keyframe, f.tid, f.sync)
            await asyncio.sleep(1 / 30)

    feeding = asyncio.ensure_future(feed())
    try:

        async def per_layer() -> dict[str, int]:
            _, body = await api.call("GET", f"/api/rooms/{room_id}/media", token=host.token)
            [src] = [s for s in body["sources"] if s["source"] == f"venue:{venue}"]
            assert src["temporal_layers"] == 3
            return dict(body["viewers_per_layer"])

        await asyncio.sleep(0.5)
        assert await per_layer() == {"0": 0, "1": 0, "2": 1}
        assert (await host.call("media:layer", {"room_id": room_id, "layer": 0}))["ok"]
        assert await per_layer() == {"0": 1, "1": 0, "2": 0}
        _, text = await api.call("GET", "/metrics")
        assert f'moke_media_viewer_layer{{layer="0",room="{room_id}"}} 1.0' in text.decode()
        assert f'moke_media_layer_switches_total{{room="{room_id}"}} 1.0' in text.decode()
    finally:
        feeding.cancel()
        await viewer.close()


async def test_discussion_seat_holders_see_and_hear_each_other(server: RunningServer, api: Api) -> None:
    room_id, host = await room_with_host(server, api)
    moderator = await person(server, api, room_id, Role.MODERATOR)
    teacher = await person(server, api, room_id, Role.OBSERVER)
    await server.app[FLOOR].grant(room_id, teacher.user_id)  # the floor service of the rooms package
    people = [host, moderator, teacher]
    pubs = [await publish(p, room_id, seat=True) for p in people]
    names = [f"seat:{p.user_id}" for p in people]
    assert [pub.reply["source"] for pub in pubs] == names
    viewers = []
    for p in people:
        for name in names:
            if name != f"seat:{p.user_id}":
                viewers.append((await watch(p, room_id, name))[0])
    assert len(viewers) == 6
    await wait_for(
        lambda: all(len(v.counters) >= 15 and len(v.audio_frames) >= 20 for v in viewers), timeout=20
    )

    # the teacher's seat is taken back on the floor: their publication ends and its viewers are told
    await server.app[FLOOR].revoke(room_id, teacher.user_id)
    ended = (
        "media:ended",
        {"room_id": room_id, "source": f"seat:{teacher.user_id}", "reason": "seat revoked"},
    )
    await wait_for(lambda: ended in moderator.events and ended in teacher.events, timeout=10)
    for v in viewers:
        await v.close()
    for pub in pubs:
        await pub.pc.close()
    for p in people:
        await p.sio.disconnect()


async def test_a_shared_screen_is_a_source_of_its_own_for_hosts_presenters_and_seat_holders(
    server: RunningServer, api: Api
) -> None:
    """课件演示: ``screen:<user_id>``, forwarded like any source; only the host, a presenter or a seat
    holder may share, and a seat holder's share ends with their seat."""
    room_id, host = await room_with_host(server, api)
    presenter = await person(server, api, room_id, Role.PRESENTER)
    observer = await person(server, api, room_id, Role.OBSERVER)
    editor = await person(server, api, room_id, Role.EDITOR)
    stranger = await person(server, api, None, None)
    base = {"room_id": room_id, "sdp": OFFER_STUB, "type": "offer", "screen": True}
    for who in (observer, editor):  # no seat: refused with a reason the client can show
        reply = await who.call("media:publish", base)
        assert reply["error"]["code"] == "screen_not_allowed", reply
        assert "seat" in reply["error"]["message"] and reply["error"]["event"] == "media:publish"
    reply = await stranger.call("media:publish", base)
    assert reply["error"]["code"] == "not_member"
    reply = await host.call("media:publish", {**base, "seat": True})
    assert reply["error"]["code"] == "validation"  # one target per publication
    reply = await host.call("media:publish", base)
    assert reply["error"]["code"] == "invalid_sdp"  # allowed: the stub offer has no media sections

    # the presenter shares without a seat or a venue; observers list it and watch it
    screen = f"screen:{presenter.user_id}"
    shared = await publish(presenter, room_id, screen=True)
    assert shared.reply["source"] == screen
    viewer, _ = await watch(observer, room_id, screen)
    await wait_for(lambda: len(viewer.counters) >= 15 and len(viewer.audio_frames) >= 10, timeout=20)
    assert screen in (await observer.call("media:sources", {"room_id": room_id}))["sources"]
    assert [c for _, c in viewer.counters] == sorted(c for _, c in viewer.counters)  # forwarded in order

    # an observer granted a seat may share; when the seat is taken back the share ends
    await server.app[FLOOR].grant(room_id, observer.user_id)
    seated = await publish(observer, room_id, screen=True)
    assert seated.reply["source"] == f"screen:{observer.user_id}"
    watcher, _ = await watch(editor, room_id, f"screen:{observer.user_id}")
    await wait_for(lambda: len(watcher.counters) >= 5, timeout=20)
    await server.app[FLOOR].revoke(room_id, observer.user_id)
    ended = (
        "media:ended",
        {"room_id": room_id, "source": f"screen:{observer.user_id}", "reason": "seat revoked"},
    )
    await wait_for(lambda: ended in editor.events and ended in observer.events, timeout=10)
    # the presenter's share does not depend on a seat and goes on until they stop it
    count = len(viewer.counters)
    await wait_for(lambda: len(viewer.counters) >= count + 10, timeout=10)
    reply = await presenter.call("media:unpublish", {"publication_id": shared.reply["publication_id"]})
    assert reply["ok"], reply
    gone = ("media:ended", {"room_id": room_id, "source": screen, "reason": "unpublished"})
    await wait_for(lambda: gone in observer.events)
    for v in (viewer, watcher):
        await v.close()
    for pub in (shared, seated):
        await pub.pc.close()
    for p in (host, presenter, observer, editor, stranger):
        await p.sio.disconnect()


async def test_shutdown_closes_every_peer_connection(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "var", media_ice_loopback=True)
    async with running_server(settings) as server, aiohttp.ClientSession() as session:
        api = Api(session, server.url)
        room_id, host = await room_with_host(server, api)
        venue = await make_venue(server, room_id, host.user_id)
        pub = await publish(host, room_id, venue_id=venue)
        observer = await person(server, api, room_id, Role.OBSERVER)
        viewer, _ = await watch(observer, room_id, f"venue:{venue}")
        await wait_for(lambda: len(viewer.counters) > 5)
        from media.api import MEDIA

        service = server.app[MEDIA]
        pcs = [p.pc for p in [*service.publishers.values(), *service.viewers.values()]]
        assert len(pcs) == 2
    assert all(pc.connectionState == "closed" for pc in pcs)
    assert not service.publishers and not service.viewers
    await viewer.close()
    await pub.pc.close()
