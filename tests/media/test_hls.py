"""HLS (大规模直播): the program across a hand-off as H.264 fMP4 that PyAV plays, cache headers, grants,
retention, and H.264 remuxed without transcoding."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from fractions import Fraction
from pathlib import Path

import aiohttp
import av
import pytest

from media.api import HLS, PROGRAM_MEDIA
from media.hls import INIT, PLAYLIST, Packager
from media.hls_routes import SEGMENT_CACHE, sign
from media.registry import SourceRegistry
from server.config import Settings
from tests.support.api import Api
from tests.support.media import wait_for
from tests.support.program_clients import classify
from tests.support.server import RunningServer, make_settings, running_server
from tests.support.venues import command, showcase
from tests.support.venues import person as venue_person
from tests.support.venues import publish as publish_venue

FPS = 15


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "var", media_ice_loopback=True)


def segments_of(playlist: str) -> list[str]:
    return [line for line in playlist.splitlines() if line and not line.startswith("#")]


def seconds(frame: av.VideoFrame) -> float:
    assert frame.pts is not None and frame.time_base is not None
    return float(frame.pts * frame.time_base)


def decode_colours(path: Path) -> list[tuple[float, str]]:
    """(seconds, colour) of every video frame of an fMP4 file (init segment and media segments)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        return [(seconds(f), classify(f)) for f in container.decode(stream)]


