"""Who is signed in to the portal, and the rules every portal view follows.

A view wrapped in `requires_donor` runs only for a live session. Records are reached only
through the donors of the signed-in address (`SignedIn`), so another donor's id answers 404
(`not_found`), the same as an id that does not exist. Every look at personal data and every
action goes into the audit log with the donor as the actor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any, NoReturn, TypeVar

from flask import abort, current_app, g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from checkout.audit import services as audit
from checkout.consent.services import keyed_ip_hash
from checkout.core.clock import utcnow
from checkout.db import db_session
from checkout.donations.models import Donor
from checkout.portal import services
from checkout.portal.models import PortalSession

View = TypeVar("View", bound=Callable[..., Any])
#: The session key holding the random token of the portal session (its hash is in the database).
TOKEN_KEY = "portal_token"  # noqa: S105 - a key name, not a secret
_SIGNED_IN = "portal_signed_in"


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The signed-in donor: this browser's session and the donor records of its address."""

    row: PortalSession
    donors: tuple[Donor, ...]

    @property
    def email(self) -> str:
        """The address the sign-in link went to."""
        return self.row.email

    @property
    def donor_ids(self) -> list[int]:
        """Ids of the donor records this session may see."""
        return [donor.id for donor in self.donors]

    def donor_of(self, donor_id: int | None) -> Donor | None:
        """One of this session's donors by id, or None (another donor's, or none)."""
        return next((donor for donor in self.donors if donor.id == donor_id), None)


def timeouts() -> services.Timeouts:
    """The configured idle and absolute session lifetimes."""
    config = current_app.config
    return services.Timeouts(
        idle=timedelta(minutes=int(config["PORTAL_IDLE_MINUTES"])),
        absolute=timedelta(hours=int(config["PORTAL_ABSOLUTE_HOURS"])),
    )


def signed_in() -> SignedIn | None:
    """The signed-in donor of this request, if any (looked up once per request)."""
    if _SIGNED_IN not in g:
        g.setdefault(_SIGNED_IN, _look_up())
    found: SignedIn | None = g.get(_SIGNED_IN)
    return found


def _look_up() -> SignedIn | None:
    token = session.get(TOKEN_KEY)
    if not isinstance(token, str):
        return None
    row = services.session_for_token(db_session(), token, utcnow(), timeouts())
    if row is None:
        return None
    donors = services.donors_of(db_session(), row.email)
    return SignedIn(row, tuple(donors)) if donors else None


def forget() -> None:
    """This request no longer counts as signed in (signed out, or the data erased)."""
    g.pop(_SIGNED_IN, None)
    g.setdefault(_SIGNED_IN, None)


def current() -> SignedIn:
    """The signed-in donor (only inside `requires_donor` views)."""
    found = signed_in()
    assert found is not None
    return found


def requires_donor(view: View) -> View:
    """Run the view for a signed-in donor; anyone else goes to the sign-in page."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if signed_in() is None:
            expired = TOKEN_KEY in session
            session.pop(TOKEN_KEY, None)
            return redirect(url_for("portal.sign_in", expired=1 if expired else None))
        return view(*args, **kwargs)

    return guarded  # type: ignore[return-value]


def client_hash() -> str | None:
    """The keyed hash of the client's address, as the consent ledger keeps it."""
    return keyed_ip_hash(request.remote_addr, str(current_app.config["EVIDENCE_HASH_KEY"]))


def actor() -> audit.Actor:
    """The donor acting in this request, for the audit log."""
    return audit.Actor("donor", ip_hash=client_hash())


def log(
    action: str,
    donor: Donor | None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    *,
    outcome: str = "ok",
    detail: str = "",
) -> None:
    """Add an event about one of the donor's records (written when the request commits)."""
    subject = audit.Subject(
        donor.office_code if donor else None,
        donor.id if donor else None,
        object_type,
        object_id,
    )
    audit.record(db_session(), actor(), action, subject, outcome=outcome, detail=detail)


def log_each(action: str, donors: Iterable[Donor], detail: str = "") -> None:
    """One event per donor record (each office's log sees what touched its donor)."""
    for donor in donors:
        log(action, donor, detail=detail)


def not_found(action: str = "portal.not_found") -> NoReturn:
    """404 for a record that does not exist or is another donor's, logged (committed now:
    an error answer rolls the request back)."""
    found = signed_in()
    database = db_session()
    database.rollback()
    who = found.donors[0] if found else None
    log(action, who, outcome="denied", detail=request.path[:200])
    database.commit()
    abort(404)


def protect_response(response: Response) -> Response:
    """Portal pages: never cached, never framed, and no Referer (a sign-in link's token)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
