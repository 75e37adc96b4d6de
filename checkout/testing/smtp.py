"""Pytest fixture `smtp_server`: a real SMTP server (aiosmtpd) on 127.0.0.1 and a free port.

Load with `pytest_plugins = ["checkout.testing.smtp"]`. The fixture yields
`LoopbackSmtp(host, port, messages, peers)`; every message the server accepts is appended to
`messages`, parsed as an `email.message.EmailMessage`, and the client's address and port it came
from to `peers` (one port per connection, so a test can count connections). One server per
test, so no test sees another's mail.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, NamedTuple

import pytest
from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


class LoopbackSmtp(NamedTuple):
    """Where the test server listens, and what it has received so far."""

    host: str
    port: int
    messages: list[EmailMessage]
    peers: list[tuple[str, int]]


class _Collector:
    """aiosmtpd handler: parse each accepted message and keep it."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.peers: list[tuple[str, int]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Accept the message (aiosmtpd calls this once per DATA command)."""
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.peers.append(tuple(session.peer))
        self.messages.append(parsed)
        return "250 Message accepted for delivery"


class _FreePortController(Controller):
    """A Controller bound to port 0 (the kernel picks a free port, no race with other runs).

    aiosmtpd's start() connects to `self.port` once to check the server answers; by then the
    socket is bound, so the real port is read from it first.
    """

    def _trigger_server(self) -> None:
        server = self.server
        assert isinstance(server, asyncio.Server)
        self.port = server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]  # aiosmtpd leaves it untyped


@contextmanager
def serving(port: int = 0) -> Iterator[LoopbackSmtp]:
    """A running SMTP server on loopback (on a free port, or on `port`) until the block ends.

    Stopping it drops the connections clients keep open; a test that serves on the same port
    again sees what a client does when its server restarts.
    """
    collector = _Collector()
    controller = _FreePortController(collector, hostname=HOST, port=port)
    controller.start()
    try:
        yield LoopbackSmtp(HOST, controller.port, collector.messages, collector.peers)
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[LoopbackSmtp]:
    """A running SMTP server on loopback for this test; stopped afterwards."""
    with serving() as server:
        yield server
