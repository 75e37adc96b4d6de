"""Pytest fixture `smtp_server`: a real SMTP server (aiosmtpd) on 127.0.0.1 and a free port.

Load with `pytest_plugins = ["checkout.testing.smtp"]`. The fixture yields
`LoopbackSmtp(host, port, messages)`; every message the server accepts is appended to
`messages`, parsed as an `email.message.EmailMessage`. One server per test, so no test sees
another's mail.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
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


class _Collector:
    """aiosmtpd handler: parse each accepted message and keep it."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Accept the message (aiosmtpd calls this once per DATA command)."""
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
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


@pytest.fixture
def smtp_server() -> Iterator[LoopbackSmtp]:
    """A running SMTP server on loopback for this test; stopped afterwards."""
    collector = _Collector()
    controller = _FreePortController(collector, hostname=HOST, port=0)
    controller.start()
    try:
        yield LoopbackSmtp(HOST, controller.port, collector.messages)
    finally:
        controller.stop()
