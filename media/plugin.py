"""Wires the `media` package into the application: routes, Socket.IO events, services."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator

from aiohttp import web

from media import metrics, operations, signalling, slate
from media.api import HLS, MEDIA, PROGRAM_MEDIA, RECORDINGS, ROUTER, SOURCES
from media.hls_routes import routes as hls_routes
from media.hls_service import HlsService
from media.program import ProgramPlane
from media.recording import RecordingService
from media.recording_routes import routes as recording_routes
from media.registry import SourceRegistry
from media.routes import routes
from media.routing import MediaRouter
from media.service import MediaService
from rooms.api import FLOOR
from server.api import ApiRoutes
from server.context import AppContext


def setup(app: web.Application, ctx: AppContext) -> list[ApiRoutes]:
    """Register services (via app.cleanup_ctx) and Socket.IO events; return REST route tables.

    Needs the rooms package set up first (its floor decides who may publish seat media)."""
    settings = ctx.settings
    floor = app[FLOOR]
    tasks = ctx.cluster.task_group("media")
    registry = SourceRegistry(keyframe_interval=settings.media_keyframe_interval, tasks=tasks)

    async def notify(sid: str, event: str, payload: dict[str, object]) -> None:
        await ctx.sio.emit(event, payload, to=sid)

    service = MediaService(settings, registry, notify, tasks.child("service"))
    recordings = RecordingService(ctx.db, registry, settings.data_dir, tasks.child("recordings"))
    hls = HlsService(
        registry,
        settings.data_dir,
        segment_seconds=settings.media_hls_segment_seconds,
        window_seconds=settings.media_hls_window,
        tasks=tasks.child("hls"),
    )
    codec = settings.media_program_codec
    plane = ProgramPlane(
        registry,
        codec=codec,
        slate=functools.partial(slate.encode, codec),
        cut_timeout=settings.media_cut_timeout,
        tasks=tasks.child("program"),
    )
    app[SOURCES] = registry
    app[MEDIA] = service
    app[RECORDINGS] = recordings
    app[HLS] = hls
    router = MediaRouter(ctx.bus, ctx.cluster, tasks=tasks.child("rpc"))
    app[ROUTER] = router
    app[PROGRAM_MEDIA] = plane
    signalling.install(ctx, service, router, floor)
    operations.register(router, service, recordings, floor, hls)
    metrics.register(ctx.metrics, service, hls)

    async def media_service(app: web.Application) -> AsyncIterator[None]:
        await service.start()
        await router.start()
        await recordings.recover(router.held_elsewhere)
        yield
        await hls.stop_all()
        plane.close()
        await recordings.stop_all()
        await router.stop()
        await service.stop()
        await tasks.close()

    app.cleanup_ctx.append(media_service)
    return [routes, recording_routes, hls_routes]
