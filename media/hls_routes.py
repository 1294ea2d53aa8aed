"""REST for HLS (大规模直播): turn it on and off, hand out grants, serve playlists and segments.

**Access without a per-user token in segment URLs.** A member asks ``GET /api/rooms/{id}/hls`` with
their session token and receives a playlist URL carrying a *grant*: ``<expires>.<signature>``, an HMAC
of the room, the source and the expiry under the server's secret key. The grant sits in the URL *path*
(``/api/hls/{room}/{grant}/{source}/…``), so every relative segment URL in the playlist inherits it and
nothing else is needed: no cookie, no query string. The expiry is rounded up to a multiple of
``media_hls_grant_ttl`` (and lies one to two TTLs ahead), so every member asking within one TTL window
gets the very same URLs: a shared cache (nginx, a CDN) keys segments by URL and fetches each segment
from the origin at most once per live grant, i.e. at most twice around a window boundary. An expired
grant is 401 ``hls_grant_expired``: the player asks for a fresh one. Whoever holds a grant's URL can
watch until it expires, as with any signed URL; it opens that room's one source and nothing else.

Playlists answer ``Cache-Control: max-age=1``; init and media segments, which never change once
written, ``public, max-age=31536000, immutable``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from media.api import HLS, ROUTER
from media.hls import INIT, PLAYLIST, Packager
from media.hls_service import HlsService
from rooms.api import Action, authorize, room_channel
from server.api import ApiRoutes, json_response, read_json
from server.context import ctx_of
from server.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationError
from server.http import principal_of

routes = ApiRoutes("media")

PLAYLIST_CACHE = "public, max-age=1"
SEGMENT_CACHE = "public, max-age=31536000, immutable"
_SOURCE = re.compile(r"^(program|venue:[A-Za-z0-9-]{1,64})$")
_FILE = re.compile(r"^(init\.mp4|s\d{6,}\.m4s)$")
_SESSION = re.compile(r"^[0-9a-f]{12}$")


class HlsStart(BaseModel):
    source: str = Field("program", description='"program" (default) or "venue:<venue_id>"')


class HlsOut(BaseModel):
    room_id: str
    source: str
    transcoded: bool = Field(description="true when the source is VP8 and is encoded once as H.264")
    url: str = Field(description="the playlist, with a grant valid until expires_at")
    expires_at: int
    segment_seconds: float


def sign(secret: str, room_id: str, source: str, expires: int) -> str:
    mac = hmac.new(secret.encode(), f"hls\n{room_id}\n{source}\n{expires}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:18]).decode()


def grant_for(secret: str, room_id: str, source: str, ttl: int, now: float | None = None) -> tuple[str, int]:
    """The grant every member asking now receives, and its expiry (one to two ``ttl`` ahead)."""
    expires = (int(now if now is not None else time.time()) // ttl + 2) * ttl
    return f"{expires}.{sign(secret, room_id, source, expires)}", expires


def check_grant(secret: str, room_id: str, source: str, grant: str) -> None:
    expires_text, _, signature = grant.partition(".")
    if not expires_text.isdigit() or not hmac.compare_digest(
        signature, sign(secret, room_id, source, int(expires_text))
    ):
        raise Forbidden("this HLS link is not valid for this room", code="hls_grant_invalid")
    if int(expires_text) < time.time():
        raise Unauthorized("this HLS link has expired: ask for a new one", code="hls_grant_expired")


def _source_of(name: str) -> str:
    if not _SOURCE.match(name):
        raise ValidationError('source must be "program" or "venue:<id>"', code="invalid_source")
    return name


def _out(request: web.Request, room_id: str, source: str, state: dict[str, Any]) -> HlsOut:
    settings = ctx_of(request).settings
    grant, expires = grant_for(settings.secret_key, room_id, source, settings.media_hls_grant_ttl)
    return HlsOut(
        room_id=room_id,
        source=source,
        transcoded=bool(state.get("transcoded")),
        url=f"/api/hls/{room_id}/{grant}/{source}/{PLAYLIST}",
        expires_at=expires,
        segment_seconds=settings.media_hls_segment_seconds,
    )


@routes.route("POST", "/api/rooms/{room_id}/hls", summary="Publish a live source as HLS (大规模直播)",
              body=HlsStart, response=HlsOut, errors=[(Conflict, "not_live")])  # fmt: skip
async def start_hls(request: web.Request) -> web.Response:
    room_id = request.match_info["room_id"]
    await authorize(ctx_of(request).db, principal_of(request), room_id, Action.VENUE_CONTROL)
    source = _source_of((await read_json(request, HlsStart)).source)
    _, state = await request.app[ROUTER].call(room_id, "hls_start", room_id=room_id, source=source)
    await _announce(request, room_id, source, on=True)
    return json_response(_out(request, room_id, source, state))


@routes.route("DELETE", "/api/rooms/{room_id}/hls/{source}", summary="Stop publishing a source as HLS",
              status=204)  # fmt: skip
async def stop_hls(request: web.Request) -> web.Response:
    room_id = request.match_info["room_id"]
    await authorize(ctx_of(request).db, principal_of(request), room_id, Action.VENUE_CONTROL)
    source = _source_of(request.match_info["source"])
    await request.app[ROUTER].call(room_id, "hls_stop", room_id=room_id, source=source)
    await _announce(request, room_id, source, on=False)
    return web.Response(status=204)


async def _announce(request: web.Request, room_id: str, source: str, *, on: bool) -> None:
    """``media:hls`` to the room: clients switch to (or back from) the HLS path of 大规模直播 mode."""
    payload = {"room_id": room_id, "source": source, "on": on}
    await ctx_of(request).sio.emit("media:hls", payload, room=room_channel(room_id))


@routes.route("GET", "/api/rooms/{room_id}/hls/{source}", summary="A playlist URL with a fresh grant",
              response=HlsOut, errors=[(Conflict, "hls_off")])  # fmt: skip
async def hls_grant(request: web.Request) -> web.Response:
    room_id = request.match_info["room_id"]
    await authorize(ctx_of(request).db, principal_of(request), room_id, Action.MEDIA_WATCH)
    source = _source_of(request.match_info["source"])
    _, state = await request.app[ROUTER].call(room_id, "hls_status", room_id=room_id, source=source)
    if not state.get("running"):
        raise Conflict("this room is not broadcasting over HLS", code="hls_off")
    return json_response(_out(request, room_id, source, state))


def _packager(request: web.Request) -> tuple[HlsService, Packager]:
    m = request.match_info
    source = _source_of(m["source"])
    check_grant(ctx_of(request).settings.secret_key, m["room_id"], source, m["grant"])
    service = request.app[HLS]
    packager = service.get(m["room_id"], source)
    if packager is None:
        raise NotFound("this source is not broadcast over HLS here", code="hls_off")
    return service, packager


@routes.route("GET", "/api/hls/{room_id}/{grant}/{source}/playlist.m3u8", auth=False,
              content_type="application/vnd.apple.mpegurl",
              summary="The live playlist (the grant in the path authorises it and its segments)")  # fmt: skip
async def hls_playlist(request: web.Request) -> web.Response:
    service, packager = _packager(request)
    try:
        text = packager.playlist.read_text()
    except FileNotFoundError:
        raise NotFound("the first segment is not written yet", code="hls_starting") from None
    service.counted(packager.source.room_id, "playlist")
    prefix = packager.session + "/"
    lines = [
        line.replace(f'URI="{INIT}"', f'URI="{prefix}{INIT}"') if line.startswith("#EXT-X-MAP")
        else line if line.startswith("#") or not line else prefix + line
        for line in text.splitlines()
    ]  # fmt: skip
    return web.Response(
        text="\n".join(lines) + "\n",
        content_type="application/vnd.apple.mpegurl",
        headers={"Cache-Control": PLAYLIST_CACHE},
    )


@routes.route("GET", "/api/hls/{room_id}/{grant}/{source}/{session}/{file}", auth=False,
              content_type="video/mp4", summary="An init or media segment (immutable)")  # fmt: skip
async def hls_segment(request: web.Request) -> web.StreamResponse:
    service, packager = _packager(request)
    session, name = request.match_info["session"], request.match_info["file"]
    if not _SESSION.match(session) or not _FILE.match(name) or session != packager.session:
        raise NotFound("no such segment", code="segment_not_found")
    path = packager.directory / name
    if not path.is_file():
        raise NotFound("no such segment (expired or not written yet)", code="segment_not_found")
    service.counted(packager.source.room_id, "segment")
    content_type = "video/mp4" if name == INIT else "video/iso.segment"
    return web.FileResponse(path, headers={"Content-Type": content_type, "Cache-Control": SEGMENT_CACHE})
