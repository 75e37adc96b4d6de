"""Mail: bodies in four languages, the MIME message, and delivery over real SMTP and to files."""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import formataddr
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from checkout import create_app
from checkout.core.errors import ConfigurationError
from checkout.core.money import Money, format_money
from checkout.mail import (
    FileTransport,
    MailError,
    SmtpTransport,
    compose,
    compose_receipt_email,
    receipt_subject,
    render_bodies,
    sending,
    stable_message_id,
    transport_from_config,
)
from checkout.testing.smtp import LoopbackSmtp, serving
from tests.conftest import test_settings

DONOR = "anna.donor@example.net"
SENDER = "IJM <receipts@example.org>"
# Bytes a careless encoder would damage: every byte value, CR/LF pairs, a PDF header.
PDF = b"%PDF-1.7\r\n" + bytes(range(256)) * 8 + b"\n%%EOF\r\n"
GREETINGS = {"en": "Thank you", "de": "Danke", "nl": "Bedankt", "fr": "Merci"}
RECEIPT = {
    "receipt_number": "DE-2026-000123",
    "amount": Money(5000, "EUR"),
    "office_name": "IJM Deutschland e.V.",
    "support_email": "info@ijm-deutschland.example",
}


@pytest.fixture
def mail_app(database_url: str) -> Iterator[Flask]:
    """An app context for rendering; no database connection is made."""
    app = create_app(test_settings(database_url), environ={})
    with app.app_context():
        yield app


def a_message(message_id: str = "<receipt.DE-2026-000123@example.org>") -> EmailMessage:
    """A receipt email as the outbox handler would compose it."""
    return compose_receipt_email(
        to=f"Anna Donor <{DONOR}>",
        language="de",
        subject="Deine Spendenquittung DE-2026-000123",
        html="<p>Danke für deine Spende von 50,00 €.</p>",
        text="Danke für deine Spende von 50,00 €.",
        attachment=PDF,
        attachment_name="DE-2026-000123.pdf",
        message_id=message_id,
        sender=SENDER,
    )


