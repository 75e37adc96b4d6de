"""Finding and creating donations. Services take a Session and never touch the request."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.donations.models import Donation


def find_by_public_id(session: Session, public_id: str) -> Donation | None:
    """The donation behind a thank-you URL, or None."""
    if not public_id or len(public_id) > 32:
        return None
    return session.scalar(select(Donation).where(Donation.public_id == public_id))
