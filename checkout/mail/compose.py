"""Composing emails: bodies from templates in the donor's language, and the message.

Bodies are rendered with the app's Jinja environment (so `_()` and the catalogues in
checkout/translations apply) with the donor's language forced, whatever the current request
or worker uses. Rendering needs an app context; composing does not.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from datetime import date, datetime
from email.errors import NonASCIILocalPartDefect
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from types import MappingProxyType

from babel.dates import format_date
from flask import current_app, render_template
from flask_babel import gettext

from checkout.core.clock import utcnow
from checkout.core.languages import SUPPORTED_LANGUAGES
from checkout.core.money import Money, format_money
from checkout.site.i18n import in_language

_NO_HEADERS: Mapping[str, str] = MappingProxyType({})


# Headers compose sets itself; extra headers may not replace them.
_OWN_HEADERS = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "reply-to",
        "subject",
        "date",
        "message-id",
        "content-language",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
    }
)
#: SMTP's policy (CRLF line ends, header values without line breaks), folding lines only past
#: RFC 5322's limit of 998 characters: folded at 78, the long List-Unsubscribe URL would be
#: written as encoded words, which mail programs do not read as a link.
_POLICY = SMTP.clone(max_line_length=998)
_HEADER_NAME = re.compile(r"[!-9;-~]+\Z")
_MESSAGE_ID = re.compile(r"<[^<>@\s]+@[^<>@\s]+>\Z")
_KIND = re.compile(r"[a-z0-9]+(?:[_-][a-z0-9]+)*\Z")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"(?=.{{1,253}}\Z){_LABEL}(?:\.{_LABEL})*\Z")
_KEY_SAFE = frozenset(string.ascii_letters + string.digits + "-_")
_TEMPLATE_NAME = re.compile(r"[a-z0-9_]+\Z")


def stable_message_id(kind: str, key: str, domain: str) -> str:
    """A Message-ID that is the same every time for the same email, e.g. a resent receipt.

    `stable_message_id("receipt", "DE-2026-000123", "example.org")` is
    "<receipt.DE-2026-000123@example.org>". Characters of `key` other than letters, digits,
    "-" and "_" are written as "=XX" (UTF-8 bytes in hex), so distinct keys give distinct ids.
    """
    if not _KIND.match(kind):
        raise ValueError(f"message kind must be lower-case letters, digits, - or _: {kind!r}")
    if not key:
        raise ValueError("message key must not be empty")
    if not _DOMAIN.match(domain):
        raise ValueError(f"not a domain name: {domain!r}")
    return f"<{kind}.{_encode_key(key)}@{domain.lower()}>"


def _encode_key(key: str) -> str:
    """`key` with every character outside the safe set as =XX escapes (reversible)."""
    return "".join(
        char if char in _KEY_SAFE else "".join(f"={byte:02X}" for byte in char.encode())
        for char in key
    )


def sender_domain(sender: str) -> str:
    """The domain of a From address ("IJM <receipts@example.org>" -> "example.org")."""
    _name, address = parseaddr(sender)
    domain = address.rpartition("@")[2]
    if not domain:
        raise ValueError("the sender has no domain")
    return domain


def render_bodies(template: str, language: str, **values: object) -> tuple[str, str]:
    """Render templates/email/<template>.html and .txt in `language`; (html, text).

    Money values are formatted and dates written out in that language (also inside lists),
    so callers pass `Money` and `date` objects, not strings.
    """
    if language not in SUPPORTED_LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    if not _TEMPLATE_NAME.match(template):
        raise ValueError(f"not an email template name: {template!r}")
    context: dict[str, object] = {
        "language": language,
        "charity": current_app.config["CHARITY_NAME"],
    }
    context.update({name: _localised(value, language) for name, value in values.items()})
    with in_language(language):
        html = render_template(f"email/{template}.html", **context)
        text = render_template(f"email/{template}.txt", **context)
    return html, text


def _localised(value: object, language: str) -> object:
    """Money and dates as the donor reads them; lists element by element; the rest unchanged."""
    if isinstance(value, Money):
        return format_money(value, language)
    if isinstance(value, date) and not isinstance(value, datetime):
        return format_date(value, format="long", locale=language)
    if isinstance(value, list | tuple):
        return [_localised(item, language) for item in value]
    return value


def receipt_subject(number: str, language: str, charity: str) -> str:
    """The subject line of a receipt email, in `language` (needs an app context)."""
    with in_language(language):
        return str(
            gettext("Your receipt %(number)s from %(charity)s", number=number, charity=charity)
        )


def compose_receipt_email(
    *,
    to: str,
    language: str,
    subject: str,
    html: str,
    text: str,
    attachment: bytes | None,
    attachment_name: str,
    message_id: str,
    sender: str,
    reply_to: str | None = None,
    headers: Mapping[str, str] = _NO_HEADERS,
) -> EmailMessage:
    """One email to one donor: text and HTML alternatives, and the receipt PDF if given.

    The standard library's `EmailMessage` under `policy.SMTP` writes it (CRLF line ends,
    encoded headers) and refuses a header value with a line break in it, so nothing a donor
    typed can add a header.
    """
    if not _MESSAGE_ID.match(message_id):
        raise ValueError(f"not a Message-ID: {message_id!r}")
    message = EmailMessage(policy=_POLICY)
    # The body first: setting it replaces the Content-* headers (Content-Language among them).
    # Quoted-printable keeps the bodies in 7-bit lines that any relay passes on unchanged.
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    if attachment is not None:
        message.add_attachment(
            attachment, maintype="application", subtype="pdf", filename=attachment_name
        )
    message["From"] = sender
    message["To"] = to
    _one_mailbox(message, "To")
    if reply_to:
        message["Reply-To"] = reply_to
        _one_mailbox(message, "Reply-To")
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = message_id
    message["Content-Language"] = language
    # Tells auto-responders (holiday replies) not to answer a machine-sent email (RFC 3834).
    message["Auto-Submitted"] = "auto-generated"
    for name, value in _extra(headers).items():
        message[name] = value
    return message


def _one_mailbox(message: EmailMessage, field: str) -> None:
    """Refuse a header that is not exactly one well-formed address."""
    header = message[field]
    addresses = header.addresses
    if len(addresses) != 1:
        raise ValueError(f"a receipt email's {field} must be exactly one address")
    # An address outside ASCII is fine: smtplib sends it with SMTPUTF8 (RFC 6531).
    defects = [d for d in header.defects if not isinstance(d, NonASCIILocalPartDefect)]
    if defects or not addresses[0].username or not addresses[0].domain:
        raise ValueError(f"{field} is not an email address")


def _extra(headers: Mapping[str, str]) -> dict[str, str]:
    """Extra headers (e.g. List-Unsubscribe), one per name; those compose sets are refused,
    and so is a name that is not a header name (RFC 5322: printable ASCII, no colon)."""
    extra: dict[str, tuple[str, str]] = {}
    for name, value in headers.items():
        if not _HEADER_NAME.match(name):
            raise ValueError(f"not a header name: {name!r}")
        if name.lower() in _OWN_HEADERS:
            raise ValueError(f"header {name} is set by compose_receipt_email itself")
        extra[name.lower()] = (name, value)  # a name given twice (in other case): the last
    return dict(extra.values())
