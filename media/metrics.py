"""Per-room media numbers for ``/metrics``, read from the service at scrape time."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

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


def register(registry: CollectorRegistry, service: MediaService) -> None:
    registry.register(MediaCollector(service))


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0
