"""What the rest of Moke may use of ``venues``: the main-venue controller of this process.

``evaluation`` reads which venue was main when (:mod:`venues.timeline`) from here; nothing outside
``venues`` changes the program except through :class:`~venues.controller.VenueController`.
"""

from __future__ import annotations

from aiohttp import web

from venues.controller import VenueController
from venues.timeline import MainStretch, main_venue_at, main_venues

CONTROLLER: web.AppKey[VenueController] = web.AppKey("moke_venue_controller", VenueController)

__all__ = ["CONTROLLER", "MainStretch", "VenueController", "main_venue_at", "main_venues"]
