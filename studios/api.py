"""The studios package's application keys (one place per package, as in rooms, media and venues)."""

from __future__ import annotations

from aiohttp import web

from studios.records.recorder import Recorder

RECORDER: web.AppKey[Recorder] = web.AppKey("moke_records_recorder", Recorder)
