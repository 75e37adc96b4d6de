"""Counting what the database records: payments started, succeeded, failed; receipts issued.

Rather than a call beside every place a payment moves (the webhook's handlers, the return
page, support's actions), the session is watched: before each flush the rows that are new
or changed status are noted, and once the transaction commits they are counted. A rolled
back transaction counts nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import get_history

from checkout.donations.models import Donation, Payment
from checkout.donations.states import Status
from checkout.metrics import PAYMENTS, RECEIPTS
from checkout.receipts.models import Receipt

_NOTED = "checkout.metrics.noted"
Noted = list[tuple[str, dict[str, str]]]


def watch(sessions: sessionmaker[Session]) -> None:
    """Count the records of every session `sessions` makes."""
    event.listen(sessions, "before_flush", _note)
    event.listen(sessions, "after_commit", _count)
    event.listen(sessions, "after_rollback", _forget)


def _note(session: Session, _context: Any, _instances: Any) -> None:
    noted: Noted = session.info.setdefault(_NOTED, [])
    for record in session.new:
        noted.extend(_new(record))
    for record in session.dirty:
        noted.extend(_changed(record))


def _new(record: object) -> Noted:
    if isinstance(record, Donation):
        return [("payments", _labels(record, "started"))]
    if isinstance(record, Payment) and record.status == Status.SUCCEEDED:
        return [("payments", _labels(record.donation, "succeeded"))]
    if isinstance(record, Receipt):
        return [("receipts", {"office": record.office_code})]
    return []


def _changed(record: object) -> Noted:
    if isinstance(record, Payment) and _moved_to(record, Status.SUCCEEDED):
        return [("payments", _labels(record.donation, "succeeded"))]
    if isinstance(record, Donation) and _moved_to(record, Status.FAILED):
        return [("payments", _labels(record, "failed"))]
    return []


def _moved_to(record: Donation | Payment, status: Status) -> bool:
    history = get_history(record, "status")
    return status.value in (history.added or ()) and status.value not in (history.deleted or ())


def _labels(donation: Donation, outcome: str) -> dict[str, str]:
    return {"office": donation.office_code, "method": donation.method, "outcome": outcome}


def _count(session: Session) -> None:
    for metric, labels in session.info.pop(_NOTED, []):
        (PAYMENTS if metric == "payments" else RECEIPTS).labels(**labels).inc()


def _forget(session: Session) -> None:
    session.info.pop(_NOTED, None)
