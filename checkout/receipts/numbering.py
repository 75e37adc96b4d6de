"""Receipt numbers: one gapless sequence per office and calendar year.

The number is taken in the receipt's own transaction from a counter row held under a row lock
(SELECT ... FOR UPDATE on PostgreSQL; SQLite's write lock does the same): if the transaction
rolls back, so does the number, so there are no gaps and no repeats with any number of workers.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from checkout.receipts.models import ReceiptCounter


def format_number(office_code: str, year: int, serial: int) -> str:
    """DE-2026-000123."""
    return f"{office_code}-{year}-{serial:06d}"


def next_serial(session: Session, office_code: str, year: int) -> int:
    """Take the next serial for (office, year) inside the caller's transaction."""
    counter = _locked_counter(session, office_code, year)
    if counter is None:
        _create_counter(session, office_code, year)
        counter = _locked_counter(session, office_code, year)
        assert counter is not None
    counter.last_serial += 1
    session.flush()
    return counter.last_serial


def _locked_counter(session: Session, office_code: str, year: int) -> ReceiptCounter | None:
    statement = (
        select(ReceiptCounter)
        .where(ReceiptCounter.office_code == office_code, ReceiptCounter.year == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(statement).first()


def _create_counter(session: Session, office_code: str, year: int) -> None:
    """The year's first receipt: create its counter; another worker may win that race."""
    try:
        with session.begin_nested():
            session.add(ReceiptCounter(office_code=office_code, year=year, last_serial=0))
            session.flush()
    except IntegrityError:
        pass  # the other worker's row is there now; lock it instead
