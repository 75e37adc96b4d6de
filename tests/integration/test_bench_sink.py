"""The benchmarks' lean SMTP sink speaks enough SMTP for smtplib and counts every message."""

from __future__ import annotations

import smtplib
import socket

from bench.receipt_throughput import free_port
from bench.smtp_sink import LeanSink


def test_every_message_is_counted_and_answered() -> None:
    sink = LeanSink("127.0.0.1", free_port())
    sink.start()
    try:
        with smtplib.SMTP(*sink_address(sink)) as client:
            assert client.ehlo()[0] == 250
            assert client.has_extn("smtputf8")
            client.sendmail("a@example.org", ["b@example.org"], b"Subject: one\r\n\r\nHello\r\n")
            dotted = b"Subject: two\r\n\r\n.leading dot\r\n.\r\nnot the end\r\n" * 2000
            client.sendmail("a@example.org", ["b@example.org"], dotted)
            client.sendmail(
                "ä@example.org",
                ["b@example.org"],
                "Subject: drei\r\n\r\nÄ\r\n".encode(),
                mail_options=["SMTPUTF8"],
            )
            assert client.noop()[0] == 250
        assert sink.count == 3
    finally:
        sink.stop()


def test_data_split_across_reads_ends_only_at_its_terminator() -> None:
    sink = LeanSink("127.0.0.1", free_port())
    sink.start()
    try:
        with socket.create_connection(sink_address(sink)) as raw:
            replies = raw.makefile("rb")
            assert replies.readline().startswith(b"220")
            for command in (b"HELO x\r\n", b"MAIL FROM:<a@example.org>\r\n", b"RCPT TO:<b@x>\r\n"):
                raw.sendall(command)
                assert replies.readline().startswith(b"250")
            raw.sendall(b"DATA\r\n")
            assert replies.readline().startswith(b"354")
            for piece in (b"Subject: x\r\n\r\nbody\r", b"\n.", b"\r", b"\n"):
                raw.sendall(piece)
            assert replies.readline().startswith(b"250")
            raw.sendall(b"QUIT\r\n")
            assert replies.readline().startswith(b"221")
        assert sink.count == 1
    finally:
        sink.stop()


def sink_address(sink: LeanSink) -> tuple[str, int]:
    return sink._address


def test_each_accepted_message_hands_over_its_headers() -> None:
    seen: list[bytes] = []
    sink = LeanSink("127.0.0.1", free_port(), on_message=seen.append)
    sink.start()
    try:
        with smtplib.SMTP(*sink_address(sink)) as client:
            message = b"Message-ID: <receipt.DE-2026-000001@x>\r\nSubject: s\r\n\r\nbody\r\n"
            client.sendmail("a@example.org", ["b@example.org"], message)
    finally:
        sink.stop()
    assert seen == [b"Message-ID: <receipt.DE-2026-000001@x>\r\nSubject: s"]
