"""Ways a composed email leaves: SMTP in production, .eml files in the demo and tests.

Every transport is idempotent per Message-ID as far as it can be: the file transport overwrites
the same file, and a resend over SMTP carries the same Message-ID so the donor's mail program
and our support staff can recognise it. Log lines name the Message-ID, never an address.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import smtplib
import ssl
import tempfile
import time
from collections.abc import Callable, Mapping
from email.message import EmailMessage
from email.policy import SMTPUTF8
from pathlib import Path
from typing import Any, Protocol

from checkout.core.errors import CheckoutError, ConfigurationError
from checkout.paths import project_path

log = logging.getLogger(__name__)

SECURITY_MODES = ("starttls", "tls", "none")
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._@=+-]")


class MailError(CheckoutError):
    """A message could not be sent; the outbox retries it later.

    The text names the Message-ID and the kind of failure only: server replies can quote the
    recipient's address, and the outbox stores and logs this text. `permanent` is True when
    the server refused for good (a 5xx reply), so a handler may park the message at once.
    """

    def __init__(self, message_id: str, reason: str, *, permanent: bool = False) -> None:
        super().__init__(f"could not send {message_id}: {reason}")
        self.message_id = message_id
        self.reason = reason
        self.permanent = permanent


class MailTransport(Protocol):
    """Something that delivers a composed message, or raises MailError."""

    def send(self, message: EmailMessage) -> None:
        """Deliver `message` once; raise MailError when it did not leave."""

    def close(self) -> None:
        """Let go of any connection kept open for the next message."""


class SmtpTransport:
    """Deliver through an SMTP server with smtplib, keeping the connection open between messages.

    A worker sends receipts in a row: connecting, securing the connection and logging in
    again for each one cost more than the message itself. So the connection stays open until
    `close()` or an error, and is let go before the next message once it has been idle for
    `keep_seconds` (the server would soon drop it anyway). A kept connection the server has
    closed meanwhile (idle timeout, restart, a limit of messages per connection: a disconnect
    or a 421 reply) is replaced by a new one and the message sent over that, once. Should the
    server have taken the message just before it dropped the connection, the donor gets it
    twice with the same Message-ID, as after any retry.
    """

    def __init__(
        self,
        host: str,
        port: int,
        security: str,
        username: str = "",
        password: str = "",
        timeout: float = 30.0,
        context: ssl.SSLContext | None = None,
        keep_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if security not in SECURITY_MODES:
            raise ValueError(f"SMTP security must be one of {SECURITY_MODES}, not {security!r}")
        if username and security == "none":
            raise ValueError("refusing to send an SMTP password over an unencrypted connection")
        self.host, self.port, self.security = host, port, security
        self.username, self.password, self.timeout = username, password, timeout
        self._context = context
        self._smtp: smtplib.SMTP | None = None
        self.keep_seconds, self._clock = keep_seconds, clock
        self._last_used = 0.0

    @property
    def context(self) -> ssl.SSLContext:
        """The TLS settings: the caller's, or the system's trust store (loaded once a process)."""
        return self._context or _default_tls_context()

    def send(self, message: EmailMessage) -> None:
        """Hand the message over on the open connection, or on a new one; MailError if not."""
        message_id = str(message["Message-ID"])
        if self._smtp is not None and self._clock() - self._last_used > self.keep_seconds:
            self.close()  # idle too long: connect afresh rather than find it dropped
        try:
            refused = self._send(message)
        except (smtplib.SMTPException, OSError) as error:
            self.close()
            failure = _failure(message_id, error)
            log.warning("mail %s not sent: %s", message_id, failure.reason)
            raise failure from error
        if refused:  # some recipients taken, others not: never the case with one recipient
            codes = sorted({code for code, _reply in refused.values()})
            raise MailError(message_id, f"recipients refused ({codes})", permanent=True)
        self._last_used = self._clock()
        log.info("mail %s sent via SMTP", message_id)

    def _send(self, message: EmailMessage) -> dict[str, tuple[int, bytes]]:
        """Send on the kept connection; if the server had closed it, once more on a new one."""
        if self._smtp is None:
            return _hand_over(self._open(), message)
        try:
            return _hand_over(self._smtp, message)
        except (smtplib.SMTPException, OSError) as error:
            if not _closed_by_server(error):
                raise
            log.info("SMTP connection closed by the server; connecting again")
            self.close()
            return _hand_over(self._open(), message)

    def _open(self) -> smtplib.SMTP:
        """Connect, secure and log in (if configured); kept until `close()` or an error."""
        smtp = self._connect()
        try:
            if self.security == "starttls":
                smtp.starttls(context=self.context)
            if self.username:
                smtp.login(self.username, self.password)
        except BaseException:
            smtp.close()
            raise
        self._smtp = smtp
        return smtp

    def _connect(self) -> smtplib.SMTP:
        """An open connection: TLS from the start for "tls", plain (maybe upgraded) otherwise."""
        if self.security == "tls":
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=self.context
            )
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)

    def close(self) -> None:
        """Say goodbye to the server and close the connection, if one is open."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def _hand_over(smtp: smtplib.SMTP, message: EmailMessage) -> dict[str, tuple[int, bytes]]:
    """MAIL FROM, RCPT TO and DATA by smtplib, which asks for SMTPUTF8 where an address is
    outside ASCII."""
    return smtp.send_message(message)


