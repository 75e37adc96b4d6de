"""Email: compose a message in the donor's language, and send it through a transport.

`compose` renders templates/email/* and builds the message (text, HTML, PDF) with the standard
library's `EmailMessage` under a stable Message-ID; `transports` delivers it over SMTP or writes
an .eml file, as MAIL_TRANSPORT says; `sending` keeps each thread's SMTP connection for the next
message. The outbox handlers of other features call these; nothing here touches the database.
"""

from __future__ import annotations

from checkout.mail.compose import (
    compose_receipt_email,
    receipt_subject,
    render_bodies,
    sender_domain,
    stable_message_id,
)
from checkout.mail.transports import (
    FileTransport,
    MailError,
    MailTransport,
    SmtpTransport,
    transport_from_config,
)

__all__ = [
    "FileTransport",
    "MailError",
    "MailTransport",
    "SmtpTransport",
    "compose_receipt_email",
    "receipt_subject",
    "render_bodies",
    "sender_domain",
    "stable_message_id",
    "transport_from_config",
]
