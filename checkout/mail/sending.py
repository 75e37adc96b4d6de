"""Sending one email to a donor with this app's settings: render, compose, deliver.

The transport is made once per app context and closed when the context ends: a worker runs
each batch of outbox messages in an app context of its own, so a batch's emails share one SMTP
connection (and the TLS settings are read once), while a web request keeps nothing open.
Emails the outbox sends on several threads at once (receipts) use `transport_pool()`: one
connection per thread. `flask worker` keeps that pool from batch to batch while there is work
(`keep_pool`) and closes it when the worker finds nothing to do: connecting, EHLO and a TLS
handshake to a relay across the network take several round trips, once per thread rather than
once per thread and batch.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app, g

from checkout.mail.compose import compose_receipt_email, render_bodies
from checkout.mail.mime import OutgoingEmail
from checkout.mail.transports import MailTransport, transport_from_config

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


def init_app(app: Flask) -> None:
    """Close the app context's transport (and its SMTP connection) when the context ends."""
    app.teardown_appcontext(close_transport)


def transport() -> MailTransport:
    """The transport of the current app context, made on first use from the app's settings."""
    config = current_app.config
    key = tuple(str(config.get(name)) for name in _SETTINGS)
    kept: tuple[tuple[str, ...], MailTransport] | None = g.get("_mail_transport")
    if kept is not None and kept[0] == key:
        return kept[1]
    if kept is not None:
        kept[1].close()
    made = transport_from_config(config, current_app.instance_path)
    g._mail_transport = (key, made)
    return made


def close_transport(_error: BaseException | None = None) -> None:
    """Close the current app context's transports, if it made any."""
    kept: tuple[tuple[str, ...], MailTransport] | None = g.pop("_mail_transport", None)
    if kept is not None:
        kept[1].close()
    pool: TransportPool | None = g.pop("_mail_transport_pool", None)
    if pool is not None:
        pool.close()


class TransportPool:
    """A transport (an SMTP connection) per thread, made from one app's settings on first use
    in that thread, and all closed together: for side effects the outbox performs on several
    threads at once (`outbox.registry.Later`). An SMTP connection serves one thread only.
    After `close` the pool can be used again: each thread then makes a new transport."""

    def __init__(self, config: Mapping[str, Any], instance_path: str) -> None:
        self._config = dict(config)
        self._instance_path = instance_path
        self._local = threading.local()
        self._made: list[MailTransport] = []
        self._lock = threading.Lock()
        self._generation = 0  # counts `close` calls: a thread's older transport is closed

    def send(self, message: OutgoingEmail) -> None:
        """Send on this thread's transport (MailError if it did not leave)."""
        kept: tuple[int, MailTransport] | None = getattr(self._local, "transport", None)
        if kept is None or kept[0] != self._generation:
            with self._lock:
                made = transport_from_config(self._config, self._instance_path)
                self._made.append(made)
                kept = self._local.transport = (self._generation, made)
        kept[1].send(message)

    def close(self) -> None:
        """Close every thread's transport (call when no thread is sending)."""
        with self._lock:
            made, self._made = self._made, []
            self._generation += 1
        for transport in made:
            transport.close()


def transport_pool() -> TransportPool:
    """The pool of per-thread transports to send on: the one kept for this app context
    (`keep_pool`), or one made on first use and closed when the context ends."""
    kept: TransportPool | None = g.get("_mail_kept_pool")
    if kept is not None:
        return kept
    pool: TransportPool | None = g.get("_mail_transport_pool")
    if pool is None:
        pool = g._mail_transport_pool = TransportPool(current_app.config, current_app.instance_path)
    return pool


def keep_pool(pool: TransportPool) -> None:
    """Let `transport_pool()` give `pool` in the current app context, which does not close it
    when it ends: its owner (`flask worker`) closes it."""
    g._mail_kept_pool = pool


def send(email: OutgoingEmail) -> None:
    """Send a composed email on the current app context's transport (MailError if not)."""
    transport().send(email)


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
) -> OutgoingEmail:
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
