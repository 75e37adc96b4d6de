"""A lean SMTP sink for benchmarks: accepts and counts messages, keeps nothing.

aiosmtpd (which the tests use, as a real server should be) reads a message's data line by
line through asyncio streams: about 3.5 ms of CPU for a 28 KB receipt email, a third of what a
worker spends issuing and sending it. On a 2-core machine that the sink shares with the
workers and the database, that measured the sink as much as the workers. This one speaks the
part of SMTP (RFC 5321) that smtplib uses — greeting, EHLO/HELO, MAIL, RCPT, DATA, RSET,
NOOP, QUIT — and finds the end of the data with one search per read.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Final

_END_OF_DATA: Final = b"\r\n.\r\n"
_EHLO_REPLY: Final = b"250-sink\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 52428800\r\n"


class LeanSink:
    """An SMTP server on `host`:`port` in a thread of its own; `count` messages received so
    far. It answers DATA after `delay` seconds, as a relay elsewhere on the network would, and
    hands each message's header block to `on_message` (if given) when it accepts it."""

    def __init__(
        self,
        host: str,
        port: int,
        delay: float = 0.0,
        on_message: Callable[[bytes], None] | None = None,
    ) -> None:
        self.count = 0
        self._on_message = on_message
        self._address = (host, port)
        self._delay = delay
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self.connections: set[asyncio.Transport] = set()

    def start(self) -> None:
        """Listen; returns when connections are accepted."""
        self._thread.start()
        serving = asyncio.run_coroutine_threadsafe(self._serve(), self._loop)
        self._server = serving.result(timeout=10)

    def stop(self) -> None:
        """Close the connections, stop listening and end the thread."""
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _serve(self) -> asyncio.Server:
        return await self._loop.create_server(
            lambda: _Session(self), *self._address, reuse_address=True
        )

    async def _close(self) -> None:
        for transport in list(self.connections):
            transport.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def received(self, reply: asyncio.Transport, headers: bytes = b"") -> None:
        """One message in: count it and answer, now or after the delay."""
        self.count += 1
        if self._delay:
            self._loop.call_later(self._delay, self._accept, reply, headers)
        else:
            self._accept(reply, headers)

    def _accept(self, reply: asyncio.Transport, headers: bytes) -> None:
        reply.write(b"250 OK\r\n")
        if self._on_message is not None:
            self._on_message(headers)


class _Session(asyncio.Protocol):
    """One client connection: commands line by line, a message's data in one piece."""

    def __init__(self, sink: LeanSink) -> None:
        self._sink = sink
        self._buffer = bytearray()
        self._in_data = False
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._sink.connections.add(transport)
        transport.write(b"220 sink ESMTP\r\n")

    def connection_lost(self, exc: Exception | None) -> None:
        if self._transport is not None:
            self._sink.connections.discard(self._transport)

    def data_received(self, data: bytes) -> None:
        assert self._transport is not None
        self._buffer += data
        while self._buffer:
            if self._in_data:
                # the data starts after the 354 reply; "\r\n.\r\n" ends it (an empty message
                # is just ".\r\n")
                end = 0 if self._buffer.startswith(b".\r\n") else self._buffer.find(_END_OF_DATA)
                if end < 0:
                    return
                headers = bytes(self._buffer[: self._buffer.find(b"\r\n\r\n", 0, end)])
                del self._buffer[: end + (3 if end == 0 else len(_END_OF_DATA))]
                self._in_data = False
                self._sink.received(self._transport, headers)
                continue
            line_end = self._buffer.find(b"\r\n")
            if line_end < 0:
                return
            line = bytes(self._buffer[:line_end])
            del self._buffer[: line_end + 2]
            self._command(line.split(b" ", 1)[0].upper())

    def _command(self, verb: bytes) -> None:
        assert self._transport is not None
        if verb == b"EHLO":
            self._transport.write(_EHLO_REPLY)
        elif verb in (b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"):
            self._transport.write(b"250 OK\r\n")
        elif verb == b"DATA":
            self._in_data = True
            self._transport.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
        elif verb == b"QUIT":
            self._transport.write(b"221 Bye\r\n")
            self._transport.close()
        else:
            self._transport.write(b"502 Command not implemented\r\n")
