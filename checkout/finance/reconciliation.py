"""Reconciliation: what each payout holds and whether it adds up, and every mismatch between
Stripe's balance and our records, kept as an exception until a person explains it.

Everything here is set-based SQL (joins, NOT EXISTS) run by the database over all of an
office's rows at once: a statement per kind of mismatch (a gift missing at Stripe and a
booking of another amount or currency share one pass over payments joined with the lines),
however many transactions there are (bench/ measures it against a plain join). Each is a
plain SELECT, which PostgreSQL may run in parallel, and what it finds is written after it; a
payout's totals are summed once, when its lines are stored (ingest.py), not on every look.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from checkout.core.clock import utcnow
from checkout.db import upsert_insert
from checkout.donations.models import Payment
from checkout.donations.states import MONEY_KEPT, Status
from checkout.finance.models import (
    BOOKING_TYPES,
    BalanceTransaction,
    Payout,
    ReconciliationException,
)
from checkout.receipts.models import ISSUED, Receipt, ReceiptItem

#: A column or SQL expression (SQLAlchemy's generics say little more here).
Expr = Any

#: States in which the money never reached the charity (a refund or lost dispute took it
#: back later: those are the other kind).
NEVER_KEPT = tuple(s.value for s in (Status.PENDING, Status.PROCESSING, Status.FAILED))
NEVER_KEPT += (Status.CANCELED.value, Status.DRAFT.value)
GIVEN_BACK = (Status.REFUNDED.value, Status.LOST.value, Status.PARTIALLY_REFUNDED.value)
KEPT = tuple(sorted(s.value for s in MONEY_KEPT))

# The kinds of exception, in the order the console lists them.
CHARGE_NOT_OURS = "charge_not_ours"
MISSING_AT_STRIPE = "missing_at_stripe"
AMOUNT_MISMATCH = "amount_mismatch"
CURRENCY_MISMATCH = "currency_mismatch"
RECEIPT_NOT_KEPT = "receipt_money_not_kept"
RECEIPT_MISSING = "receipt_missing"
RECEIPT_NOT_VOIDED = "receipt_not_voided"
PAYOUT_UNBALANCED = "payout_unbalanced"
KINDS = (
    CHARGE_NOT_OURS,
    MISSING_AT_STRIPE,
    AMOUNT_MISMATCH,
    CURRENCY_MISMATCH,
    RECEIPT_NOT_KEPT,
    RECEIPT_MISSING,
    RECEIPT_NOT_VOIDED,
    PAYOUT_UNBALANCED,
)


@dataclass(frozen=True, slots=True)
class Rules:
    """How long things may take before they are a mismatch."""

    #: Whether an office receipts each instalment of a plan (else: an annual statement).
    receipt_per_instalment: bool
    #: How long after its payment a receipt may take (the outbox numbers and sends it).
    receipt_grace: timedelta = timedelta(days=2)
    #: How long a charge may take to reach a payout (bank debits are available after days).
    payout_grace: timedelta = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class PayoutTotals:
    """What one payout holds, in its currency (the account's settlement currency)."""

    payout_id: int
    stripe_payout_id: str
    office_code: str
    currency: str
    arrival_date: date
    status: str
    amount_minor: int
    gross_minor: int
    refunds_minor: int
    disputes_minor: int
    other_minor: int
    fees_minor: int
    net_minor: int
    lines: int
    complete: bool

    @property
    def balanced(self) -> bool:
        """The lines' net is exactly what reached the bank."""
        return self.complete and self.net_minor == self.amount_minor


@dataclass(frozen=True, slots=True)
class CurrencyTotals:
    """An office's payouts of one currency over a period, summed."""

    office_code: str
    currency: str
    payouts: int
    amount_minor: int
    gross_minor: int
    refunds_minor: int
    disputes_minor: int
    other_minor: int
    fees_minor: int
    net_minor: int


# --- totals ---------------------------------------------------------------------------------------


#: What a payout's lines hold, kept on the payout when they are stored (finance/ingest.py).
_SUMS = ("gross_minor", "refunds_minor", "disputes_minor", "other_minor", "fees_minor", "net_minor")


def payout_totals(
    session: Session, offices: list[str] | None, payout_ids: list[int] | None = None
) -> list[PayoutTotals]:
    """The totals of the payouts of `offices` (None: all), newest first."""
    query = select(Payout).order_by(Payout.arrival_date.desc(), Payout.id.desc())
    if offices is not None:
        query = query.where(Payout.office_code.in_(offices))
    if payout_ids is not None:
        query = query.where(Payout.id.in_(payout_ids))
    return [_totals(payout) for payout in session.scalars(query)]


def _totals(payout: Payout) -> PayoutTotals:
    return PayoutTotals(
        payout.id,
        payout.stripe_payout_id,
        payout.office_code,
        payout.currency,
        payout.arrival_date,
        payout.status,
        payout.amount_minor,
        gross_minor=payout.gross_minor or 0,
        refunds_minor=payout.refunds_minor or 0,
        disputes_minor=payout.disputes_minor or 0,
        other_minor=payout.other_minor or 0,
        fees_minor=payout.fees_minor or 0,
        net_minor=payout.net_minor or 0,
        lines=payout.line_count or 0,
        complete=payout.lines_complete_at is not None,
    )


def currency_totals(
    session: Session, offices: list[str] | None, start: date, end: date
) -> list[CurrencyTotals]:
    """Per office and currency, the payouts arriving from `start` to `end` (inclusive)."""
    query = (
        select(
            Payout.office_code,
            Payout.currency,
            func.count(Payout.id),
            func.sum(Payout.amount_minor),
            *(func.coalesce(func.sum(getattr(Payout, name)), 0) for name in _SUMS),
        )
        .where(Payout.arrival_date >= start, Payout.arrival_date <= end)
        .group_by(Payout.office_code, Payout.currency)
        .order_by(Payout.office_code, Payout.currency)
    )
    if offices is not None:
        query = query.where(Payout.office_code.in_(offices))
    return [
        CurrencyTotals(str(row[0]), str(row[1]), *(int(value or 0) for value in row[2:]))
        for row in session.execute(query)
    ]


# --- exceptions -----------------------------------------------------------------------------------


def _key(kind: str, ident: Expr) -> Expr:
    return literal(f"{kind}:") + cast(ident, String)


def _found(
    kind: str,
    key: Expr,
    office: Expr,
    *,
    payout: Expr | None = None,
    payment: Expr | None = None,
    receipt: Expr | None = None,
    reference: Expr | None = None,
    currency: Expr | None = None,
    expected: Expr | None = None,
    actual: Expr | None = None,
) -> list[Expr]:
    """The columns of one kind's SELECT, in the order of `_COLUMNS`."""

    def typed(value: Expr | None, kind_of: type) -> Expr:
        return value if value is not None else cast(null(), Integer if kind_of is int else String)

    return [
        key.label("key"),
        office.label("office_code"),
        literal(kind).label("kind"),
        typed(payout, int).label("payout_id"),
        typed(payment, int).label("payment_id"),
        typed(receipt, int).label("receipt_id"),
        typed(reference, str).label("stripe_reference"),
        typed(currency, str).label("currency"),
        typed(expected, int).label("expected_minor"),
        typed(actual, int).label("actual_minor"),
    ]


_COLUMNS = [
    "key",
    "office_code",
    "kind",
    "payout_id",
    "payment_id",
    "receipt_id",
    "stripe_reference",
    "currency",
    "expected_minor",
    "actual_minor",
]


def _charges_not_ours(office: str) -> Select[Any]:
    """A charge in a payout that none of our payments made (taken outside the checkout)."""
    line = BalanceTransaction
    return select(
        *_found(
            CHARGE_NOT_OURS,
            _key(CHARGE_NOT_OURS, line.stripe_balance_transaction_id),
            line.office_code,
            payout=line.payout_id,
            reference=line.source_id,
            currency=line.currency,
            actual=line.amount_minor,
        )
    ).where(line.office_code == office, line.type.in_(BOOKING_TYPES), line.payment_id.is_(None))


def _wrong_currency() -> Expr:
    """The line booked our payment in another currency than ours (unconverted), or converted
    it into another settlement currency than we recorded."""
    line = BalanceTransaction
    return or_(
        and_(line.exchange_rate.is_(None), line.currency != Payment.currency),
        and_(
            line.exchange_rate.is_not(None),
            Payment.settlement_currency.is_not(None),
            Payment.settlement_currency != line.currency,
        ),
    )


def _wrong_amount() -> Expr:
    """Same currency, no exchange, another amount."""
    line = BalanceTransaction
    return and_(
        line.exchange_rate.is_(None),
        line.currency == Payment.currency,
        line.amount_minor != Payment.amount_minor,
    )


def _bookings_against_payments(office: str, before: datetime | None) -> Select[Any]:
    """Our payments against Stripe's bookings of them, in one pass over payments left-joined
    with the booking lines (the two kinds used to be two statements, each joining the same
    million rows):

    - missing at Stripe: a payment of the office we think kept, old enough to be in a
      reconciled payout (paid before `before`), that no line books;
    - a booking of the office that Stripe made otherwise: a different currency, else a
      different amount.

    The payment's own office scopes it: its donation's, looked up per payment, kept the pass
    in one process, and joined, added a third million-row table to it.
    """
    line = BalanceTransaction
    unbooked = line.id.is_(None)
    missing: Expr = literal(False)
    if before is not None:  # else no reconciled payout yet: nothing can be missing from one
        missing = and_(
            unbooked,
            Payment.office_code == office,
            Payment.status.in_(KEPT),
            Payment.paid_at <= before,
        )
    wrong_currency = _wrong_currency()
    mismatch = and_(line.office_code == office, or_(wrong_currency, _wrong_amount()))
    kind = case(
        (unbooked, literal(MISSING_AT_STRIPE)),
        (wrong_currency, literal(CURRENCY_MISMATCH)),
        else_=literal(AMOUNT_MISMATCH),
    )
    key = case((unbooked, cast(Payment.id, String)), else_=line.stripe_balance_transaction_id)
    columns = _found(
        MISSING_AT_STRIPE,
        kind + literal(":") + key,
        literal(office),
        payout=line.payout_id,
        payment=Payment.id,
        reference=case((unbooked, Payment.stripe_charge_id), else_=line.source_id),
        currency=case((unbooked, Payment.currency), else_=line.currency),
        expected=Payment.amount_minor,
        actual=line.amount_minor,
    )
    columns[2] = kind.label("kind")
    return (
        select(*columns)
        .select_from(Payment)
        .outerjoin(line, and_(line.payment_id == Payment.id, line.type.in_(BOOKING_TYPES)))
        .where(or_(missing, mismatch))
    )


def _standing_receipts(kind: str, office: str, expected: Expr, condition: Expr) -> Select[Any]:
    """Items of issued receipts, still active, whose payment meets `condition`."""
    return (
        select(
            *_found(
                kind,
                _key(kind, ReceiptItem.id),
                Receipt.office_code,
                payment=Payment.id,
                receipt=Receipt.id,
                reference=Payment.stripe_charge_id,
                currency=Receipt.currency,
                expected=expected,
                actual=ReceiptItem.amount_minor,
            )
        )
        .select_from(ReceiptItem)
        .join(Receipt, ReceiptItem.receipt_id == Receipt.id)
        .join(Payment, ReceiptItem.payment_id == Payment.id)
        .where(
            Receipt.office_code == office,
            Receipt.status == ISSUED,
            ReceiptItem.active.is_(True),
            condition,
        )
    )


def _receipts_for_money_not_kept(office: str) -> Select[Any]:
    """A receipt standing for a payment whose money never arrived (failed, cancelled)."""
    return _standing_receipts(RECEIPT_NOT_KEPT, office, literal(0), Payment.status.in_(NEVER_KEPT))


def _receipts_not_voided(office: str) -> Select[Any]:
    """A refund or lost dispute took money back, and a receipt still stands for more than
    what is left."""
    kept = case(
        (
            Payment.status == Status.PARTIALLY_REFUNDED.value,
            Payment.amount_minor - Payment.refunded_minor,
        ),
        else_=0,
    )
    return _standing_receipts(
        RECEIPT_NOT_VOIDED,
        office,
        kept,
        and_(Payment.status.in_(GIVEN_BACK), ReceiptItem.amount_minor > kept),
    )


def _receipts_missing(office: str, rules: Rules, now: datetime) -> Select[Any]:
    """Money kept past its receipt's due time with no receipt standing for it."""
    standing = (
        exists()
        .where(ReceiptItem.payment_id == Payment.id, ReceiptItem.active.is_(True))
        .correlate(Payment)
    )
    query = select(
        *_found(
            RECEIPT_MISSING,
            _key(RECEIPT_MISSING, Payment.id),
            Payment.office_code,
            payment=Payment.id,
            reference=Payment.stripe_charge_id,
            currency=Payment.currency,
            expected=Payment.amount_minor,
            actual=literal(0),
        )
    ).where(
        Payment.office_code == office,
        Payment.status.in_(KEPT),
        Payment.receipt_due_at <= now - rules.receipt_grace,
        ~standing,
    )
    if not rules.receipt_per_instalment:  # instalments go on the annual statement
        query = query.where(Payment.plan_id.is_(None))
    return query


def _unbalanced_payouts(office: str) -> Select[Any]:
    """A reconciled payout whose lines' net is not what reached the bank."""
    net = func.coalesce(Payout.net_minor, 0)
    return select(
        *_found(
            PAYOUT_UNBALANCED,
            _key(PAYOUT_UNBALANCED, Payout.stripe_payout_id),
            Payout.office_code,
            payout=Payout.id,
            reference=Payout.stripe_payout_id,
            currency=Payout.currency,
            expected=Payout.amount_minor,
            actual=net,
        )
    ).where(
        Payout.office_code == office,
        Payout.lines_complete_at.is_not(None),
        Payout.status != "failed",
        net != Payout.amount_minor,
    )


def _payout_cutoff(session: Session, office: str, rules: Rules) -> datetime | None:
    """Payments paid before this should be in a reconciled payout by now."""
    newest = session.scalar(
        select(func.max(Payout.stripe_created)).where(
            Payout.office_code == office, Payout.lines_complete_at.is_not(None)
        )
    )
    return None if newest is None else newest - rules.payout_grace


def reconcile(session: Session, office: str, rules: Rules) -> int:
    """Find every mismatch of the office anew: new ones are added, those found again stay,
    those no longer found are cleared. How many are open now."""
    now = utcnow()
    cutoff = _payout_cutoff(session, office, rules)
    queries = [
        _charges_not_ours(office),
        _bookings_against_payments(office, cutoff),
        _receipts_for_money_not_kept(office),
        _receipts_missing(office, rules, now),
        _receipts_not_voided(office),
        _unbalanced_payouts(office),
    ]
    with _planned_for_few_rows(session):
        for query in queries:
            _record(session, _rows(session, query), now)
    session.execute(
        update(ReconciliationException)
        .where(
            ReconciliationException.office_code == office,
            ReconciliationException.seen_at < now,
            ReconciliationException.cleared_at.is_(None),
        )
        .values(cleared_at=now)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()
    return int(
        session.scalar(
            select(func.count(ReconciliationException.id)).where(
                ReconciliationException.office_code == office,
                ReconciliationException.cleared_at.is_(None),
            )
        )
        or 0
    )


#: Found exceptions are written this many to a statement.
RECORD_BATCH = 500


@contextmanager
def _planned_for_few_rows(session: Session) -> Iterator[None]:
    """Let PostgreSQL's planner use its parallel workers for the reconciliation's reads.

    Each read joins up to every payment with every booking line and returns only the few
    mismatches, but the planner cannot know that it returns few: it prices each row it might
    hand from a worker to the leader (`parallel_tuple_cost`) and, on a million lines, keeps the
    join serial, at three times the time of the same join in parallel. For this transaction
    only, a row handed over is priced as one a single process produces (`cpu_tuple_cost`).
    """
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    session.execute(text("SET LOCAL parallel_tuple_cost = 0.01"))
    yield
    # The rest of the caller's transaction is planned as before. (After an error there is no
    # rest: the transaction is rolled back, and a SET LOCAL with it.)
    session.execute(text("SET LOCAL parallel_tuple_cost TO DEFAULT"))


def _rows(session: Session, query: Select[Any]) -> list[dict[str, Any]]:
    """What one kind's SELECT finds, as rows of the exceptions table.

    A plain read, not the SELECT of an INSERT: PostgreSQL plans no statement that writes in
    parallel, and a read over a million lines runs about three times faster in parallel. What
    it finds comes back here: a few rows when the books are in order.
    """
    return [dict(zip(_COLUMNS, row, strict=True)) for row in session.execute(query)]


def _record(session: Session, found: list[dict[str, Any]], now: datetime) -> None:
    """Add what was found and mark as seen what was found before (reopened if a run had
    cleared it); an explanation, if any, stays."""
    table = ReconciliationException.__table__
    for start in range(0, len(found), RECORD_BATCH):
        rows = [
            {**row, "found_at": now, "seen_at": now} for row in found[start : start + RECORD_BATCH]
        ]
        insert = upsert_insert(session, table).values(rows)
        session.execute(
            insert.on_conflict_do_update(
                index_elements=["key"],
                set_={"seen_at": insert.excluded.seen_at, "cleared_at": None},
            )
        )


def open_exceptions(
    session: Session, offices: list[str] | None, payout_id: int | None = None
) -> list[ReconciliationException]:
    """Exceptions still found, newest first (explained ones too: they stay on the list)."""
    query = (
        select(ReconciliationException)
        .where(ReconciliationException.cleared_at.is_(None))
        .order_by(ReconciliationException.found_at.desc(), ReconciliationException.id.desc())
    )
    if offices is not None:
        query = query.where(ReconciliationException.office_code.in_(offices))
    if payout_id is not None:
        query = query.where(ReconciliationException.payout_id == payout_id)
    return list(session.scalars(query))


def explain(session: Session, exception: ReconciliationException, staff_id: int, note: str) -> None:
    """A person looked into it and says why it is so; it stays listed, marked explained."""
    exception.explained_at = utcnow()
    exception.explained_by = staff_id
    exception.explanation = note.strip()
