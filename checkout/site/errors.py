"""Calm error pages with a reference id: the donor never sees a traceback."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from flask import Flask, Response, abort, render_template, request
from flask_babel import format_timedelta
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from checkout.core.ids import new_reference
from checkout.extensions import limiter
from checkout.site.i18n import lazy_gettext as _l

log = logging.getLogger(__name__)

_MESSAGES = {
    400: (
        _l("This request could not be understood"),
        _l("Something in the request was not as expected. Please go back and try again."),
    ),
    403: (_l("Not allowed"), _l("You do not have permission to open this page.")),
    404: (_l("Page not found"), _l("We could not find the page you were looking for.")),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    413: (_l("Too much data"), _l("What was sent is larger than we accept.")),
    429: (
        _l("Too many attempts"),
        _l("You have tried this too often in a short time. Please wait a while and try again."),
    ),
    500: (
        _l("Something went wrong on our side"),
        _l("Nothing you typed is lost. Please try again in a moment."),
    ),
}


def render_error(status: int, reference: str, message: Any = None) -> tuple[str, int]:
    """Render the error page for `status`, showing `reference` for support."""
    title, default_message = _MESSAGES.get(status, _MESSAGES[500])
    message = message or default_message
    page = render_template(
        "errors/error.html", status=status, title=title, message=message, reference=reference
    )
    return page, status


def handle_http_exception(error: HTTPException) -> tuple[str, int] | Response:
    """An expected HTTP error (404, 429, ...): a page in the donor's language."""
    if isinstance(error, SecurityError):
        # A Host outside TRUSTED_HOSTS: no link on the page can be built for such a request.
        log.info("request for an untrusted host refused")
        return Response("Bad request: unknown host.\n", 400, mimetype="text/plain")
    reference = new_reference()
    # The path only, never the query string: it may carry what a donor typed.
    log.info("HTTP %s on %s %s, reference %s", error.code, request.method, request.path, reference)
    if error.code != 429:
        return render_error(error.code or 500, reference)
    seconds = _seconds_to_wait(error)
    page, status = render_error(429, reference, _wait_message(seconds))
    return Response(page, status, {"Retry-After": str(seconds)} if seconds else None)


def _seconds_to_wait(error: HTTPException) -> int | None:
    """When the limit that was reached lets the next attempt through: our counters put it on
    the error (`checkout.counters.limit_per_address`), Flask-Limiter keeps its current limit."""
    retry_after = getattr(error, "retry_after", None)
    if isinstance(retry_after, int):
        return retry_after
    current = limiter.current_limit
    return None if current is None else max(1, int(current.reset_at - time.time()))


def _wait_message(seconds: int | None) -> str | None:
    """ "Please wait 47 minutes": the real wait, never less than a minute."""
    if seconds is None:
        return None
    wait = format_timedelta(timedelta(seconds=max(60, seconds)), threshold=1, add_direction=False)
    return str(
        _(
            "You have tried this too often in a short time. Please wait %(wait)s and try again.",
            wait=wait,
        )
    )


def handle_unexpected(error: Exception) -> tuple[str, int]:
    """An exception nobody handled: log it with a reference the donor can quote."""
    reference = new_reference()
    original = getattr(error, "original_exception", None) or error
    log.error(
        "unhandled error on %s %s, reference %s",
        request.method,
        request.path,
        reference,
        exc_info=original,
    )
    return render_error(500, reference)


def refuse_nul_bytes() -> None:
    """A NUL in the path or query is never ours, and PostgreSQL refuses it in any text value:
    answer 400 before a view passes it to the database."""
    if "\x00" in request.path or any("\x00" in k + v for k, v in request.args.items(multi=True)):
        abort(400)


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.before_request(refuse_nul_bytes)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(InternalServerError, handle_unexpected)
    app.register_error_handler(Exception, handle_unexpected)
