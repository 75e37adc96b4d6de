"""Sending emails to donors with this app's settings: render, compose, deliver.

Each thread keeps its transport for the next message: connecting, EHLO and a TLS handshake
to a relay across the network take several round trips, more than a message itself, so an
SMTP connection stays open between messages, across outbox transactions, until it has been
idle for a while (`SmtpTransport.keep_seconds`), the settings change, or the process ends.
A kept transport holds a connection and the relay's settings, nothing about a donor.

`send_all` sends several emails at once, on up to MAIL_SEND_THREADS threads (each with its
own kept connection): sending is mostly waiting for the server's replies.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from typing import Any

from flask import current_app

from checkout.core.errors import ConfigurationError
from checkout.mail.compose import compose_receipt_email, render_bodies
from checkout.mail.transports import MailError, MailTransport, transport_from_config
from checkout.metrics import EMAILS

#: The settings a transport is made from: a change (tests do that) makes a new one.
_SETTINGS = (
    "MAIL_TRANSPORT",
    "MAIL_FILE_DIR",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_SECURITY",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "SMTP_TIMEOUT",
)
_KEPT = threading.local()
_LOCK = threading.Lock()
_OPEN: list[MailTransport] = []
_POOLS: dict[int, ThreadPoolExecutor] = {}


def _transport_for(config: Mapping[str, Any], instance_path: str) -> MailTransport:
    """This thread's transport for these settings, made on first use and kept."""
    key = (instance_path, *(str(config.get(name)) for name in _SETTINGS))
    kept: tuple[tuple[str, ...], MailTransport] | None = getattr(_KEPT, "transport", None)
    if kept is not None and kept[0] == key:
        return kept[1]
    if kept is not None:
        _forget(kept[1])
    made = transport_from_config(config, instance_path)
    _KEPT.transport = (key, made)
    with _LOCK:
        _OPEN.append(made)
    return made


def _forget(transport: MailTransport) -> None:
    transport.close()
    with _LOCK:
        if transport in _OPEN:
            _OPEN.remove(transport)


def send(email: EmailMessage) -> None:
    """Send a composed email on this thread's kept transport (MailError if it did not leave)."""
    try:
        _transport_for(current_app.config, current_app.instance_path).send(email)
    except MailError:
        EMAILS.labels("failed").inc()
        raise
    EMAILS.labels("sent").inc()


def send_all(emails: list[EmailMessage]) -> list[MailError | None]:
    """Send each email; for each, the MailError that stopped it, or None once it left.

    Up to MAIL_SEND_THREADS at once, each thread on its own kept connection.
    """
    config, instance_path = dict(current_app.config), current_app.instance_path

    def one(email: EmailMessage) -> MailError | None:
        try:
            _transport_for(config, instance_path).send(email)
        except MailError as error:
            EMAILS.labels("failed").inc()
            return error
        EMAILS.labels("sent").inc()
        return None

    threads = send_threads(config)
    if threads == 1 or len(emails) < 2:
        return [one(email) for email in emails]
    return list(_pool(threads).map(one, emails))


def send_threads(config: Mapping[str, Any]) -> int:
    """MAIL_SEND_THREADS as a count of at least one, or a clear refusal."""
    value = config.get("MAIL_SEND_THREADS", 1)
    try:
        threads = int(str(value))
    except ValueError:
        threads = 0
    if threads < 1:
        raise ConfigurationError(
            f"MAIL_SEND_THREADS must be a whole number of at least 1: {value!r}"
        )
    return threads


def _pool(threads: int) -> ThreadPoolExecutor:
    with _LOCK:
        pool = _POOLS.get(threads)
        if pool is None:
            pool = _POOLS[threads] = ThreadPoolExecutor(threads, thread_name_prefix="mail-send")
        return pool


def close_all() -> None:
    """Close every kept transport (at exit; tests call it to start afresh)."""
    with _LOCK:
        kept, _OPEN[:] = list(_OPEN), []
    for transport in kept:
        transport.close()


atexit.register(close_all)


def compose_to_donor(
    *,
    to: str,
    language: str,
    subject: str,
    template: str,
    values: dict[str, Any],
    message_id: str,
    reply_to: str | None,
    attachment: bytes | None = None,
    attachment_name: str = "",
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """Render templates/email/<template> in `language` into the email to send (app context)."""
    html, text = render_bodies(template, language, **values)
    return compose_receipt_email(
        to=to,
        language=language,
        subject=subject,
        html=html,
        text=text,
        attachment=attachment,
        attachment_name=attachment_name,
        message_id=message_id,
        sender=str(current_app.config["MAIL_FROM"]),
        reply_to=reply_to,
        headers=headers or {},
    )
