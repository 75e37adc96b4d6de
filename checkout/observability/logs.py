"""Structured logs: one JSON object per line, each with the request id it belongs to.

Every line passes two filters on its way out: the request id (core/request_ids.py) is added,
and link tokens are written as [token] (site/access_log.py). What the app logs is ids,
states and counts, never what a donor typed: tests/integration/test_log_privacy.py drives a
whole gift, its receipt and a support action and looks for personal data in every line.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, g
from pythonjsonlogger.json import JsonFormatter

from checkout.core.request_ids import current_request_id, end_request, start_request
from checkout.site.access_log import RedactTokens

#: The fields of each line, in this order; `extra={...}` of a call adds its own.
FIELDS = ("asctime", "levelname", "name", "message", "request_id")
RENAMED = {"asctime": "time", "levelname": "level", "name": "logger"}
REQUEST_ID_HEADER = "X-Request-Id"
_RESET_KEY = "_checkout_request_id_reset"
#: Loggers of libraries that could write what a request carries at INFO or DEBUG (the Stripe
#: SDK logs request parameters): never below WARNING, whatever the root's level.
QUIET_LOGGERS = ("stripe", "urllib3", "httpx", "httpcore")


class AddRequestId(logging.Filter):
    """Put the current request id on a record that has none of its own (`extra` wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Never drops a record."""
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


def json_formatter() -> logging.Formatter:
    """The formatter of every line: JSON with time, level, logger, message and request id."""
    return JsonFormatter(
        list(FIELDS), rename_fields=RENAMED, json_ensure_ascii=False, exc_info_as_array=True
    )


class JsonLines(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes JSON lines to a stream (standard error unless told), with both filters."""

    def __init__(self, stream: Any = None) -> None:
        super().__init__(stream or sys.stderr)
        self.setFormatter(json_formatter())
        self.addFilter(AddRequestId())
        self.addFilter(RedactTokens())


def configure_logging(config: Mapping[str, Any]) -> None:
    """Send every logger's lines through one JSON handler on the root (LOG_FORMAT "json"),
    at LOG_LEVEL; LOG_FORMAT "" leaves logging as it is (the test suite). Once per process."""
    if config.get("LOG_FORMAT") != "json":
        return
    root = logging.getLogger()
    if not any(type(handler) is JsonLines for handler in root.handlers):
        root.addHandler(JsonLines())
    root.setLevel(str(config.get("LOG_LEVEL") or "INFO").upper())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def _start() -> None:
    g.setdefault(_RESET_KEY, start_request())


def _answer_with_id(response: Response) -> Response:
    """Tell the client the request's id: support can find its lines with it."""
    request_id = current_request_id()
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    return response


def _end(_exc: BaseException | None) -> None:
    token = g.pop(_RESET_KEY, None)
    if token is not None:
        end_request(token)


def init_app(app: Flask) -> None:
    """A fresh request id for each request, in its log lines, outbox messages and answer."""
    configure_logging(app.config)
    app.before_request(_start)
    app.after_request(_answer_with_id)
    app.teardown_request(_end)
