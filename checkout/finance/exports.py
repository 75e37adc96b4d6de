"""Exports for the books: a payout's (or a period's) lines, and their double-entry journal.

Both are generators of CSV text: rows are read from the database in batches (`yield_per`, a
server-side cursor on PostgreSQL) and written out a chunk at a time, so memory stays the same
however many lines there are. Text cells are neutralised for spreadsheets as the office
export does (transfers/formats.py `spreadsheet_safe`): a cell starting = + - @ tab or CR
gets an apostrophe.

Journal: one posting a row, its amount in the debit or the credit column and signed in
`amount` (debits positive, credits negative). Each balance transaction is one entry of two
postings in the settlement currency, the Stripe balance against the account its kind books
to (donations, refunds, disputes, other; the bank for the payout itself), and a second entry
for its fee (fees against the Stripe balance). Each entry's debit equals its credit.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from checkout.core.currencies import exponent
from checkout.finance.models import BalanceTransaction, Payout
from checkout.offices.models import LedgerAccounts
from checkout.transfers.formats import spreadsheet_safe

#: Rows read from the database at a time, and CSV rows written per chunk sent.
BATCH = 1_000
LINE_COLUMNS = (
    "payout",
    "arrival_date",
    "balance_transaction",
    "created",
    "type",
    "reporting_category",
    "source",
    "charge",
    "payment_id",
    "currency",
    "amount",
    "fee",
    "net",
    "exchange_rate",
)
JOURNAL_COLUMNS = ("date", "account", "debit", "credit", "amount", "currency", "reference")


def _major(minor: int, currency: str) -> Decimal:
    """Minor units as a decimal in major units (-40.00), as books take them. A number, not
    text: only text cells are neutralised, so a negative amount stays a number."""
    digits = exponent(currency)
    return Decimal(minor).scaleb(-digits).quantize(Decimal(1).scaleb(-digits))


def _lines(
    office: str, payout_id: int | None, start: date | None, end: date | None
) -> Select[BalanceTransaction, str, date]:
    query = (
        select(BalanceTransaction, Payout.stripe_payout_id, Payout.arrival_date)
        .join(Payout, BalanceTransaction.payout_id == Payout.id)
        .where(BalanceTransaction.office_code == office)
        .order_by(Payout.arrival_date, Payout.id, BalanceTransaction.id)
    )
    if payout_id is not None:
        query = query.where(Payout.id == payout_id)
    if start is not None:
        query = query.where(Payout.arrival_date >= start)
    if end is not None:
        query = query.where(Payout.arrival_date <= end)
    return query.execution_options(yield_per=BATCH)


def _cell(value: object) -> object:
    if value is None:
        return ""
    return spreadsheet_safe(value) if isinstance(value, str) else value


def _chunks(header: tuple[str, ...], rows: Iterator[list[object]]) -> Iterator[str]:
    """CSV text of `rows` under `header`, BATCH rows per chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for count, row in enumerate(rows, start=1):
        writer.writerow([_cell(value) for value in row])
        if count % BATCH == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def lines_csv(
    session: Session,
    office: str,
    *,
    payout_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
) -> Iterator[str]:
    """The lines of one payout, or of the office's payouts arriving from `start` to `end`."""

    def rows() -> Iterator[list[object]]:
        for line, payout, arrival in session.execute(_lines(office, payout_id, start, end)):
            currency = line.currency
            yield [
                payout,
                arrival.isoformat(),
                line.stripe_balance_transaction_id,
                line.stripe_created.isoformat(),
                line.type,
                line.reporting_category,
                line.source_id,
                line.charge_id,
                line.payment_id,
                currency,
                _major(line.amount_minor, currency),
                _major(line.fee_minor, currency),
                _major(line.net_minor, currency),
                line.exchange_rate,
            ]

    return _chunks(LINE_COLUMNS, rows())


def _counter_account(line: BalanceTransaction, accounts: LedgerAccounts) -> str:
    """The account a line books against the Stripe balance."""
    if line.type == "payout":
        return accounts.bank
    if line.reporting_category.startswith("dispute"):
        return accounts.disputes
    if line.type in ("refund", "refund_failure"):
        return accounts.refunds
    if line.type in ("charge", "payment", "payment_failure_refund"):
        return accounts.donations
    return accounts.other


def _entry(
    day: str, account: str, balance: str, minor: int, currency: str, reference: str
) -> Iterator[list[object]]:
    """Two postings: money into the Stripe balance (minor > 0) from `account`, or out of it."""
    amount = _major(abs(minor), currency)
    debit, credit = (balance, account) if minor > 0 else (account, balance)
    yield [day, debit, amount, "", amount, currency, reference]
    yield [day, credit, "", amount, -amount, currency, reference]


def journal_csv(
    session: Session,
    office: str,
    accounts: LedgerAccounts,
    *,
    payout_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
) -> Iterator[str]:
    """The double-entry journal of the same lines as `lines_csv`."""

    def rows() -> Iterator[list[object]]:
        balance = accounts.stripe_balance
        for line, payout, arrival in session.execute(_lines(office, payout_id, start, end)):
            day, currency = arrival.isoformat(), line.currency
            reference = f"{payout} {line.stripe_balance_transaction_id}"
            if line.amount_minor:
                counter = _counter_account(line, accounts)
                yield from _entry(day, counter, balance, line.amount_minor, currency, reference)
            if line.fee_minor:  # a fee leaves the balance; a returned fee comes back
                yield from _entry(day, accounts.fees, balance, -line.fee_minor, currency, reference)

    return _chunks(JOURNAL_COLUMNS, rows())
