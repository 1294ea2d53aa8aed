"""A teacher on a school PC who opens the server over plain http:// gets no camera or microphone from
her browser: the live page says why, in her language, and links to the HTTPS address; nothing throws.
Over the HTTPS origin the same page has the camera and shows no such notice."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.support.field import Deployment, showcase
from tests.support.netns import SERVER_IP


def test_plain_http_explains_and_links_to_https(
    school: Deployment, plain_http: Deployment, school_chromium: Any
) -> None:
    show = school.net.school.run(lambda: showcase(plain_http))
    page = school_chromium(show.presenter, label="insecure")
    page.goto(f"{plain_http.url}/rooms/{show.room_id}/live")
    assert page.evaluate("window.isSecureContext") is False
    assert page.evaluate("navigator.mediaDevices === undefined") is True
    secure = f"https://{SERVER_IP}/rooms/{show.room_id}/live"
    notice = page.get_by_test_id("media-blocked")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("不安全的 http:// 地址")
    expect(notice.get_by_test_id("media-secure-link")).to_have_attribute("href", secure)
    page.locator("#venue-select").select_option(show.venue_id)
    page.locator("#publish-venue").click()
    expect(page.get_by_test_id("publish-status")).to_contain_text(secure)

    show = school.net.school.run(lambda: showcase(school))
    page = school_chromium(show.presenter, label="secure")
    page.goto(f"{school.url}/rooms/{show.room_id}/live")
    assert page.evaluate("window.isSecureContext") is True
    expect(page.locator("#publish-venue")).to_be_visible()
    expect(page.get_by_test_id("media-blocked")).to_be_hidden()
