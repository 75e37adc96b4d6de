"""An erasure request: the one service the CLI, the donor portal and the support console call.

For each office the address gave to: if something is still due (a recurring gift that may be
debited, money still moving) nothing is erased yet and the answer says why; if the office's
tax period is over, or the donor never gave, everything is erased now; otherwise what tax
law does not need is erased now and the rest is restricted until the period ends (the answer
says until when), then erased by the nightly run. Every office that had the address puts it
on its suppression list. Drafts and stored emails of the address are erased in every case.
The caller applies the returned file changes, then commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from checkout.consent.decisions import suppress
from checkout.core.files import FileChanges
from checkout.donations.models import Donor
from checkout.retention import erasure, hooks, periods
from checkout.retention.erasure import ErasureSettings

ERASED, RESTRICTED, KEPT = "erased", "restricted", "kept"


@dataclass(frozen=True, slots=True)
class OfficeAnswer:
    """What happened to the address's data at one office."""

    office_code: str
    outcome: str  # erased, restricted or kept
    until: date | None = None  # restricted: erased after this day
    reason: str | None = None  # kept: why nothing could be erased yet


@dataclass
class ErasureAnswer:
    """The request's outcome per office, and the files the caller must change."""

    email: str
    offices: list[OfficeAnswer] = field(default_factory=list)
    drafts: int = 0
    changes: FileChanges = field(default_factory=FileChanges)


def erase_on_request(
    session: Session, email: str, settings: ErasureSettings, now: datetime
) -> ErasureAnswer:
    """Erase what may go now, restrict what tax law keeps, and say until when."""
    address = email.strip().lower()
    answer = ErasureAnswer(address)
    donors = session.scalars(
        select(Donor)
        .where(func.lower(Donor.email) == address, Donor.erased_at.is_(None))
        .order_by(Donor.office_code)
    ).all()
    for donor in donors:
        answer.offices.append(_answer(session, donor, settings, now, answer))
    tally = erasure.erase_address(session, address, settings, now)
    hooks.forget_address(session, address)  # the portal's links, sign-ups waiting, ...
    answer.drafts += tally.drafts
    answer.changes.merge(tally.changes)
    return answer


def _answer(
    session: Session,
    donor: Donor,
    settings: ErasureSettings,
    now: datetime,
    answer: ErasureAnswer,
) -> OfficeAnswer:
    office = donor.office_code
    suppress(session, office, donor.email, settings.hash_key, "erasure_request")
    reason = periods.still_due(session, donor)
    if reason is not None:
        return OfficeAnswer(office, KEPT, reason=reason)
    years = settings.offices.get(office).retention_years
    if periods.period_over(session, donor, years, now) or not periods.has_tax_records(
        session, donor
    ):
        tally = erasure.erase(session, [donor], settings, now)
        answer.drafts += tally.drafts
        answer.changes.merge(tally.changes)
        return OfficeAnswer(office, ERASED)
    until = periods.kept_until(session, donor, years)
    tally = erasure.restrict(session, donor, until, settings, now)
    answer.drafts += tally.drafts
    answer.changes.merge(tally.changes)
    return OfficeAnswer(office, RESTRICTED, until=until)