def audio_seconds(path: Path) -> tuple[str, float]:
    """The audio codec of an fMP4 file and the seconds of sound it decodes to."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        samples = sum(f.samples for f in container.decode(stream))
        return stream.codec_context.name, samples / 48000


def decode_playlist(url: str, frames: int) -> list[tuple[float, str]]:
    """The first ``frames`` frames PyAV (ffmpeg's HLS demuxer) plays from the live playlist's start."""
    out: list[tuple[float, str]] = []
    with av.open(url, options={"live_start_index": "0"}) as container:
        for f in container.decode(video=0):
            out.append((seconds(f), classify(f)))
            if len(out) >= frames:
                break
    return out


@pytest.mark.parametrize("codec", ["video/VP8", "video/H264"])
async def test_the_program_is_published_as_hls_across_a_hand_off(tmp_path: Path, codec: str) -> None:
    """A VP8 program (the default) is encoded once as H.264; an H.264 program is remuxed as it is."""
    settings = make_settings(tmp_path / "var", media_ice_loopback=True, media_program_codec=codec)
    async with running_server(settings) as server, aiohttp.ClientSession() as session:
        await hand_off_over_hls(server, Api(session, server.url), settings, codec)


async def hand_off_over_hls(server: RunningServer, api: Api, settings: Settings, codec: str) -> None:
    show = await showcase(api, server.url, ("red", "green"))
    await publish_venue(show, "red", fps=FPS, codec=codec)
    await publish_venue(show, "green", fps=FPS, codec=codec)
    moderator = await venue_person(api, server.url, show, "moderator")
    r = await command(moderator, "venue:switch", show.room_id, venue_id=show.venues["red"], epoch=0)
    assert r["ok"], r
    base = f"/api/rooms/{show.room_id}/hls"
    status, body = await api.call("GET", f"{base}/program", token=show.host["token"])
    assert status == 409 and body["error"]["code"] == "hls_off", body  # not on yet

    status, hls = await api.call("POST", base, token=show.host["token"], json={"source": "program"})
    assert status == 200, hls
    told = await moderator.wait_for("media:hls", lambda d: d["on"])  # clients switch to the HLS path
    assert told == {"room_id": show.room_id, "source": "program", "on": True}
    assert hls["url"].endswith("/program/playlist.m3u8")
    assert hls["transcoded"] == (codec == "video/VP8")  # VP8: encoded once as H.264; H.264: remuxed
    packager = server.app[HLS].get(show.room_id, "program")
    assert packager is not None
    await wait_for(lambda: packager.stats.frames >= 2 * FPS, timeout=30)  # red for two seconds
    r = await command(moderator, "venue:switch", show.room_id, venue_id=show.venues["green"], epoch=1)
    assert r["ok"], r
    before = packager.stats.frames
    await wait_for(lambda: packager.stats.frames >= before + 3 * FPS, timeout=30)  # green for three

    # any member gets the same link (one cache entry per segment for the whole audience)
    observer = await venue_person(api, server.url, show, "observer")
    status, grant = await api.call("GET", f"{base}/program", token=observer.token)
    assert status == 200 and grant["url"] == hls["url"], grant

    async with aiohttp.ClientSession() as http:
        async with http.get(server.url + hls["url"]) as resp:
            assert resp.status == 200 and resp.headers["Cache-Control"] == "public, max-age=1"
            assert resp.content_type == "application/vnd.apple.mpegurl"
            playlist = await resp.text()
        assert "#EXT-X-DISCONTINUITY" not in playlist  # one timeline across the hand-off
        assert "#EXT-X-INDEPENDENT-SEGMENTS" in playlist
        init = re.search(r'#EXT-X-MAP:URI="([^"]+)"', playlist)
        assert init is not None
        folder = server.url + hls["url"].rsplit("/", 1)[0] + "/"
        data = b""
        for name in [init[1], *segments_of(playlist)]:
            async with http.get(folder + name) as resp:
                assert resp.status == 200, name
                assert resp.headers["Cache-Control"] == SEGMENT_CACHE
                assert "Authorization" not in resp.request_info.headers  # the grant in the path is enough
                data += await resp.read()
    stream_file = settings.data_dir / "hls-copy.mp4"
    stream_file.write_bytes(data)
    frames = await asyncio.to_thread(decode_colours, stream_file)
    colours = [c for _, c in frames]
    runs = [c for i, c in enumerate(colours) if i == 0 or colours[i - 1] != c]
    assert runs == ["red", "green"], runs  # both venues, in order, never a mixed frame
    times = [t for t, _ in frames]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) > 0, "time went back or stood still"
    cut = colours.index("green")
    assert times[cut] - times[cut - 1] <= 3 / FPS, "a jump at the hand-off"
    assert max(gaps) < 0.5, max(gaps)  # a loaded machine may drop a frame, never seconds
    codec, sound = await asyncio.to_thread(audio_seconds, stream_file)
    assert codec == "aac" and abs(sound - (times[-1] - times[0])) < 1.0, sound  # the venues' tone follows

    # ffmpeg's own HLS client plays the live playlist from its first segment
    played = await asyncio.to_thread(decode_playlist, server.url + hls["url"], len(frames) - FPS)
    assert [c for i, (_, c) in enumerate(played) if i == 0 or played[i - 1][1] != c] == ["red", "green"]

    _, metrics = await api.call("GET", "/metrics")
    text = metrics.decode()
    room = f'room="{show.room_id}"'
    served = re.search(rf'moke_hls_requests_total{{kind="segment",{room}}} (\S+)', text)
    assert served is not None and float(served[1]) >= len(segments_of(playlist)) + 1, text
    written = re.search(rf'moke_hls_segments_total{{{room},source="program"}} (\S+)', text)
    assert written is not None and float(written[1]) >= len(segments_of(playlist)), text
    assert f'moke_hls_cpu_seconds_total{{{room},source="program"}}' in text

    status, _ = await api.call("DELETE", f"{base}/program", token=show.host["token"])
    assert status == 204
    status, body = await api.call("GET", hls["url"])
    assert status == 404 and body["error"]["code"] == "hls_off"
    assert not packager.directory.exists()  # its files go with it
    assert packager.stats.cpu_seconds > 0
    for pc in show.pcs.values():
        await pc.close()


async def test_hls_is_authorised_per_room_by_a_grant_in_the_path(server: RunningServer, api: Api) -> None:
    show = await showcase(api, server.url, ("red",))
    await publish_venue(show, "red", fps=FPS)
    moderator = await venue_person(api, server.url, show, "moderator")
    r = await command(moderator, "venue:switch", show.room_id, venue_id=show.venues["red"], epoch=0)
    assert r["ok"], r
    base = f"/api/rooms/{show.room_id}/hls"
    observer = await venue_person(api, server.url, show, "observer")
    status, body = await api.call("POST", base, token=observer.token, json={})
    assert status == 403, body  # only hosts and moderators turn 大规模直播 on
    status, hls = await api.call("POST", base, token=moderator.token, json={})
    assert status == 200 and hls["source"] == "program", hls
    stranger = await api.register()
    status, body = await api.call("GET", f"{base}/program", token=stranger["token"])
    assert status == 403 and body["error"]["code"] == "not_member", body
    status, body = await api.call("GET", f"{base}/program")
    assert status == 401, body

    url: str = hls["url"]
    expires, _, signature = url.split("/")[4].partition(".")
    forged = url.replace(signature, signature[::-1])
    status, body = await api.call("GET", forged)
    assert status == 403 and body["error"]["code"] == "hls_grant_invalid", body
    other_room = url.replace(show.room_id, "x" + show.room_id[1:])
    status, body = await api.call("GET", other_room)
    assert status == 403 and body["error"]["code"] == "hls_grant_invalid", body  # a grant opens one room
    past = int(time.time()) - 10
    secret = server.ctx.settings.secret_key
    expired = url.replace(f"{expires}.{signature}", f"{past}.{sign(secret, show.room_id, 'program', past)}")
    status, body = await api.call("GET", expired)
    assert status == 401 and body["error"]["code"] == "hls_grant_expired", body

    # the program feed freed (the room is over): its packager ends and its files go
    packager = server.app[HLS].get(show.room_id, "program")
    assert packager is not None
    await wait_for(lambda: packager.playlist.exists(), timeout=30)
    await server.app[PROGRAM_MEDIA].release(show.room_id)
    await wait_for(
        lambda: server.app[HLS].get(show.room_id, "program") is None and not packager.directory.exists()
    )
    status, body = await api.call("GET", url)
    assert status == 404 and body["error"]["code"] == "hls_off", body
    for pc in show.pcs.values():
        await pc.close()


def vp8_or_h264_packets(codec: str, seconds: float) -> list[tuple[av.Packet, bool]]:
    """Encoded frames of a colour bar at FPS in 90 kHz, keyframe every second (what a publisher sends)."""
    enc = av.CodecContext.create("libvpx" if codec == "vp8" else "libx264", "w")
    assert isinstance(enc, av.VideoCodecContext)
    enc.width, enc.height, enc.pix_fmt = 160, 120, "yuv420p"
    enc.time_base, enc.framerate = Fraction(1, 90000), Fraction(FPS)
    enc.gop_size = FPS
    enc.options = {"deadline": "realtime"} if codec == "vp8" else {"tune": "zerolatency", "bf": "0"}
    out: list[tuple[av.Packet, bool]] = []
    for i in range(round(seconds * FPS)):
        frame = av.VideoFrame(160, 120, "yuv420p")
        for plane, value in zip(frame.planes, (81, 90, 240), strict=True):  # red
            plane.update(bytes([value]) * plane.buffer_size)
        frame.pts, frame.time_base = i * 90000 // FPS, enc.time_base
        out += [(p, p.is_keyframe) for p in enc.encode(frame)]
    return out


async def run_packager(tmp_path: Path, codec: str, seconds: float, window: float) -> Packager:
    registry = SourceRegistry(keyframe_interval=0.0)
    source = registry.ensure("r1", "venue:a")
    source.video.attach(f"video/{codec.upper()}", None)
    packager = Packager(source, tmp_path / "hls" / "s1", segment_seconds=1.0, window_seconds=window)
    await packager.start()
    for packet, keyframe in vp8_or_h264_packets(codec, seconds):
        source.video.push(packet, keyframe)
        await asyncio.sleep(0)  # the pump hands each frame to the writer
        while packager.backlog > 10:  # faster than real time, but never past the writer's queue
            await asyncio.sleep(0.005)
    return packager


async def test_segments_past_the_retention_window_are_deleted(tmp_path: Path) -> None:
    packager = await run_packager(tmp_path, "vp8", seconds=12, window=3)
    await wait_for(lambda: packager.stats.frames >= 11 * FPS)
    assert packager.stats.dropped == 0
    playlist = packager.playlist.read_text()
    listed = segments_of(playlist)
    assert len(listed) == 3 and listed[0] != "s000000.m4s", playlist
    on_disk = sorted(p.name for p in packager.directory.glob("s*.m4s"))
    assert "s000000.m4s" not in on_disk and len(on_disk) <= 3 + 2 + 1, on_disk  # window + threshold
    assert all(abs(float(d) - 1.0) < 0.01 for d in re.findall(r"#EXTINF:([\d.]+)", playlist))
    await packager.stop()
    assert "#EXT-X-ENDLIST" in packager.playlist.read_text()


async def test_an_h264_source_is_remuxed_not_transcoded(tmp_path: Path) -> None:
    packager = await run_packager(tmp_path, "h264", seconds=4, window=30)
    assert not packager.transcode
    await wait_for(lambda: packager.stats.frames >= 4 * FPS - 1)
    await packager.stop()
    data = (packager.directory / INIT).read_bytes()
    for name in segments_of(packager.playlist.read_text()):
        data += (packager.directory / name).read_bytes()
    copy = tmp_path / "copy.mp4"
    copy.write_bytes(data)
    frames = await asyncio.to_thread(decode_colours, copy)
    assert {c for _, c in frames} == {"red"} and len(frames) >= 4 * FPS - 1
    times = [t for t, _ in frames]
    assert times == sorted(times)
    assert (packager.directory / PLAYLIST).is_file()
