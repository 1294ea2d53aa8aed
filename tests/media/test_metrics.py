"""media.metrics: per-room media numbers in the Prometheus exposition, read from the service at scrape time."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from media import metrics
from media.registry import SourceRegistry
from media.service import MediaService
from media.source import make_packet
from tests.support.server import make_settings


async def no_notify(sid: str, event: str, payload: dict[str, object]) -> None:
    return None


def scrape(registry: CollectorRegistry) -> dict[tuple[str, str], float]:
    text = generate_latest(registry).decode()
    return {
        (sample.name, sample.labels.get("room", "")): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_each_room_with_sources_is_a_label_and_counts_come_from_the_sources(tmp_path: Path) -> None:
    sources = SourceRegistry()
    service = MediaService(make_settings(tmp_path / "var"), sources, no_notify)
    registry = CollectorRegistry()
    metrics.register(registry, service)
    assert not [k for k in scrape(registry) if k[1]]  # no room yet: families without samples

    venue = sources.ensure("r1", "venue:v1")
    venue.video.attach("video/VP8", None)
    venue.video.push(make_packet(b"x" * 1200, 0, Fraction(1, 90000)), keyframe=True)
    venue.audio.attach("audio/opus", None)
    venue.audio.push(make_packet(b"y" * 80, 0, Fraction(1, 48000)), keyframe=False)
    sources.ensure("r2", "program")
    seen = scrape(registry)
    assert seen[("moke_media_received_bytes_total", "r1")] == 1280
    assert seen[("moke_media_received_bytes_total", "r2")] == 0
    for name in ("moke_media_publishers", "moke_media_viewers", "moke_media_bitrate_out_bps"):
        assert seen[(name, "r1")] == 0 and seen[(name, "r2")] == 0
    for name in ("forwarded_bytes", "keyframe_requests", "packets_lost", "retransmits"):
        assert (f"moke_media_{name}_total", "r1") in seen
