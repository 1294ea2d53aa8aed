"""server.logs: plain and JSON log lines, each with the request id of the request that logged it."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator

import pytest

from server import logs

Setup = Callable[[str, bool], io.StringIO]


@pytest.fixture
def setup() -> Iterator[Callable[[str, bool], io.StringIO]]:
    """``setup_logging`` for one test, its handler writing to a buffer instead of stderr."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level

    def configure(level: str, as_json: bool) -> io.StringIO:
        logs.setup_logging(level, as_json=as_json)
        out = io.StringIO()
        (handler,) = root.handlers
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(out)
        return out

    yield configure
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_lines_carry_level_logger_message_and_request_id(setup: Setup) -> None:
    captured = setup("info", True)
    token = logs.request_id.set("req-42")
    try:
        logging.getLogger("moke.test").info("doc=%s 已保存", "d1")
        logging.getLogger("moke.test").debug("not at INFO")
    finally:
        logs.request_id.reset(token)
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("moke.test").exception("failed")
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    assert [(x["level"], x["logger"], x["request_id"], x["msg"]) for x in lines] == [
        ("INFO", "moke.test", "req-42", "doc=d1 已保存"),
        ("ERROR", "moke.test", "-", "failed"),
    ]
    assert "ValueError: boom" in lines[1]["exc"]


def test_plain_lines_show_the_request_id_and_quiet_noisy_libraries(setup: Setup) -> None:
    captured = setup("DEBUG", False)
    logging.getLogger("moke.test").debug("hello")
    assert " DEBUG moke.test [-] hello" in captured.getvalue()
    assert logging.getLogger("aioice").level == logging.WARNING
