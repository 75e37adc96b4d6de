"""Error reports to Sentry, only when SENTRY_DSN is set, with personal data taken out.

sentry-sdk's Flask integration and its logging integration report what the app logs as an
error (an unhandled exception logs one with its traceback, a dead outbox message another).
Before anything leaves: no request body, cookies, query string or client address (the SDK's
`max_request_body_size="never"` and its EventScrubber, extended with our field names), no local
variables, only a few harmless headers, no exception texts (they can quote anything; the type,
the stack trace and our log message say what happened), and in every string left (log
messages and their arguments, breadcrumbs) emails, IBANs, card numbers and link tokens are
replaced (`scrub_text`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, cast

import sentry_sdk
from sentry_sdk.integrations.flask import FlaskIntegration
from sentry_sdk.scrubber import DEFAULT_DENYLIST, DEFAULT_PII_DENYLIST, EventScrubber
from sentry_sdk.types import Breadcrumb, BreadcrumbHint, Event, Hint

from checkout.site.access_log import redact

#: Field names whose values are never sent, wherever they appear (forms, extra data).
PERSONAL_FIELDS = [
    "email",
    "first_name",
    "middle_initial",
    "last_name",
    "full_name",
    "name",
    "address",
    "address_line1",
    "address_line2",
    "postcode",
    "city",
    "state",
    "phone",
    "iban",
    "to",
    "from",
    "reply_to",
    "q",
]
#: Request headers that say nothing about anyone.
KEPT_HEADERS = frozenset({"content-type", "content-length", "accept-language", "host"})
_PATTERNS = (
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "[email]"),
    (re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b"), "[iban]"),
    (re.compile(r"\b(?:\d[ -]?){12,18}\d\b"), "[number]"),
    (re.compile(r"\b[A-Za-z0-9_\-=]{40,}\b"), "[token]"),
)


def scrub_text(text: str) -> str:
    """`text` with emails, IBANs, card-like numbers and token-like strings replaced."""
    text = redact(text)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _scrubbed(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, Mapping):
        return {key: _scrubbed(inner) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return [_scrubbed(inner) for inner in value]
    return value


def scrub_event(event: Event, _hint: Hint) -> Event | None:
    """Sentry's `before_send`: the request reduced to method, URL without its query and
    harmless headers; no user; every string scrubbed."""
    found: dict[str, Any] = dict(event)
    request = found.get("request")
    if isinstance(request, dict):
        headers = request.get("headers") or {}
        found["request"] = {
            "method": request.get("method"),
            "url": redact(str(request.get("url", ""))).split("?")[0],
            "headers": {k: v for k, v in headers.items() if k.lower() in KEPT_HEADERS},
        }
    found.pop("user", None)
    _without_exception_texts(found)
    return cast(Event, _scrubbed(found))


def _without_exception_texts(event: dict[str, Any]) -> None:
    """An exception's text can quote anything it was given (a database error quotes the row
    it refused, with a name no pattern recognises): only its type and stack trace are sent."""
    for exception in (event.get("exception") or {}).get("values") or []:
        if isinstance(exception, dict) and exception.get("value"):
            exception["value"] = "[removed: may hold personal data]"


def scrub_breadcrumb(crumb: Breadcrumb, _hint: BreadcrumbHint) -> Breadcrumb | None:
    """Sentry's `before_breadcrumb`: the same scrubbing for log lines and HTTP calls."""
    return cast(Breadcrumb, _scrubbed(crumb))


def init_app(config: Mapping[str, Any]) -> bool:
    """Start reporting to SENTRY_DSN (once per process); False when none is configured."""
    dsn = str(config.get("SENTRY_DSN") or "")
    if not dsn:
        return False
    sentry_sdk.init(
        dsn=dsn,
        environment=str(config.get("SENTRY_ENVIRONMENT") or config.get("ENV") or "development"),
        integrations=[FlaskIntegration()],
        max_request_body_size="never",
        include_local_variables=False,
        event_scrubber=EventScrubber(
            denylist=DEFAULT_DENYLIST + PERSONAL_FIELDS,
            recursive=True,
            pii_denylist=DEFAULT_PII_DENYLIST,
        ),
        before_send=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
        traces_sample_rate=0.0,
    )
    return True
