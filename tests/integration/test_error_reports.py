"""Errors go to Sentry when a DSN is set, without personal data: the real sentry-sdk sends its
envelope to a loopback HTTP server standing in for Sentry, and the test reads what arrived."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
import sentry_sdk
from flask import Flask, request

from checkout import create_app
from checkout.db import get_database
from checkout.observability.error_reports import scrub_text
from tests.conftest import test_settings

EMAIL, IBAN = "wilhelmina.quackenbush@example.org", "DE89 3704 0044 0532 0130 00"
TOKEN = "gAAAAABnXq" + "Z" * 60


class SentryStandIn(BaseHTTPRequestHandler):
    """Keeps each envelope posted to it (decompressed) in `received`."""

    received: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":  # the SDK's choice whenever brotli can be imported
            import brotli

            body = brotli.decompress(body)
        self.received.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *_args: object) -> None:
        """Quiet."""


@pytest.fixture
def sentry_url() -> Iterator[str]:
    """A DSN pointing at the loopback stand-in; Sentry switched off again afterwards."""
    SentryStandIn.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), SentryStandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://publickey@127.0.0.1:{server.server_port}/42"
    sentry_sdk.get_client().close()
    sentry_sdk.init()  # no DSN: nothing is sent by later tests
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def events_received() -> list[dict]:
    """The event items of every envelope that arrived."""
    events = []
    for envelope in SentryStandIn.received:
        lines = envelope.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                events.append(json.loads(payload))
    return events


@pytest.fixture
def failing_app(connection, database_url, sentry_url) -> Iterator[Flask]:
    app = create_app(test_settings(database_url, SENTRY_DSN=sentry_url), environ={})
    get_database(app).bind_to(connection)

    @app.get("/test-failure")
    def failure() -> str:
        raise RuntimeError(f"no donor {EMAIL} with IBAN {IBAN} for {request.args['name']} {TOKEN}")

    yield app
    get_database(app).engine.dispose()


def test_an_unhandled_error_reaches_sentry_without_personal_data(failing_app) -> None:
    client = failing_app.test_client()
    client.set_cookie("checkout_session", "a-session-cookie-value")
    response = client.get(
        "/test-failure",
        query_string={"name": "Wilhelmina Quackenbush", "email": EMAIL},
        headers={"X-Forwarded-For": "198.51.100.7", "User-Agent": "Quackenbush's browser"},
    )
    assert response.status_code == 500  # the calm page, with its reference
    assert sentry_sdk.flush(timeout=10) is None
    [event] = events_received()
    [exception] = event["exception"]["values"]
    assert exception["type"] == "RuntimeError"
    assert exception["value"] == "[removed: may hold personal data]"
    assert exception["stacktrace"]["frames"][-1]["function"] == "failure"
    assert event["logentry"]["message"].startswith("unhandled error on %s %s, reference")
    assert event["request"]["url"].endswith("/test-failure")
    sent = json.dumps(event)
    for personal in (
        EMAIL,
        "quackenbush",
        "Quackenbush",
        "DE89",
        "0532",
        TOKEN,
        "a-session-cookie-value",
        "198.51.100.7",
        "127.0.0.1",
    ):
        assert personal not in sent, personal


def test_without_a_dsn_nothing_is_sent(connection, database_url) -> None:
    app = create_app(test_settings(database_url), environ={})
    try:
        assert sentry_sdk.get_client().transport is None  # no DSN: nowhere to send to
    finally:
        get_database(app).engine.dispose()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail to Alex.Doe+x@mail.example.org failed", "mail to [email] failed"),
        ("IBAN DE89370400440532013000 refused", "IBAN [iban] refused"),
        ("IBAN DE89 3704 0044 0532 0130 00 refused", "IBAN [iban] refused"),
        ("card 4242 4242 4242 4242 declined", "card [number] declined"),
        ("GET /consent/withdraw/" + TOKEN, "GET /consent/withdraw/[token]"),
        ("payment 42 of donation 7 failed", "payment 42 of donation 7 failed"),
    ],
)
def test_report_texts_are_scrubbed(text: str, expected: str) -> None:
    assert scrub_text(text) == expected
