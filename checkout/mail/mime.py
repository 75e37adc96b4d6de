"""Emails to donors as the bytes that are sent: a small MIME writer for the one shape we send.

The stdlib's `email` package builds a tree of header objects, parses every header as it is
set and folds it again when the message is flattened, and `smtplib.send_message` flattens and
parses once more; for a receipt email that came to about 4 ms, a sixth of a worker's time per
receipt. Our emails have one shape: text and HTML alternatives, and a PDF beside them when
there is one. So they are written directly, with the stdlib's own encoders for the parts that
need care: RFC 2047 for headers (`email.header.Header`, `email.utils.formataddr`), RFC 2231
for the file name, quoted-printable and base64 from `binascii`. The result has CRLF line ends
and 7-bit bytes only, so any server takes it (an address outside ASCII needs SMTPUTF8, and
says so). `tests/integration/test_mail.py` reads what this writes with the email package.
"""

from __future__ import annotations

import binascii
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.header import Header
from email.message import EmailMessage
from email.utils import encode_rfc2231, formataddr, getaddresses, quote
from functools import lru_cache

CRLF = "\r\n"
#: Characters no header value may hold: they would end the header (and start another).
_LINE_BREAKS = frozenset("\r\n\0\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
#: Header names are printable ASCII except the colon (RFC 5322, 2.2).
_NAME_CHARS = frozenset(chr(code) for code in range(33, 127)) - {":"}
#: A file name that may go in quotes as it is.
_PLAIN_FILENAME = frozenset(chr(code) for code in range(32, 127)) - {'"', "\\"}


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    """One email to one donor, ready to send: envelope and the bytes of the message."""

    message_id: str
    sender: str  # the envelope's MAIL FROM: the From address, without a display name
    recipient: str  # the envelope's RCPT TO
    data: bytes  # the whole message, CRLF line ends
    #: An address is outside ASCII: the server must offer SMTPUTF8 (RFC 6531).
    international: bool = False

    def as_message(self) -> EmailMessage:
        """The message parsed by the email package (for tests and support tools)."""
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass(frozen=True, slots=True)
class Mailbox:
    """A display name and an address, as in `Anna Donor <anna@example.net>`."""

    name: str
    address: str

    @classmethod
    def parse(cls, value: str, what: str) -> Mailbox:
        """Exactly one mailbox from `value`; ValueError for none, several, or a line break.

        Kept for the last few hundred values: every receipt email parses the same sender and
        reply-to addresses, and the email package's parser is slow.
        """
        return _parsed_mailbox(value, what)

    @classmethod
    def _parse(cls, value: str, what: str) -> Mailbox:
        _refuse_line_breaks(what, value)
        found = getaddresses([value])
        if len(found) != 1:
            raise ValueError(f"{what} must be exactly one address")
        name, address = found[0]
        local, _at, domain = address.rpartition("@")
        if not local or not domain or any(char.isspace() for char in address):
            raise ValueError(f"{what} is not an email address")
        return cls(name, f"{local}@{_ascii_domain(domain)}")

    @property
    def international(self) -> bool:
        """The address (not the name, which is encoded) needs SMTPUTF8."""
        return not self.address.isascii()

    def header_line(self, name: str) -> str:
        """`Name: mailbox`, the display name RFC 2047-encoded if it needs to be (an address
        is never encoded: outside ASCII it is sent as UTF-8, under SMTPUTF8)."""
        if self.international:  # the whole message goes as UTF-8 (RFC 6532): no encoding
            value = f'"{quote(self.name)}" <{self.address}>' if self.name else self.address
        else:
            value = formataddr((self.name, self.address), charset="utf-8")
        return f"{name}: {value}".replace("\n", CRLF)  # the encoder folds with bare LFs


@lru_cache(maxsize=256)
def _parsed_mailbox(value: str, what: str) -> Mailbox:
    return Mailbox._parse(value, what)


def _ascii_domain(domain: str) -> str:
    """An internationalised domain in its ASCII form (IDNA), so only a local part in another
    script needs SMTPUTF8; kept as it is if the stdlib's IDNA 2003 codec cannot write it."""
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


def header_line(name: str, value: str) -> str:
    """`Name: value`, with no CRLF at its end.

    ASCII is written as it is, folded at spaces past 78 columns (a URL in List-Unsubscribe
    has none, and must stay readable: it is kept whole, up to the 998 the standard allows);
    anything else is RFC 2047-encoded, as UTF-8 in encoded words that fold by themselves.
    """
    if not name or not set(name) <= _NAME_CHARS:
        raise ValueError(f"not a header name: {name!r}")
    _refuse_line_breaks(name, value)
    if not value.isascii():
        encoded = Header(value, "utf-8", header_name=name).encode(linesep=CRLF)
        return f"{name}: {encoded}"
    line = f"{name}: {value}"
    if len(line) <= 78:
        return line
    folded = _fold_at_spaces(f"{name}:", value)
    if any(len(part) > 998 for part in folded.split(CRLF)):
        raise ValueError(f"header {name} is too long")
    return folded


def _fold_at_spaces(label: str, value: str, width: int = 78) -> str:
    """`label value`, broken before spaces of `value` so that lines stay within `width` if
    they can (never before its first word: a header's first line carries some of its value)."""
    words = value.split(" ")
    rows: list[str] = []
    row = f"{label} {words[0]}"
    for word in words[1:]:
        if len(row) + 1 + len(word) > width:
            rows.append(row)
            row = " " + word  # the fold: CRLF, then the space it replaced
        else:
            row = f"{row} {word}"
    rows.append(row)
    return CRLF.join(rows)


def _refuse_line_breaks(what: str, value: str) -> None:
    if any(char in _LINE_BREAKS for char in value):
        raise ValueError(f"{what} must not contain a line break")


def text_part(subtype: str, text: str) -> str:
    """A text/<subtype> part in UTF-8, quoted-printable (readable where it is ASCII)."""
    plain = text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    encoded = binascii.b2a_qp(plain, istext=True).decode("ascii").replace("\n", CRLF)
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}'
        f"Content-Transfer-Encoding: quoted-printable{CRLF}{CRLF}{encoded}"
    )


