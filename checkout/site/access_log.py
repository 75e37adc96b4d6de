"""Keep link tokens out of access logs.

Links in emails carry tokens in their path (/consent/withdraw/<token>); an access log that
kept them would let anyone who reads it use the link. Every path segment that looks like a
token (40 or more URL-safe characters: no page name or id of ours is that long) is written as
[token]. The filter is put on Werkzeug's request log (the demo server); config/gunicorn.conf.py
uses `redact` for gunicorn's.
"""

from __future__ import annotations

import logging
import re

from flask import Flask

_TOKEN_SEGMENT = re.compile(r"/[A-Za-z0-9_\-.=~%]{40,}")


def redact(text: str) -> str:
    """`text` with every token-like path segment replaced by /[token]."""
    return _TOKEN_SEGMENT.sub("/[token]", text)


class RedactTokens(logging.Filter):
    """A logging filter that redacts tokens in a record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drop it."""
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def init_app(app: Flask) -> None:
    """Redact the request lines Werkzeug's server logs (once per process)."""
    request_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactTokens) for f in request_log.filters):
        request_log.addFilter(RedactTokens())
