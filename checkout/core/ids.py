"""Random identifiers that are safe to show: unguessable, URL-safe, no personal data."""

from __future__ import annotations

import secrets

_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: read over the phone


def new_public_id() -> str:
    """An unguessable id for URLs and cookies (128 bits of randomness).

    Never one that starts with "-": a spreadsheet takes such a cell for a formula, so the
    offices' CSV exports would have to alter the id (they neutralise it with a quote) and it
    would no longer match the same id anywhere else. One id in 64 is drawn again.
    """
    while True:
        drawn = secrets.token_urlsafe(16)
        if not drawn.startswith("-"):
            return drawn


def new_reference() -> str:
    """A short reference a donor can read to support, e.g. 'K7QX-M2PD'."""
    chars = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"{chars[:4]}-{chars[4:]}"
