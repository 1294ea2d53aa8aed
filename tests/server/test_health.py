"""Operational routes (server/health.py): /healthz and Prometheus /metrics on a real server."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from tests.support.api import Api
from tests.support.private_services import private_redis
from tests.support.server import make_settings, running_server
from tests.support.services import unique_prefix


async def test_healthz(api: Api) -> None:
    status, body = await api.call("GET", "/healthz")
    assert status == 200 and body["status"] == "ok" and body["bus"] == "in-process"
    assert body["checks"] == {"database": "ok"}  # no Redis configured: none to ping


async def test_healthz_pings_redis_and_names_it_when_it_is_gone(tmp_path: Path) -> None:
    async with private_redis() as redis:
        settings = make_settings(tmp_path / "var", redis_url=redis.url, redis_prefix=unique_prefix())
        async with running_server(settings) as srv, aiohttp.ClientSession() as http:
            async with http.get(srv.url + "/healthz") as resp:
                body = await resp.json()
                assert resp.status == 200, body
                assert body["bus"] == "redis" and body["checks"] == {"database": "ok", "redis": "ok"}
            await redis.stop()  # its port is closed now: connections are refused
            async with http.get(srv.url + "/healthz") as resp:
                body = await resp.json()
                assert resp.status == 503, body
            error = body["error"]
            assert error["code"] == "unhealthy" and "redis" in error["message"]
            assert error["details"]["failed"] == ["redis"]
            assert error["details"]["checks"]["database"] == "ok"
            # refused at once, or still retrying when the 2 s check ends (the client retries a stale connection)
            redis_check = error["details"]["checks"]["redis"]
            assert redis_check == "timeout" or redis_check.startswith("unreachable ("), redis_check
            await redis.start()  # the app's shutdown talks to Redis


async def test_metrics_in_prometheus_format(api: Api) -> None:
    await api.call("GET", "/healthz")
    async with api.http.get(api.base + "/metrics") as resp:
        text = await resp.text()
        assert resp.status == 200 and resp.content_type.startswith("text/plain")
    assert 'moke_http_requests_total{method="GET",route="/healthz",status="200"}' in text


async def test_metrics_only_to_allowed_sources_and_with_the_token(tmp_path: Path) -> None:
    # Room ids are label values: an address outside MOKE_METRICS_ALLOW gets 403 and no numbers.
    settings = make_settings(tmp_path / "var", metrics_allow="10.0.0.0/8")
    async with running_server(settings) as srv, aiohttp.ClientSession() as http:
        async with http.get(srv.url + "/metrics") as resp:
            body = await resp.json()
            assert resp.status == 403 and body["error"]["code"] == "metrics_forbidden"
    settings = make_settings(tmp_path / "var2", metrics_token="s3cret-scrape")
    async with running_server(settings) as srv, aiohttp.ClientSession() as http:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret-scrape"}):
            async with http.get(srv.url + "/metrics", headers=headers) as resp:
                body = await resp.json()
                assert resp.status == 401 and body["error"]["code"] == "metrics_token", headers
        async with http.get(srv.url + "/metrics", headers={"Authorization": "Bearer s3cret-scrape"}) as resp:
            assert resp.status == 200 and "moke_http_requests_total" in await resp.text()


async def test_metrics_judges_a_proxied_client_by_its_own_address(tmp_path: Path) -> None:
    # Behind a trusted proxy on loopback, a public client's scrape is refused although the proxy's is not.
    settings = make_settings(tmp_path / "var", trusted_proxies="127.0.0.1")
    async with running_server(settings) as srv, aiohttp.ClientSession() as http:
        async with http.get(srv.url + "/metrics", headers={"X-Forwarded-For": "203.0.113.7"}) as resp:
            assert resp.status == 403
        async with http.get(srv.url + "/metrics", headers={"X-Forwarded-For": "192.168.1.20"}) as resp:
            assert resp.status == 200
        async with http.get(srv.url + "/metrics") as resp:
            assert resp.status == 200
