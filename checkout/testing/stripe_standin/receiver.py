"""A webhook receiver for tests: a tiny HTTP server on loopback that records what it gets.

It can answer a planned sequence of status codes (e.g. 500 then 200) so tests can watch the
stand-in retry, and verifies nothing itself: tests verify signatures with the stripe SDK.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    """One request as it arrived: the raw body and the Stripe-Signature header."""

    body: bytes
    signature: str


@dataclass
class Receiver:
    """What the server received, and the status codes it will answer next."""

    url: str
    received: list[Received] = field(default_factory=list)
    planned: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Wait until at least `count` requests arrived; return them (fail on timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} webhook requests, got {len(self.received)}")

    def _next_status(self) -> int:
        """The planned status for this request (200 once the plan is used up)."""
        with self.lock:
            return self.planned.pop(0) if self.planned else 200


@contextmanager
def webhook_receiver(path: str = "/webhooks") -> Iterator[Receiver]:
    """Run a receiver on a free loopback port for the duration of the block."""
    receiver = Receiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            """Record the delivery and answer the planned status."""
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with receiver.lock:
                receiver.received.append(Received(body, self.headers.get("Stripe-Signature", "")))
            self.send_response(receiver._next_status())
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            """Stay quiet: pytest shows failures, not every request."""

    with loopback_server(Handler) as base_url:
        receiver.url = base_url + path
        yield receiver


@contextmanager
def loopback_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve `handler` on a free loopback port in a thread; yield the server's base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
