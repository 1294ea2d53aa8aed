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
    handlers, level, access_level = root.handlers[:], root.level, logs.access_log.level

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
    logs.access_log.setLevel(access_level)


def test_json_lines_carry_level_logger_message_request_id_and_extra_fields(setup: Setup) -> None:
    captured = setup("info", True)
    token = logs.request_id.set("req-42")
    try:
        logging.getLogger("moke.test").info("doc=%s 已保存", "d1", extra={"doc_id": "d1", "bytes": 512})
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
    assert lines[0]["doc_id"] == "d1" and lines[0]["bytes"] == 512 and "doc_id" not in lines[1]
    assert lines[0]["ts"][:2] == "20"  # a readable time stamp
    assert "ValueError: boom" in lines[1]["exc"]
    assert "已保存" in captured.getvalue()  # not \u escapes


def test_an_explicit_request_id_wins_over_the_context(setup: Setup) -> None:
    captured = setup("INFO", True)
    token = logs.request_id.set("from-context")
    try:
        logging.getLogger("moke.test").info("x", extra={"request_id": "given"})
    finally:
        logs.request_id.reset(token)
    assert json.loads(captured.getvalue())["request_id"] == "given"


def test_plain_lines_show_the_request_id_and_quiet_noisy_libraries(setup: Setup) -> None:
    captured = setup("DEBUG", False)
    logging.getLogger("moke.test").debug("hello")
    assert " DEBUG moke.test [-] hello" in captured.getvalue()
    assert logging.getLogger("aioice").level == logging.WARNING


def test_the_access_log_is_info_and_has_its_own_switch(setup: Setup) -> None:
    captured = setup("INFO", False)
    logs.access_log.info("GET / 200")
    assert "GET / 200" in captured.getvalue()
    setup("WARNING", False)
    assert not logs.access_log.isEnabledFor(logging.INFO)  # a quieter level drops it with the rest of INFO
    logs.setup_logging("INFO", as_json=False, access=False)
    assert not logs.access_log.isEnabledFor(logging.CRITICAL)


def test_query_strings_lose_their_secrets() -> None:
    assert logs.redacted_query("") == ""
    assert logs.redacted_query("token=eyJhbGciOi.abc&limit=5") == "token=***&limit=5"
    assert logs.redacted_query("t=eyJ.url.token&format=md") == "t=***&format=md"  # a media URL token
    assert logs.redacted_query("access_token=x&turn_secret=y&api_key=z&format=md") == (
        "access_token=***&turn_secret=***&api_key=***&format=md"
    )
    assert "\n" not in logs.redacted_query("q=a%0Ab")  # stays encoded: no forged second line
