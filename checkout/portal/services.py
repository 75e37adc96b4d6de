"""Signing donors in without passwords: a link by email, then a session of their own.

Asking for a link does the same work for every address (a row and an outbox message), so
the page, its status and its timing say nothing about whether the address gave; the outbox
handler makes the token, and only for an address that gave. Tokens are random, usable once,
and only their SHA-256 is stored. Rows hold the address for a day at most. Services take a
Session and plain values; no Flask here.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from checkout.core.clock import as_utc
from checkout.donations.models import Donor
from checkout.outbox.registry import enqueue
from checkout.portal.models import PortalSession, SignInLink
from checkout.retention import hooks

#: The outbox message that emails a sign-in link (checkout/portal/handlers.py).
SEND_LINK = "portal.send_link"
#: Links and sessions (with the address they hold) are deleted after this; it must be longer
#: than a link's and a session's lifetime.
KEEP_ROWS = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Timeouts:
    """How long a portal session lives: since its last request, and at most."""

    idle: timedelta
    absolute: timedelta


def normalise_email(email: str) -> str:
    """Addresses are compared lower-cased and without surrounding blanks."""
    return email.strip().lower()


def token_hash(token: str) -> str:
    """What is stored of a random token."""
    return hashlib.sha256(token.encode()).hexdigest()


def donors_of(session: Session, email: str) -> list[Donor]:
    """The donor records (one per office) of an address, erased and restricted ones aside."""
    return list(
        session.scalars(
            select(Donor)
            .where(
                func.lower(Donor.email) == normalise_email(email),
                Donor.erased_at.is_(None),
                Donor.restricted_at.is_(None),
            )
            .order_by(Donor.office_code)
        )
    )


# --- links ----------------------------------------------------------------------------------


def request_link(session: Session, email: str, language: str, now: datetime) -> SignInLink:
    """Record a request for a sign-in link and queue its email, whatever the address."""
    forget_old(session, now)
    link = SignInLink(email=normalise_email(email), language=language, created_at=now)
    session.add(link)
    session.flush()
    enqueue(session, SEND_LINK, f"portal-link-{link.public_id}", {"link_id": link.id})
    return link


def mint_token(
    session: Session, link: SignInLink, now: datetime, valid_for: timedelta
) -> str | None:
    """The token for the link's email, when the address gave; else None and the request is
    spent. A new token replaces one made before (a worker that ran twice)."""
    if link.used_at is not None:
        return None
    if not donors_of(session, link.email):
        link.used_at = now
        return None
    token = secrets.token_urlsafe(32)
    link.token_hash, link.expires_at = token_hash(token), now + valid_for
    return token


def link_for_token(session: Session, token: str, now: datetime) -> SignInLink | None:
    """The unused, unexpired link a token belongs to."""
    link = session.scalar(select(SignInLink).where(SignInLink.token_hash == token_hash(token)))
    if link is None or link.used_at is not None or link.expires_at is None:
        return None
    return link if as_utc(link.expires_at) > now else None


@hooks.nightly
def forget_old(session: Session, now: datetime) -> int:
    """Delete links and sessions older than a day: no address is kept longer (each request
    for a link does this, and so does the nightly retention run). How many rows went."""
    before = now - KEEP_ROWS
    links = session.execute(delete(SignInLink).where(SignInLink.created_at < before))
    sessions = session.execute(delete(PortalSession).where(PortalSession.created_at < before))
    return int(getattr(links, "rowcount", 0) or 0) + int(getattr(sessions, "rowcount", 0) or 0)


# --- sessions -------------------------------------------------------------------------------


def sign_in(
    session: Session, link: SignInLink, ip_hash: str | None, now: datetime
) -> tuple[PortalSession, str]:
    """Spend the link; a new session and the token for its cookie."""
    link.used_at = now
    token = secrets.token_urlsafe(32)
    row = PortalSession(
        token_hash=token_hash(token),
        email=link.email,
        created_at=now,
        last_seen_at=now,
        ip_hash=ip_hash,
    )
    session.add(row)
    session.flush()
    return row, token


def session_for_token(
    session: Session, token: str, now: datetime, timeouts: Timeouts
) -> PortalSession | None:
    """The live session of this cookie token, seen now; None (and ended) when it was idle too
    long, is too old, or was signed out."""
    row = session.scalar(select(PortalSession).where(PortalSession.token_hash == token_hash(token)))
    if row is None or row.ended_at is not None:
        return None
    idle = now - as_utc(row.last_seen_at) > timeouts.idle
    too_old = now - as_utc(row.created_at) > timeouts.absolute
    if idle or too_old:
        row.ended_at = now
        return None
    row.last_seen_at = now
    return row


def end_session(row: PortalSession, now: datetime) -> None:
    """Sign this browser out."""
    row.ended_at = row.ended_at or now


@hooks.on_erasure
def forget_address(session: Session, email: str) -> None:
    """Delete every link and session of the address (after its erasure request): each
    browser signed in with it is signed out for good."""
    address = normalise_email(email)
    session.execute(delete(SignInLink).where(SignInLink.email == address))
    session.execute(delete(PortalSession).where(PortalSession.email == address))
