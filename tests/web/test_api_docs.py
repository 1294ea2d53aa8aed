"""/api/docs in Chromium with no network beyond this machine: Swagger UI, bundled by the web build, renders
the server's OpenAPI document (operation names and typed parameters), with no request to another host."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.support.web import Browser

LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


def test_the_api_reference_renders_offline(web: Browser) -> None:
    page = web.page(label="api-docs")
    blocked: list[str] = []

    def only_loopback(route: Any) -> None:
        if urlsplit(route.request.url).hostname in LOOPBACK or route.request.url.startswith(
            ("data:", "blob:")
        ):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("internetdisconnected")

    page.context.route("**/*", only_loopback)
    response = page.goto(web.base + "/api/docs")
    assert response is not None and response.status == 200
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Moke API")
    login = page.locator(".opblock-summary", has_text="/api/auth/login")
    expect(login).to_be_visible()
    expect(login).to_contain_text("Log in with username and password")
    expect(page.locator(".opblock-summary", has_text="/api/rooms/{room_id}/chat").first).to_be_visible()

    page.locator(".opblock-summary", has_text="/api/rooms/{room_id}/chat").first.click()
    chat = page.locator(".opblock.is-open")
    expect(chat.locator(".parameters tr", has_text="limit")).to_contain_text("integer")
    expect(chat.locator(".responses-table")).to_contain_text("403")
    web.shot(page, "api-docs")
    assert not blocked, f"the page reached beyond this machine: {blocked}"
