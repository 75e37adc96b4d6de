"""Keep link tokens out of access logs.

Links in emails carry tokens in their path (/consent/withdraw/<token>); an access log that
kept them would let anyone who reads it use the link. Every path segment that looks like a
token (40 or more URL-safe characters: no page name or id of ours is that long) is written as
[token]. The filter is put on Werkzeug's request log (the demo server); gunicorn's access log
(production) uses `RedactingGunicornLogger`, named in config/gunicorn.conf.py.
"""

from __future__ import annotations

import logging
import re
from typing import Any

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


#: The parts of gunicorn's access-log atoms that can hold a path or a URL.
_URL_ATOMS = ("r", "U", "q", "f", "{raw_uri}e", "{path_info}e", "{query_string}e", "{referer}i")


def gunicorn_logger_class() -> type:
    """gunicorn's Logger with every URL-bearing atom redacted (its `logger_class` setting).

    Made on demand so that only gunicorn's own processes import gunicorn.
    """
    from gunicorn.glogging import Logger

    class RedactingGunicornLogger(Logger):  # type: ignore[misc]
        """Access log lines without link tokens."""

        def atoms(
            self, resp: object, req: object, environ: dict[str, Any], request_time: object
        ) -> dict[str, Any]:
            """gunicorn's atoms, with tokens taken out of paths, queries and referers."""
            found: dict[str, Any] = super().atoms(resp, req, environ, request_time)
            for name in _URL_ATOMS:
                if isinstance(found.get(name), str):
                    found[name] = redact(found[name])
            return found

    return RedactingGunicornLogger
