"""Time-based one-time passwords (RFC 6238) with pyotp, and their QR code drawn by segno.

Codes have 6 digits and 30-second steps; one step either side is accepted for clock drift,
and a code is refused once a code of its step (or a later one) was accepted: it works once.
"""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp
import segno

STEP_SECONDS = 30
DRIFT_STEPS = 1


def new_secret() -> str:
    """A fresh random base32 secret (160 bits)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, account_name: str, issuer: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The QR code of `uri` as an inline SVG element, drawn here (no third-party request)."""
    return str(segno.make(uri, error="m").svg_inline(scale=5, border=4, svgclass="totp-qr"))


def accepted_step(secret: str, code: str, last_step: int | None, now: datetime) -> int | None:
    """The step `code` belongs to when it is right and not used before, else None."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        expected = totp.generate_otp(step)
        if hmac.compare_digest(expected, code):
            return step if last_step is None or step > last_step else None
    return None