@functools.cache
def _default_tls_context() -> ssl.SSLContext:
    """The default TLS context; reading the system's certificates takes tens of milliseconds."""
    return ssl.create_default_context()


def _closed_by_server(error: Exception) -> bool:
    """Whether `error` says the connection was gone (so the message was not taken)."""
    if isinstance(error, smtplib.SMTPServerDisconnected | ConnectionError):
        return True
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code == 421
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return any(code == 421 for code, _reply in error.recipients.values())
    return False


def _failure(message_id: str, error: Exception) -> MailError:
    """A MailError describing `error` without the server's text (it may quote an address)."""
    kind = type(error).__name__
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _reply in error.recipients.values()})
        return MailError(message_id, f"{kind} {codes}", permanent=all(c >= 500 for c in codes))
    if isinstance(error, smtplib.SMTPResponseException):
        code = error.smtp_code
        return MailError(message_id, f"{kind} {code}", permanent=500 <= code < 600)
    if isinstance(error, OSError) and error.strerror:
        return MailError(message_id, f"{kind}: {error.strerror}")
    return MailError(message_id, kind)


class FileTransport:
    """Write each message to `<folder>/<Message-ID>.eml`; a resend replaces the same file."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def path_for(self, message_id: str) -> Path:
        """The file a message with this Message-ID is written to."""
        name = _UNSAFE_FILENAME.sub("_", message_id.strip().strip("<>"))[:200]
        return self.folder / f"{name or '_'}.eml"

    def send(self, message: EmailMessage) -> None:
        """Write the message atomically: readers never see half a file."""
        message_id = str(message["Message-ID"])
        target = self.path_for(message_id)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # UTF-8 headers where an address needs them, as a server offering SMTPUTF8 gets it.
            _write_atomically(target, message.as_bytes(policy=SMTPUTF8))
        except OSError as error:
            failure = _failure(message_id, error)
            log.warning("mail %s not written: %s", message_id, failure.reason)
            raise failure from error
        log.info("mail %s written to %s", message_id, target.name)

    def close(self) -> None:
        """Nothing is kept open between messages."""


def _write_atomically(target: Path, data: bytes) -> None:
    """Write a temporary file beside `target`, then rename it over `target`."""
    # mkstemp creates the file readable by its owner only: the message holds personal data.
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def transport_from_config(config: Mapping[str, Any], instance_path: str | Path) -> MailTransport:
    """The transport the MAIL_* and SMTP_* settings describe."""
    kind = config.get("MAIL_TRANSPORT", "file")
    if kind == "file":
        folder = config.get("MAIL_FILE_DIR") or ""
        return FileTransport(project_path(folder) if folder else Path(instance_path) / "mail")
    if kind == "smtp":
        return _smtp_from_config(config)
    raise ConfigurationError(f"MAIL_TRANSPORT must be 'file' or 'smtp', not {kind!r}")


def _smtp_from_config(config: Mapping[str, Any]) -> SmtpTransport:
    """An SmtpTransport from the SMTP_* settings; a bad combination names its setting."""
    if not config.get("SMTP_HOST"):
        raise ConfigurationError("SMTP_HOST is needed when MAIL_TRANSPORT is 'smtp'")
    try:
        return SmtpTransport(
            host=str(config["SMTP_HOST"]),
            port=int(config.get("SMTP_PORT", 587)),
            security=str(config.get("SMTP_SECURITY", "starttls")),
            username=str(config.get("SMTP_USERNAME") or ""),
            password=str(config.get("SMTP_PASSWORD") or ""),
            timeout=float(config.get("SMTP_TIMEOUT", 30)),
        )
    except ValueError as error:
        raise ConfigurationError(f"SMTP settings: {error}") from error
