"""Sending one email to a donor with this app's settings: render, compose, deliver.

The transport is made once per app context and closed when the context ends: a worker runs
each batch of outbox messages in an app context of its own, so a batch's emails share one SMTP
connection (and the TLS settings are read once), while a web request keeps nothing open.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app, g

from checkout.mail.compose import compose_receipt_email, render_bodies
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
    """Close the current app context's transport, if it made one."""
    kept: tuple[tuple[str, ...], MailTransport] | None = g.pop("_mail_transport", None)
    if kept is not None:
        kept[1].close()


def send_to_donor(
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
) -> None:
    """Render templates/email/<template> in `language` and send it (needs an app context)."""
    html, text = render_bodies(template, language, **values)
    config = current_app.config
    message = compose_receipt_email(
        to=to,
        language=language,
        subject=subject,
        html=html,
        text=text,
        attachment=attachment,
        attachment_name=attachment_name,
        message_id=message_id,
        sender=str(config["MAIL_FROM"]),
        reply_to=reply_to,
        headers=headers or {},
    )
    transport().send(message)
