"""Per-room media numbers for ``/metrics``, read from the service at scrape time."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from media.hls_service import HlsService
from media.service import MediaService


class MediaCollector(Collector):
    """publishers, viewers, bit rate in/out, bytes, keyframe requests, packets lost and retransmits per room;
    viewers of temporally layered video per layer they get, and their layer switches."""

    def __init__(self, service: MediaService) -> None:
        self.service = service

    def collect(self) -> Iterator[Metric]:
        gauges = {
            "publishers": GaugeMetricFamily("moke_media_publishers", "live publishers", labels=["room"]),
            "viewers": GaugeMetricFamily("moke_media_viewers", "connected viewers", labels=["room"]),
            "bitrate_in": GaugeMetricFamily(
                "moke_media_bitrate_in_bps", "media bit rate received", labels=["room"]
            ),
            "bitrate_out": GaugeMetricFamily(
                "moke_media_bitrate_out_bps", "media bit rate forwarded", labels=["room"]
            ),
        }
        counters = {
            "bytes_in": CounterMetricFamily(
                "moke_media_received_bytes", "encoded bytes received", labels=["room"]
            ),
            "bytes_out": CounterMetricFamily(
                "moke_media_forwarded_bytes", "encoded bytes forwarded", labels=["room"]
            ),
            "keyframe_requests": CounterMetricFamily(
                "moke_media_keyframe_requests", "keyframe requests sent to publishers", labels=["room"]
            ),
            "packets_lost": CounterMetricFamily(
                "moke_media_packets_lost", "RTP packets lost from publishers", labels=["room"]
            ),
            "retransmits": CounterMetricFamily(
                "moke_media_retransmits", "RTP packets resent to viewers on their NACKs", labels=["room"]
            ),
        }
        layers = GaugeMetricFamily(
            "moke_media_viewer_layer",
            "viewers of layered video per temporal layer sent",
            labels=["room", "layer"],
        )
        switches = CounterMetricFamily(
            "moke_media_layer_switches", "viewers' temporal layer switches", labels=["room"]
        )
        for room_id in sorted(self.service.registry.rooms()):
            status = self.service.room_status(room_id)
            for key, gauge in gauges.items():
                gauge.add_metric([room_id], _number(status[key]))
            for key, counter in counters.items():
                counter.add_metric([room_id], _number(status[key]))
            per_layer = status["viewers_per_layer"]
            assert isinstance(per_layer, dict)
            for layer, count in per_layer.items():
                layers.add_metric([room_id, layer], _number(count))
            switches.add_metric([room_id], _number(status["layer_switches"]))
        yield from gauges.values()
        yield from counters.values()
        yield layers
        yield switches


class HlsCollector(Collector):
    """HLS packagers per room: segments, bytes and frames written, transcoding CPU, requests served here
    (behind a cache, requests per segment show how much of the audience the cache absorbs)."""

    def __init__(self, hls: HlsService) -> None:
        self.hls = hls

    def collect(self) -> Iterator[Metric]:
        labels = ["room", "source"]
        families = {
            "segments": CounterMetricFamily("moke_hls_segments", "HLS segments written", labels=labels),
            "bytes": CounterMetricFamily("moke_hls_bytes", "HLS segment bytes written", labels=labels),
            "frames": CounterMetricFamily("moke_hls_frames", "video frames packaged", labels=labels),
            "dropped": CounterMetricFamily("moke_hls_dropped_frames", "frames the packager fell behind on",
                                           labels=labels),
            "cpu_seconds": CounterMetricFamily(
                "moke_hls_cpu_seconds", "CPU of the packager's writer (decode and encode when transcoding)",
                labels=labels),
        }  # fmt: skip
        for (room_id, source), packager in sorted(self.hls.active.items()):
            for key, family in families.items():
                family.add_metric([room_id, source], _number(getattr(packager.stats, key)))
        requests = CounterMetricFamily(
            "moke_hls_requests",
            "HLS playlist and segment requests served by this process",
            labels=["room", "kind"],
        )
        for room_id, counts in sorted(self.hls.requests.items()):
            for kind, count in counts.items():
                requests.add_metric([room_id, kind], count)
        yield from families.values()
        yield requests


def register(registry: CollectorRegistry, service: MediaService, hls: HlsService | None = None) -> None:
    registry.register(MediaCollector(service))
    if hls is not None:
        registry.register(HlsCollector(hls))


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0