def pdf_part(data: bytes, filename: str) -> str:
    """An application/pdf attachment, base64 in lines of 76 (57 bytes each)."""
    whole = binascii.b2a_base64(data, newline=False).decode("ascii")
    encoded = "".join(f"{whole[start : start + 76]}{CRLF}" for start in range(0, len(whole), 76))
    return (
        f"Content-Type: application/pdf{CRLF}"
        f"Content-Transfer-Encoding: base64{CRLF}"
        f"Content-Disposition: attachment; {_filename_parameter(filename)}{CRLF}{CRLF}{encoded}"
    )


def _filename_parameter(filename: str) -> str:
    """`filename="..."`, or RFC 2231's `filename*=utf-8''...` for what quotes cannot hold."""
    _refuse_line_breaks("attachment name", filename)
    if filename and set(filename) <= _PLAIN_FILENAME:
        return f'filename="{filename}"'
    return f"filename*={encode_rfc2231(filename, 'utf-8')}"


def multipart(subtype: str, parts: Iterable[str]) -> str:
    """A multipart/<subtype> entity (its Content-Type header, a blank line and its parts).

    The boundary starts with "=_": quoted-printable writes "=" only before two hex digits or a
    line end, and base64 has no "_", so no part can contain it.
    """
    boundary = f"=_{secrets.token_hex(16)}"
    body = "".join(f"--{boundary}{CRLF}{part}{CRLF}" for part in parts)
    return (
        f'Content-Type: multipart/{subtype};{CRLF} boundary="{boundary}"{CRLF}{CRLF}'
        f"{body}--{boundary}--{CRLF}"
    )


def message_bytes(header_lines: Iterable[str], body: str) -> bytes:
    """The header lines (`header_line`, `Mailbox.header_line`), MIME-Version, then the body
    entity with its own Content-Type header. 7-bit unless an address is not ASCII."""
    lines = [*header_lines, "MIME-Version: 1.0"]
    return (CRLF.join(lines) + CRLF + body).encode("utf-8")
