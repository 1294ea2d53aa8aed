"""Logging set-up: plain or JSON lines, each carrying the request id when there is one; the access log.

JSON lines come from python-json-logger's stdlib ``Formatter``: a record's ``extra=`` fields become keys of
its object, so ``log.info("saved", extra={"doc_id": d})`` is searchable as ``doc_id``. The request id lives
in a context variable that ``server.http`` sets for each HTTP request (and ``server.realtime`` for each
Socket.IO event, to the id of the request that opened the connection); a filter on the handler copies it
onto every record, so library log lines carry it too.
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
from urllib.parse import parse_qsl, urlencode

from pythonjsonlogger.json import JsonFormatter

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

access_log = logging.getLogger("moke.access")
"""One INFO line per HTTP request (``server.http``); ``MOKE_ACCESS_LOG=false`` (or a level above INFO) silences it."""

_PLAIN = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
_JSON_FIELDS = ["asctime", "levelname", "name", "request_id", "message"]
_JSON_NAMES = {"asctime": "ts", "levelname": "level", "name": "logger", "message": "msg", "exc_info": "exc"}

# Query parameters whose values never reach a log line (bearer and URL tokens, anything secret).
_SECRET_PARAM = re.compile(r"token|secret|password|passwd|signature|sig$|key$|^t$", re.IGNORECASE)


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):  # an explicit extra={"request_id": ...} wins
            record.request_id = request_id.get()
        return True


def json_formatter() -> logging.Formatter:
    """One JSON object per line: ts, level, logger, request_id, msg, then every ``extra=`` field (and exc)."""
    return JsonFormatter(
        _JSON_FIELDS,
        rename_fields=_JSON_NAMES,
        json_ensure_ascii=False,  # Chinese names and titles stay readable
    )


def redacted_query(query_string: str) -> str:
    """``token=abc&limit=5`` → ``token=***&limit=5``: what an access log may show of a query string."""
    if not query_string:
        return ""
    pairs = parse_qsl(query_string, keep_blank_values=True)
    return urlencode([(k, "***" if _SECRET_PARAM.search(k) else v) for k, v in pairs], safe="*/:,")


def setup_logging(level: str, *, as_json: bool, access: bool = True) -> None:
    """Log to stderr at ``level``, as JSON lines or plain text; ``access=False`` silences the access log."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_RequestIdFilter())
    handler.setFormatter(json_formatter() if as_json else logging.Formatter(_PLAIN))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Its lines are INFO: MOKE_LOG_LEVEL=WARNING drops them too (benches and soak runs read only the warnings).
    access_log.setLevel(logging.NOTSET if access else logging.CRITICAL + 1)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)  # Moke writes its own (moke.access)
    logging.getLogger("aioice").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
