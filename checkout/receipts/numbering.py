"""Receipt numbers: one gapless sequence per office and calendar year.

The number is taken in the receipt's own transaction from a counter row held under a row lock
(an UPDATE's row lock on PostgreSQL; SQLite's write lock does the same): if the transaction
rolls back, so does the number, so there are no gaps and no repeats with any number of workers.
Several numbers of one office are taken in one step (`take_serials`); a transaction that needs
several offices' takes them in the order of their codes, as every such transaction does, so
two of them never wait for each other's counters.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from checkout.db import upsert_insert
from checkout.receipts.models import ReceiptCounter


def format_number(office_code: str, year: int, serial: int) -> str:
    """DE-2026-000123."""
    return f"{office_code}-{year}-{serial:06d}"


def next_serial(session: Session, office_code: str, year: int) -> int:
    """Take the next serial for (office, year) inside the caller's transaction."""
    return take_serials(session, office_code, year, 1).start


def take_serials(session: Session, office_code: str, year: int, count: int) -> range:
    """Take the next `count` serials for (office, year) inside the caller's transaction.

    One `UPDATE ... RETURNING`: the update takes the row lock (held to the commit) and
    reads the new value in one round trip; the year's first receipt creates the row first.
    """
    if count < 1:
        raise ValueError(f"at least one serial is taken, not {count}")
    last = _increment(session, office_code, year, count)
    if last is None:
        _create_counter(session, office_code, year)
        last = _increment(session, office_code, year, count)
        assert last is not None
    return range(last - count + 1, last + 1)


def _increment(session: Session, office_code: str, year: int, count: int) -> int | None:
    counters = ReceiptCounter.__table__.c
    return session.execute(
        update(ReceiptCounter)
        .where(counters.office_code == office_code, counters.year == year)
        .values(last_serial=counters.last_serial + count)
        .returning(counters.last_serial)
        .execution_options(synchronize_session=False)  # no counter object is kept in sessions
    ).scalar()


def _create_counter(session: Session, office_code: str, year: int) -> None:
    """The year's first receipt: create its counter, unless another worker just did."""
    session.execute(
        upsert_insert(session, ReceiptCounter)
        .values(office_code=office_code, year=year, last_serial=0)
        .on_conflict_do_nothing()  # the other worker's row: the update waits for its lock
    )
