"""Browser tests: real headless Chromium (the system one) against a real ``moke serve`` subprocess.

One server and one browser serve the whole module set; every test makes its own users and rooms through
the REST API and its own browser contexts. Screenshots go to ``test-artifacts/web/``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.server import ROOT, ServerProcess
from tests.support.services import require_chromium, unavailable
from tests.support.web import CHROMIUM_ARGS, Browser, Rest


@pytest.fixture(scope="session")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not (ROOT / "web" / "dist" / "index.html").exists():
        unavailable("the built web client (run `make web`)")
    proc = ServerProcess(tmp_path_factory.mktemp("webvar"), env={"MOKE_LOG_LEVEL": "WARNING"})
    # pytest-asyncio may run a loop in this thread; start the subprocess from a loop of its own
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, proc.start()).result()
    try:
        yield proc.url
    finally:
        proc.terminate()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    path = require_chromium()
    from playwright.sync_api import expect, sync_playwright

    # the machine is shared and often busy: give every expectation time (they return as soon as true)
    expect.set_options(timeout=20_000)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def rest(web_server: str) -> Rest:
    return Rest(web_server)


@pytest.fixture
def web(chromium: Any, web_server: str) -> Iterator[Browser]:
    b = Browser(chromium, web_server)
    yield b
    for ctx in b.contexts:
        ctx.close()
    unexpected = b.unexpected_errors()
    assert not unexpected, "console errors:\n" + "\n".join(unexpected)
