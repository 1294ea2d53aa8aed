"""Operational routes (server/health.py): /healthz and Prometheus /metrics on a real server."""

from __future__ import annotations

from tests.support.api import Api


async def test_healthz(api: Api) -> None:
    status, body = await api.call("GET", "/healthz")
    assert status == 200 and body["status"] == "ok" and body["bus"] == "in-process"


async def test_metrics_in_prometheus_format(api: Api) -> None:
    await api.call("GET", "/healthz")
    async with api.http.get(api.base + "/metrics") as resp:
        text = await resp.text()
        assert resp.status == 200 and resp.content_type.startswith("text/plain")
    assert 'moke_http_requests_total{method="GET",route="/healthz",status="200"}' in text