def parts_of(message: EmailMessage) -> dict[str, Any]:
    """The text, html and PDF of a received message."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    pdfs = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert text is not None and html is not None and len(pdfs) == 1
    return {
        "text": text.get_content(),
        "html": html.get_content(),
        "pdf": pdfs[0].get_content(),
        "filename": pdfs[0].get_filename(),
    }


# --- SMTP on loopback ------------------------------------------------------------------------


def test_smtp_delivers_one_message_intact(
    smtp_server: LoopbackSmtp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="checkout.mail")
    transport = SmtpTransport(smtp_server.host, smtp_server.port, security="none", timeout=5)

    transport.send(a_message())
    transport.close()

    assert len(smtp_server.messages) == 1
    received = smtp_server.messages[0]
    assert received["Message-ID"] == "<receipt.DE-2026-000123@example.org>"
    assert [address.addr_spec for address in received["To"].addresses] == [DONOR]
    assert received.get_content_type() == "multipart/mixed"
    parts = parts_of(received)
    assert parts["pdf"] == PDF
    assert parts["filename"] == "DE-2026-000123.pdf"
    assert "Danke für deine Spende von 50,00 €." in parts["text"]
    assert "<p>Danke für deine Spende von 50,00 €.</p>" in parts["html"]
    assert "<receipt.DE-2026-000123@example.org>" in caplog.text
    assert DONOR not in caplog.text  # log lines name the Message-ID, never an address


def test_one_connection_carries_several_messages_until_closed(
    smtp_server: LoopbackSmtp,
) -> None:
    transport = SmtpTransport(smtp_server.host, smtp_server.port, security="none", timeout=5)

    for n in range(3):
        transport.send(a_message(f"<receipt.DE-2026-00012{n}@example.org>"))
    transport.close()
    transport.send(a_message("<receipt.DE-2026-000129@example.org>"))
    transport.close()

    assert len(smtp_server.messages) == 4
    first, *rest, last = smtp_server.peers
    assert rest == [first, first]  # the same client port: one connection for three messages
    assert last != first  # closed, then a new connection


def test_a_connection_idle_too_long_is_let_go_before_the_next_message(
    smtp_server: LoopbackSmtp,
) -> None:
    now = [0.0]
    transport = SmtpTransport(
        smtp_server.host,
        smtp_server.port,
        security="none",
        timeout=5,
        keep_seconds=30,
        clock=lambda: now[0],
    )
    transport.send(a_message("<receipt.DE-2026-000101@example.org>"))
    now[0] += 29
    transport.send(a_message("<receipt.DE-2026-000102@example.org>"))
    now[0] += 31
    transport.send(a_message("<receipt.DE-2026-000103@example.org>"))
    transport.close()
    first, second, third = smtp_server.peers
    assert first == second  # kept while in use
    assert third != first  # idle too long: connected afresh


def _smtp_app(smtp_server: LoopbackSmtp, threads: int) -> Flask:
    app = create_app(test_settings("sqlite://"), environ={})
    app.config.update(
        MAIL_TRANSPORT="smtp",
        SMTP_HOST=smtp_server.host,
        SMTP_PORT=smtp_server.port,
        SMTP_SECURITY="none",
        MAIL_SEND_THREADS=threads,
    )
    return app


def test_each_thread_keeps_its_connection_across_app_contexts(smtp_server: LoopbackSmtp) -> None:
    """Mail keeps the connection, not the outbox: one per thread, from batch to batch."""
    app = _smtp_app(smtp_server, threads=1)
    try:
        for n in range(3):
            with app.app_context():  # as a worker runs each batch
                sending.send(a_message(f"<receipt.DE-2026-00011{n}@example.org>"))
        with app.app_context():
            app.config["SMTP_TIMEOUT"] = 7  # changed settings: a new connection
            sending.send(a_message("<receipt.DE-2026-000119@example.org>"))
    finally:
        sending.close_all()
    first, second, third, changed = smtp_server.peers
    assert first == second == third
    assert changed != first


def test_send_all_sends_on_several_connections_and_reports_each_outcome(
    smtp_server: LoopbackSmtp,
) -> None:
    app = _smtp_app(smtp_server, threads=3)
    emails = [a_message(f"<receipt.DE-2026-00020{n}@example.org>") for n in range(6)]
    try:
        with app.app_context():
            assert sending.send_all(emails) == [None] * 6
            app.config["SMTP_PORT"] = unused_port()  # the relay is gone
            failed = sending.send_all(emails[:2])
    finally:
        sending.close_all()
    assert sorted(m["Message-ID"] for m in smtp_server.messages) == sorted(
        str(e["Message-ID"]) for e in emails
    )
    assert len(set(smtp_server.peers)) > 1
    assert [type(outcome) for outcome in failed] == [MailError, MailError]


@pytest.mark.parametrize("threads", [0, -2, "four"])
def test_a_send_thread_count_below_one_is_refused(threads: object) -> None:
    with pytest.raises(ConfigurationError, match="MAIL_SEND_THREADS must be a whole number"):
        sending.send_threads({"MAIL_SEND_THREADS": threads})


def test_a_connection_the_server_dropped_is_opened_again() -> None:
    transport = SmtpTransport("127.0.0.1", unused_port(), security="none", timeout=5)
    with serving() as first:
        transport.port = first.port
        transport.send(a_message("<receipt.DE-2026-000123@example.org>"))
    with serving(first.port) as restarted:  # the kept connection died with the first server
        transport.send(a_message("<receipt.DE-2026-000124@example.org>"))
        transport.send(a_message("<receipt.DE-2026-000125@example.org>"))
        transport.close()

    assert [m["Message-ID"] for m in first.messages] == ["<receipt.DE-2026-000123@example.org>"]
    assert [m["Message-ID"] for m in restarted.messages] == [
        "<receipt.DE-2026-000124@example.org>",
        "<receipt.DE-2026-000125@example.org>",
    ]  # each once: the message that met the dead connection was sent on a new one
    assert len(set(restarted.peers)) == 1


def test_after_a_failure_the_next_message_connects_afresh() -> None:
    transport = SmtpTransport("127.0.0.1", unused_port(), security="none", timeout=5)
    with pytest.raises(MailError):
        transport.send(a_message())
    with serving() as server:
        transport.port = server.port
        transport.send(a_message())
        transport.close()
    assert len(server.messages) == 1


def test_tls_settings_are_read_once_per_process() -> None:
    one = SmtpTransport("smtp.example.org", 587, security="starttls")
    other = SmtpTransport("smtp.example.org", 587, security="starttls")
    assert one.context is other.context  # loading the system's certificates takes ~30 ms


def unused_port() -> int:
    """A loopback port nothing listens on (bound once by the kernel's choice, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_a_server_that_is_down_raises_mail_error_without_the_address() -> None:
    transport = SmtpTransport("127.0.0.1", unused_port(), security="none", timeout=5)

    with pytest.raises(MailError) as raised:
        transport.send(a_message())

    assert raised.value.message_id == "<receipt.DE-2026-000123@example.org>"
    assert not raised.value.permanent  # worth retrying: the server may come back
    assert isinstance(raised.value.__cause__, OSError)
    assert DONOR not in str(raised.value)  # the outbox stores and logs this text


def test_smtp_refuses_a_password_over_an_unencrypted_connection() -> None:
    with pytest.raises(ValueError, match="unencrypted"):
        SmtpTransport("127.0.0.1", 25, security="none", username="user", password="secret")


# --- Files -------------------------------------------------------------------------------------


def test_the_file_transport_writes_one_eml_per_message_id(tmp_path: Path) -> None:
    transport = FileTransport(tmp_path / "mail")

    transport.send(a_message())
    transport.send(a_message())  # a resend after a crash: the same Message-ID

    files = list((tmp_path / "mail").iterdir())
    assert [file.name for file in files] == ["receipt.DE-2026-000123@example.org.eml"]
    written = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert isinstance(written, EmailMessage)
    assert written["Message-ID"] == "<receipt.DE-2026-000123@example.org>"
    assert parts_of(written)["pdf"] == PDF

    transport.send(a_message("<receipt.DE-2026-000124@example.org>"))
    assert len(list((tmp_path / "mail").iterdir())) == 2  # no temporary files left behind


def test_a_message_id_cannot_write_outside_the_folder(tmp_path: Path) -> None:
    path = FileTransport(tmp_path).path_for("<../../etc/passwd@example.org>")
    assert path.parent == tmp_path


def test_an_unwritable_folder_raises_mail_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(MailError):
        FileTransport(blocker / "mail").send(a_message())


# --- Configuration -----------------------------------------------------------------------------


def test_the_default_transport_writes_files_into_the_instance_folder(mail_app: Flask) -> None:
    transport = transport_from_config(mail_app.config, mail_app.instance_path)
    assert isinstance(transport, FileTransport)
    assert transport.folder == Path(mail_app.instance_path) / "mail"


def test_smtp_settings_make_an_smtp_transport() -> None:
    config = {"MAIL_TRANSPORT": "smtp", "SMTP_HOST": "smtp.example.org", "SMTP_PORT": 465}
    transport = transport_from_config({**config, "SMTP_SECURITY": "tls"}, "instance")
    assert isinstance(transport, SmtpTransport)
    assert (transport.host, transport.port, transport.security) == ("smtp.example.org", 465, "tls")


@pytest.mark.parametrize(
    "settings",
    [
        {"MAIL_TRANSPORT": "carrier-pigeon"},
        {"MAIL_TRANSPORT": "smtp", "SMTP_HOST": ""},
        {"MAIL_TRANSPORT": "smtp", "SMTP_HOST": "h", "SMTP_SECURITY": "ssl"},
    ],
)
def test_bad_mail_settings_are_refused(settings: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        transport_from_config(settings, "instance")


# --- Bodies in the donor's language ------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "de", "nl", "fr"])
def test_receipt_bodies_are_in_the_donors_language(mail_app: Flask, language: str) -> None:
    html, text = render_bodies("receipt", language, **RECEIPT)

    amount = format_money(Money(5000, "EUR"), language)
    for body in (html, text):
        assert "DE-2026-000123" in body
        assert amount in body
        assert GREETINGS[language] in body
        assert "info@ijm-deutschland.example" in body
    assert f'<html lang="{language}">' in html


def test_the_german_body_says_danke_and_the_english_does_not(mail_app: Flask) -> None:
    # Guards the test above against a catalogue that is never loaded.
    assert "Danke" in render_bodies("receipt", "de", **RECEIPT)[1]
    assert "Danke" not in render_bodies("receipt", "en", **RECEIPT)[1]


def test_optional_blocks_appear_only_with_their_values(mail_app: Flask) -> None:
    plain_html, plain_text = render_bodies("receipt", "en", **RECEIPT)
    full_html, full_text = render_bodies(
        "receipt",
        "en",
        **RECEIPT,
        gift_aid_declared_on=date(2026, 3, 1),
        gift_aid_declaration="I want to Gift Aid my donation.",
        mandate_reference="IJM-M-000042",
        creditor_id="DE98ZZZ09999999999",
        debit_dates=[date(2026, 4, 1), date(2026, 5, 1)],
        withdraw_url="https://give.example.org/consent/withdraw/abc",
    )
    expected = [
        "Gift Aid donations",
        "March 1, 2026",
        "cancel your declaration",
        "IJM-M-000042",
        "DE98ZZZ09999999999",
        "April 1, 2026",
        "May 1, 2026",
        "https://give.example.org/consent/withdraw/abc",
    ]
    for snippet in expected:
        assert snippet in full_html and snippet in full_text, snippet
        assert snippet not in plain_html and snippet not in plain_text, snippet


def test_the_sepa_pre_notification_uses_the_donors_date_format(mail_app: Flask) -> None:
    html, text = render_bodies(
        "receipt",
        "de",
        **RECEIPT,
        mandate_reference="IJM-M-000042",
        creditor_id="DE98ZZZ09999999999",
        debit_dates=[date(2026, 4, 1)],
    )
    assert "Vorabankündigung der SEPA-Lastschrift" in html
    assert "VORABANKÜNDIGUNG DER SEPA-LASTSCHRIFT" in text
    assert "1. April 2026" in text
    assert "Mandatsreferenz: IJM-M-000042" in text


def test_the_html_body_escapes_what_the_donor_typed(mail_app: Flask) -> None:
    html, text = render_bodies("receipt", "en", **RECEIPT, donor_name="<b>Anna</b>")
    assert "&lt;b&gt;Anna&lt;/b&gt;" in html and "<b>Anna" not in html
    assert "Hello <b>Anna</b>," in text


def test_the_subject_is_translated(mail_app: Flask) -> None:
    subject = receipt_subject("DE-2026-000123", "de", "IJM Deutschland e.V.")
    assert subject == "Deine Spendenquittung DE-2026-000123 von IJM Deutschland e.V."


def test_render_bodies_refuses_an_unknown_language(mail_app: Flask) -> None:
    with pytest.raises(ValueError, match="language"):
        render_bodies("receipt", "es", **RECEIPT)


# --- Message-IDs and composition ---------------------------------------------------------------

MESSAGE_ID = re.compile(r"<[^<>@\s]+@[^<>@\s]+>\Z")


def test_stable_message_ids_are_deterministic_and_valid() -> None:
    first = stable_message_id("receipt", "DE-2026-000123", "example.org")
    assert first == "<receipt.DE-2026-000123@example.org>"
    assert stable_message_id("receipt", "DE-2026-000123", "example.org") == first
    assert stable_message_id("receipt", "DE-2026-000124", "example.org") != first
    odd = stable_message_id("receipt", "a b/c@d<e>.é", "example.org")
    for message_id in (first, odd):
        assert MESSAGE_ID.match(message_id), message_id
        assert message_id.count("@") == 1
        message = EmailMessage()
        message["Message-ID"] = message_id
        assert message["Message-ID"] == message_id  # survives the header parser unchanged


def test_distinct_keys_never_share_a_message_id() -> None:
    keys = ["a.b", "a=2Eb", "a b", "a_b", "a-b"]
    assert len({stable_message_id("receipt", key, "example.org") for key in keys}) == len(keys)


@pytest.mark.parametrize(
    ("kind", "key", "domain", "problem"),
    [
        ("Receipt!", "k", "example.org", "kind"),
        ("receipt", "", "example.org", "key"),
        ("receipt", "k", "x y", "domain"),
    ],
)
def test_stable_message_id_refuses_bad_parts(
    kind: str, key: str, domain: str, problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        stable_message_id(kind, key, domain)


def composed(**changes: Any) -> EmailMessage:
    """A receipt email with names, subject and bodies a careless encoder would damage."""
    arguments: dict[str, Any] = {
        "to": "Zoë Łukasiewicz <zoe@example.net>",
        "language": "de",
        "subject": "Deine Spendenquittung DE-2026-000123 – danke, Zoë " + "sehr " * 12,
        "html": "<p>Danke für deine Spende.</p>\n.\n<p>=3D &amp; \u20ac</p>",
        "text": "Danke für deine Spende.\n.\nFrom the team \nwith 50,00 € =3D" + " x" * 60,
        "attachment": PDF,
        "attachment_name": "DE-2026-000123.pdf",
        "message_id": "<receipt.DE-2026-000123@example.org>",
        "sender": "IJM Deutschland e.V. <receipts@example.org>",
        "reply_to": "Spenderservice Köln <info@ijm-deutschland.example>",
        "headers": {
            "List-Unsubscribe": "<https://example.org/consent/unsubscribe/" + "a1B2" * 30 + ">",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    }
    return compose_receipt_email(**(arguments | changes))


def test_the_written_message_reads_back_as_composed(monkeypatch: pytest.MonkeyPatch) -> None:
    """What is sent, the stdlib's parser reads back unchanged, without a defect, in 7-bit
    bytes, the one-click URL as one line (a link mail programs can follow)."""
    monkeypatch.setattr(compose, "utcnow", lambda: datetime(2026, 11, 29, 12, 0, tzinfo=UTC))
    data = bytes(composed())
    message = read_back(data)
    assert message["From"].addresses[0].display_name == "IJM Deutschland e.V."
    assert str(message["To"]) == "Zoë Łukasiewicz <zoe@example.net>"
    assert message["Reply-To"].addresses[0].display_name == "Spenderservice Köln"
    assert message["Subject"] == "Deine Spendenquittung DE-2026-000123 – danke, Zoë " + "sehr " * 12
    assert message["Date"].datetime == datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    assert message["Message-ID"] == "<receipt.DE-2026-000123@example.org>"
    assert message["Content-Language"] == "de"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["List-Unsubscribe"] == (
        "<https://example.org/consent/unsubscribe/" + "a1B2" * 30 + ">"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_content_type() == "multipart/mixed"
    parts = {key: _lf(value) for key, value in parts_of(message).items()}
    assert parts["text"] == "Danke für deine Spende.\n.\nFrom the team \nwith 50,00 € =3D" + (
        " x" * 60 + "\n"  # the body ends with a line end
    )
    assert parts["html"] == "<p>Danke für deine Spende.</p>\n.\n<p>=3D &amp; \u20ac</p>\n"
    assert (parts["pdf"], parts["filename"]) == (PDF, "DE-2026-000123.pdf")
    assert [part.defects for part in message.walk()] == [[]] * 5
    assert data.isascii()
    lines = data.split(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")  # CRLF everywhere, nothing bare
    assert b"List-Unsubscribe: <https://example.org/consent/unsubscribe/" + b"a1B2" * 30 + b">" in (
        lines
    )
    assert max(len(line) for line in lines) <= 998


def read_back(data: bytes) -> EmailMessage:
    """The bytes as a receiving mail program reads them."""
    message = message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _lf(value: object) -> object:
    """Text with the wire's CRLF line ends as the LFs it was written with."""
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


@settings(max_examples=60, deadline=None)
@given(
    name=st.text(st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")), max_size=40),
    subject=st.text(st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1),
    text=st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\r")),
    filename=st.text(st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1),
)
def test_any_name_subject_body_and_file_name_survive(
    name: str, subject: str, text: str, filename: str
) -> None:
    email = composed(
        to=formataddr((name, "donor@example.net"), charset="utf-8"),
        subject=subject,
        text=text,
        html=text,
        attachment_name=filename,
        attachment=PDF[: len(text)],
    )
    message = read_back(bytes(email))
    # Readers drop whitespace at the ends of a name, a subject or a file name, and read runs
    # of spaces in a name as one (RFC 5322 phrases); the stdlib's folding of encoded words
    # may add a space inside a long name; everything else comes back as it was.
    assert "".join(message["To"].addresses[0].display_name.split()) == "".join(name.split())
    assert message["To"].addresses[0].addr_spec == "donor@example.net"
    assert message["Subject"].strip() == subject.strip()
    parts = parts_of(message)
    assert _lf(parts["text"]) == (text if text.endswith("\n") else text + "\n")  # a last LF
    assert parts["pdf"] == PDF[: len(text)]
    assert (parts["filename"] or "").strip() == filename.strip()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("subject", "Receipt\r\nBcc: everyone@example.net"),
        ("to", "donor@example.net\r\nBcc: everyone@example.net"),
        ("reply_to", "a@example.org\nX: y"),
        ("attachment_name", "x.pdf\r\nContent-Type: text/html"),
        ("headers", {"X-Note": "a\r\nBcc: everyone@example.net"}),
        ("headers", {"Bad Name": "x"}),
        ("message_id", "<two words@example.org>"),
        ("to", "not an address"),
    ],
)
def test_nothing_a_caller_passes_can_add_a_header(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=r"linefeed|header name|Message-ID|not an email"):
        composed(**{field: value})


@pytest.mark.parametrize("address", ["zoë@example.net", "zoe@bücher.example"])
def test_an_address_outside_ascii_goes_with_smtputf8(
    smtp_server: LoopbackSmtp, address: str
) -> None:
    """smtplib asks for SMTPUTF8 (RFC 6531) and writes the headers in UTF-8 (RFC 6532)."""
    transport = SmtpTransport(smtp_server.host, smtp_server.port, security="none", timeout=5)
    transport.send(composed(to=f"Zoë <{address}>"))
    transport.close()
    [received] = smtp_server.messages
    # RFC 6532: the header is UTF-8 (the parser hands its bytes on as surrogate escapes)
    [found] = received["To"].addresses
    utf8 = [
        text.encode("utf-8", "surrogateescape").decode()
        for text in (found.display_name, found.addr_spec)
    ]
    assert utf8 == ["Zoë", address]
    assert received["Subject"].startswith("Deine Spendenquittung")


def test_a_receipt_email_goes_to_exactly_one_address() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        compose_receipt_email(
            to="a@example.net, b@example.net",
            language="en",
            subject="s",
            html="<p>h</p>",
            text="t",
            attachment=None,
            attachment_name="",
            message_id="<x@example.org>",
            sender=SENDER,
        )


def test_extra_headers_are_added_but_cannot_replace_the_message_id() -> None:
    arguments: dict[str, Any] = {
        "to": DONOR,
        "language": "en",
        "subject": "s",
        "html": "<p>h</p>",
        "text": "t",
        "attachment": None,
        "attachment_name": "",
        "message_id": "<x@example.org>",
        "sender": SENDER,
        "reply_to": "support@example.org",
    }
    message = read_back(
        bytes(compose_receipt_email(**arguments, headers={"X-Receipt": "DE-2026-000123"}))
    )
    assert message["X-Receipt"] == "DE-2026-000123"
    assert message["Reply-To"] == "support@example.org"
    assert message.get_content_type() == "multipart/alternative"  # no attachment given
    with pytest.raises(ValueError, match="Message-ID"):
        compose_receipt_email(**arguments, headers={"Message-ID": "<other@example.org>"})
