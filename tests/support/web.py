"""Browser-test helpers: the REST client, the Playwright page wrapper, Chromium flags, rooms with invites."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.server import ROOT

ARTIFACTS = ROOT / "test-artifacts" / "web"
INSECURE_HOST = "moke.test"


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    # a name that is not localhost: http://moke.test:PORT is an insecure origin (no camera, no mic)
    f"--host-resolver-rules=MAP {INSECURE_HOST} 127.0.0.1",
]


VIEWPORT = {"width": 1366, "height": 768}  # school PCs
PHONE = {"width": 375, "height": 667}  # the smallest phone teachers join from
PHONES = [PHONE, {"width": 390, "height": 844}]  # and a current one
# WeChat's built-in browser on Android: its user agent names MicroMessenger
WECHAT_UA = (
    "Mozilla/5.0 (Linux; Android 13; V2203A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 MMWEBID/2247 "
    "MicroMessenger/8.0.47.2560(0x28002F30) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64"
)


def fits_width(page: Any) -> bool:
    """No horizontal scrolling: the page is no wider than the screen."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


# The visible controls a finger uses (buttons, links styled as buttons, fields, choosers, disclosure rows)
# whose box is smaller than 44×44 CSS px (checkbox and radio inputs count by their label).
SMALL_TARGETS = """(selector) => [...document.querySelectorAll(selector)].flatMap((el) => {
  const r = el.getBoundingClientRect();
  if (!r.width || !r.height || getComputedStyle(el).visibility === 'hidden') return [];
  const wide = el.matches('input, select, textarea, summary') || r.width >= 44;
  if (r.height >= 44 && wide) return [];
  const name = (el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 30);
  return [`${el.tagName.toLowerCase()}#${el.id} "${name}" ${Math.round(r.width)}x${Math.round(r.height)}`];
})"""
CONTROLS = "main button, main .button, main select, main input:not([type=checkbox]):not([type=radio]), main summary, nav.topbar button, nav.topbar a"


def small_targets(page: Any, selector: str = CONTROLS) -> list[str]:
    """The visible controls matching ``selector`` smaller than a 44×44 px touch target (see WCAG 2.5.5)."""
    return list(page.evaluate(SMALL_TARGETS, selector))


class Rest:
    """A small synchronous REST client for setting up users, rooms and invites."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.paths: set[str] | None = None

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=15) as resp:
                raw = resp.read()
                status = resp.status
        except urllib.error.HTTPError as err:
            raw = err.read()
            status = err.code
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw

    def ok(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        status, data = self.call(method, path, body, token)
        assert 200 <= status < 300, (method, path, status, data)
        return data

    def register(self, name: str, school: str = "") -> dict[str, Any]:
        username = f"u{uuid.uuid4().hex[:10]}"
        body = {
            "username": username,
            "password": "correct horse battery",
            "display_name": name,
            "school": school,
        }
        data = self.ok("POST", "/api/auth/register", body)
        data["username"] = username
        data["password"] = body["password"]
        return dict(data)

    def presenter_venue(
        self, host: dict[str, Any], room_id: str, name: str
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """A new teacher invited as presenter and the venue she teaches from: (her session, the venue)."""
        user = self.register(f"{name}执教")
        code = self.ok("POST", f"/api/rooms/{room_id}/invites", {"role": "presenter"}, host["token"])["code"]
        self.ok("POST", "/api/invites/redeem", {"code": code}, user["token"])
        body = {"name": name, "presenter_id": user["user"]["id"]}
        return user, self.ok("POST", f"/api/rooms/{room_id}/venues", body, host["token"])

    def has(self, *paths: str) -> bool:
        """True when the server's OpenAPI document lists every path (the package has landed)."""
        if self.paths is None:
            self.paths = set(self.ok("GET", "/api/openapi.json").get("paths", {}))
        return all(p in self.paths for p in paths)

    def require(self, *paths: str) -> None:
        if not self.has(*paths):
            pytest.skip(f"server does not offer {paths} yet")


@dataclass
class Browser:
    browser: Any
    base: str
    errors: list[str] = field(default_factory=list)
    contexts: list[Any] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)

    def expect_console_error(self, text: str) -> None:
        """A console error containing ``text`` is part of the test (Chromium logs every failed request,
        e.g. a 403 the page then explains): it does not fail the test."""
        self.expected.append(text)

    def unexpected_errors(self) -> list[str]:
        return [e for e in self.errors if not any(x in e for x in self.expected)]

    def page(
        self,
        session: dict[str, Any] | None = None,
        *,
        label: str = "page",
        locale: str | None = None,
        phone: bool | dict[str, int] = False,
        user_agent: str | None = None,
        script: str | None = None,
    ) -> Any:
        """A new context + page, signed in as ``session`` (the token response) when given; ``phone``
        emulates a touch screen, 375×667 or the size given. ``script`` runs before each page's own (e.g. to
        take a feature away). Console errors and uncaught exceptions are collected and fail the test at the
        end."""
        screen: dict[str, Any] = (
            {
                "viewport": phone if isinstance(phone, dict) else PHONE,
                "is_mobile": True,
                "has_touch": True,
                "device_scale_factor": 2,
            }
            if phone
            else {"viewport": VIEWPORT}
        )
        if user_agent is not None:
            screen["user_agent"] = user_agent
        ctx = self.browser.new_context(**screen, locale="zh-CN", permissions=["microphone", "camera"])
        if script is not None:
            ctx.add_init_script(script)
        init = ""
        if session is not None:
            init += f"localStorage.setItem('moke.session', {json.dumps(json.dumps(session))});"
        if locale is not None:
            init += f"localStorage.setItem('moke.locale', {json.dumps(locale)});"
        if init:
            ctx.add_init_script(
                f"if (!sessionStorage.getItem('moke.init')) {{ {init} sessionStorage.setItem('moke.init', '1'); }}"
            )
        self.contexts.append(ctx)
        page = ctx.new_page()
        page.on(
            "console",
            lambda m: (
                m.type == "error" and self.errors.append(f"[{label}] {m.text} {m.location.get('url', '')}")
            ),
        )
        page.on("pageerror", lambda e: self.errors.append(f"[{label}] uncaught: {e}"))
        page.set_default_timeout(30_000)
        return page

    def shot(self, page: Any, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path))
        return path


def room_with_invite(
    rest: Rest, host: dict[str, Any], role: str = "observer", **room: Any
) -> tuple[str, str]:
    """A room made by ``host`` and an invite code for ``role``."""
    body = {"title": "《秋天的雨》集体备课", "kind": "prep", "subject": "语文", "grade": "三年级", **room}
    room_id = rest.ok("POST", "/api/rooms", body, host["token"])["id"]
    code = rest.ok("POST", f"/api/rooms/{room_id}/invites", {"role": role}, host["token"])["code"]
    return room_id, code


def publishing_venue(web: Browser, rest: Rest, host: dict[str, Any], room_id: str, name: str) -> str:
    """A venue whose presenter's live page publishes the fake camera; returns the venue id."""
    from playwright.sync_api import expect

    user, venue = rest.presenter_venue(host, room_id, name)
    venue_id = str(venue["id"])
    page = web.page(user, label=f"venue-{name}")
    page.goto(f"{web.base}/rooms/{room_id}/live")
    page.locator("#venue-select").select_option(venue_id)
    page.locator("#publish-venue").click()
    expect(page.get_by_test_id("publish-status")).to_have_attribute("data-state", "live")
    return venue_id
