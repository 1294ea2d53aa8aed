"""The system Firefox (Debian's firefox-esr) for browser tests, driven over WebDriver BiDi.

Playwright's Firefox needs Playwright's own patched build, which cannot be fetched here, so the tests
drive the stock browser through ``tests/js/firefox_driver.mjs`` (puppeteer-core over BiDi, which Firefox
speaks natively) with one JSON request per line. ``Firefox`` owns that Node process; ``FirefoxPage`` is one
isolated browser context with one page.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from pathlib import Path
from typing import Any

from tests.support.services import NODE_MODULES, require_firefox, require_node, unavailable

DRIVER = NODE_MODULES.parent / "firefox_driver.mjs"
TIMEOUT = 30.0  # seconds for one expectation; they return as soon as they hold


class FirefoxError(AssertionError):
    """A driver request failed: a selector never appeared, a condition never held, a page threw."""


class Firefox:
    def __init__(self) -> None:
        executable = require_firefox()
        node = require_node()
        if not (NODE_MODULES / "puppeteer-core").exists():
            unavailable("puppeteer-core in tests/js/node_modules (run `make testjs`)")
        self.proc = subprocess.Popen(
            [node, str(DRIVER), executable],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self.replies: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.ids = 0
        self.version = str(self._reply(0, 90))  # Firefox starts slowly on a busy machine

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.replies.put(json.loads(line))
        self.replies.put(None)

    def _reply(self, rid: int, timeout: float) -> Any:
        while True:
            try:
                reply = self.replies.get(timeout=timeout)
            except queue.Empty:
                raise FirefoxError(f"the Firefox driver did not answer request {rid} in {timeout}s") from None
            if reply is None:
                raise FirefoxError(f"the Firefox driver exited ({self.proc.poll()})")
            if reply["id"] == rid:
                if not reply["ok"]:
                    raise FirefoxError(reply["error"])
                return reply["value"]

    def call(self, op: str, timeout: float = TIMEOUT + 30, **args: Any) -> Any:
        assert self.proc.stdin is not None
        self.ids += 1
        self.proc.stdin.write(json.dumps({"id": self.ids, "op": op, **args}) + "\n")
        self.proc.stdin.flush()
        return self._reply(self.ids, timeout)

    def page(
        self, session: dict[str, Any] | None = None, *, label: str, locale: str | None = None
    ) -> FirefoxPage:
        """A new isolated context and page, signed in as ``session`` (the token response) when given."""
        init = ""
        if session is not None:
            init += f"localStorage.setItem('moke.session', {json.dumps(json.dumps(session))});"
        if locale is not None:
            init += f"localStorage.setItem('moke.locale', {json.dumps(locale)});"
        if init:  # once per tab, so a later sign-out or language switch survives reloads
            init = f"if (!sessionStorage.getItem('moke.init')) {{ {init} sessionStorage.setItem('moke.init', '1'); }}"
        return FirefoxPage(self, self.call("open", label=label, init=init or None))

    def errors(self) -> list[str]:
        return list(self.call("errors"))

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class FirefoxPage:
    def __init__(self, firefox: Firefox, page_id: int) -> None:
        self.firefox = firefox
        self.id = page_id

    def _call(self, op: str, **args: Any) -> Any:
        return self.firefox.call(op, page=self.id, **args)

    def goto(self, url: str) -> None:
        self._call("goto", url=url)

    def wait(self, js: str, selector: str | None = None, timeout: float = TIMEOUT) -> Any:
        """Poll the expression ``js`` until it is truthy; with ``selector``, ``js`` is a function of that
        element. Returns the value."""
        try:
            return self.firefox.call(
                "wait", timeout + 30, page=self.id, js=js, selector=selector, ms=timeout * 1000
            )
        except FirefoxError as exc:
            raise FirefoxError(f"never true: {js} on {selector}\n{exc}") from None

    def text_of(self, selector: str) -> str:
        return str(self.eval(f"document.querySelector({json.dumps(selector)})?.textContent ?? ''"))

    def wait_text(self, selector: str, text: str) -> None:
        """Wait until the element's text contains ``text``."""
        self.wait(f"el => el.textContent.includes({json.dumps(text)})", selector)

    def eval(self, js: str) -> Any:
        return self._call("eval", js=js)

    def click(self, selector: str) -> None:
        self._call("click", selector=selector)

    def fill(self, selector: str, text: str) -> None:
        self._call("fill", selector=selector, text=text)

    def type(self, text: str) -> None:
        self._call("type", text=text)

    def press(self, key: str) -> None:
        self._call("press", key=key)

    def select(self, selector: str, value: str) -> None:
        self._call("select", selector=selector, value=value)

    def shot(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._call("shot", path=str(path))
        return path

    def close(self) -> None:
        self._call("close")
