"""Sending one email to a donor with this app's settings: render, compose, deliver."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app

from checkout.mail.compose import compose_receipt_email, render_bodies
from checkout.mail.transports import transport_from_config


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
    transport_from_config(config, current_app.instance_path).send(message)
