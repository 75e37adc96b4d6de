"""Writing to the audit log, reading it back for admins, and erasing a donor's traces in it.

Services take a Session; no Flask here. Rows are only ever added: the database refuses any
other change, except `erase_donor`'s blanking of free text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, case, or_, select, update
from sqlalchemy.orm import Session

from checkout.audit.models import ACTOR_KINDS, OUTCOMES, AuditEvent

#: How much of a free text the log keeps (a reason is a sentence or two, not a letter).
MAX_TEXT = 2000


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something: a staff member, a donor, the system, or someone not signed in."""

    kind: str
    staff_account_id: int | None = None
    ip_hash: str | None = None

    def __post_init__(self) -> None:
        """Refuse a kind the table's CHECK would refuse later, where the mistake is made."""
        if self.kind not in ACTOR_KINDS:
            raise ValueError(f"unknown actor kind {self.kind!r}")


@dataclass(frozen=True, slots=True)
class Subject:
    """What an event is about: an office's donor and one of their records, as far as known."""

    office_code: str | None = None
    donor_id: int | None = None
    object_type: str | None = None
    object_id: str | int | None = None


def record(
    session: Session,
    actor: Actor,
    action: str,
    subject: Subject | None = None,
    *,
    outcome: str = "ok",
    reason: str = "",
    detail: str = "",
) -> AuditEvent:
    """Add one event in the caller's transaction (it is written when that commits)."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    subject = subject or Subject()
    event = AuditEvent(
        actor_kind=actor.kind,
        staff_account_id=actor.staff_account_id,
        ip_hash=actor.ip_hash,
        action=action,
        outcome=outcome,
        office_code=subject.office_code,
        donor_id=subject.donor_id,
        object_type=subject.object_type,
        object_id=None if subject.object_id is None else str(subject.object_id),
        reason=reason.strip()[:MAX_TEXT],
        detail=detail.strip()[:MAX_TEXT],
    )
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What an admin narrows the log to; None means any."""

    action: str | None = None
    staff_account_id: int | None = None
    donor_id: int | None = None
    office_code: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _query(wanted: AuditFilter, offices: frozenset[str] | None) -> Select[AuditEvent]:
    """Events matching `wanted` within `offices` (None: every office); events tied to no
    office (sign-ins) are in every admin's view."""
    query = select(AuditEvent)
    if offices is not None:
        query = query.where(
            or_(AuditEvent.office_code.is_(None), AuditEvent.office_code.in_(sorted(offices)))
        )
    exact = {
        AuditEvent.action: wanted.action,
        AuditEvent.staff_account_id: wanted.staff_account_id,
        AuditEvent.donor_id: wanted.donor_id,
        AuditEvent.office_code: wanted.office_code,
        AuditEvent.outcome: wanted.outcome,
    }
    for column, value in exact.items():
        if value is not None:
            query = query.where(column == value)
    if wanted.since is not None:
        query = query.where(AuditEvent.occurred_at >= wanted.since)
    if wanted.until is not None:
        query = query.where(AuditEvent.occurred_at < wanted.until)
    return query


def find(
    session: Session,
    wanted: AuditFilter,
    offices: frozenset[str] | None,
    *,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[AuditEvent], bool]:
    """One page of matching events, newest first, and whether another page follows."""
    query = _query(wanted, offices).order_by(AuditEvent.id.desc())
    rows = list(session.scalars(query.offset((page - 1) * per_page).limit(per_page + 1)))
    return rows[:per_page], len(rows) > per_page


EXPORT_COLUMNS = (
    "id",
    "occurred_at",
    "actor_kind",
    "staff_account_id",
    "action",
    "outcome",
    "office_code",
    "donor_id",
    "object_type",
    "object_id",
    "reason",
    "detail",
    "ip_hash",
)


def export_csv(
    session: Session, wanted: AuditFilter, offices: frozenset[str] | None
) -> Iterator[str]:
    """The matching events as CSV text, oldest first, a chunk per few hundred rows."""
    query = _query(wanted, offices).order_by(AuditEvent.id).execution_options(yield_per=500)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    for count, event in enumerate(session.scalars(query), start=1):
        writer.writerow([_cell(getattr(event, column)) for column in EXPORT_COLUMNS])
        if count % 500 == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _cell(value: object) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula is quoted with an apostrophe."""
    text = value.isoformat() if isinstance(value, datetime) else "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def erase_donor(session: Session, donor_id: int, traces: Iterable[str]) -> int:
    """Blank the free text of every event about this donor, or whose text holds one of
    `traces` (their email, name: a search for them), and the address hash where the donor
    acted: the one change the database allows. Returns how many events were blanked."""
    needles = sorted({trace.strip() for trace in traces if len(trace.strip()) >= 3})
    mentions = [
        AuditEvent.detail.contains(n, autoescape=True)
        | AuditEvent.reason.contains(n, autoescape=True)
        for n in needles
    ]
    theirs = or_(AuditEvent.donor_id == donor_id, *mentions)
    blanked = session.execute(
        update(AuditEvent)
        .where(theirs, or_(AuditEvent.reason != "", AuditEvent.detail != ""))
        .values(
            reason="",
            detail="",
            ip_hash=case((AuditEvent.actor_kind == "donor", None), else_=AuditEvent.ip_hash),
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(blanked, "rowcount", 0) or 0)
