"""Finding and creating donations. Services take a Session and never touch the request."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.donations.models import Donation

#: What new_public_id makes: URL-safe base64 characters.
PUBLIC_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")


def find_by_public_id(session: Session, public_id: str) -> Donation | None:
    """The donation behind a thank-you URL, or None."""
    if not PUBLIC_ID.fullmatch(public_id):  # anything else cannot be ours (a NUL, a slash)
        return None
    return session.scalar(select(Donation).where(Donation.public_id == public_id))
