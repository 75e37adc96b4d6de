"""The figures of an office's finance dashboard, each one GROUP BY in the database.

Gifts are payments whose money was kept (succeeded, partly refunded, disputed, won), counted
on the UTC day they were paid; weeks (ISO, from Monday) and months are summed from those days.
Recurring revenue is what the active plans charge each month (a yearly plan's twelfth).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from checkout.donations.models import Donation, Payment, RecurringPlan
from checkout.donations.states import MONEY_KEPT, Status
from checkout.offices.models import DEBIT_METHODS

KEPT = sorted(s.value for s in MONEY_KEPT)
#: Plan states that still charge (Stripe's subscription statuses).
LIVE_PLANS = ("active", "past_due", "trialing")


@dataclass(frozen=True, slots=True)
class Figure:
    """One row of a chart's table: a label, how many and how much (minor units)."""

    label: str
    count: int
    amount_minor: int


@dataclass(frozen=True, slots=True)
class Dashboard:
    """One office's figures in one currency."""

    office_code: str
    currency: str
    days: list[Figure]
    weeks: list[Figure]
    months: list[Figure]
    frequencies: list[Figure]
    methods: list[Figure]
    active_plans: int
    monthly_recurring_minor: int
    plans_started: list[Figure]
    plans_ended: list[Figure]
    failed_debits: list[Figure]


def _day(value: Any) -> date:
    """A SQL date() result: a date on PostgreSQL, ISO text on SQLite."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _kept_by(column: Any, office: str, currency: str, since: datetime) -> Any:
    """Count and sum of the office's kept gifts since `since`, grouped by `column`."""
    return (
        select(column, func.count(Payment.id), func.sum(Payment.amount_minor))
        .join(Donation, Payment.donation_id == Donation.id)
        .where(
            Donation.office_code == office,
            Payment.currency == currency,
            Payment.status.in_(KEPT),
            Payment.paid_at >= since,
        )
        .group_by(column)
        .order_by(column)
    )


def _per_day(session: Session, office: str, currency: str, since: datetime) -> dict[date, Figure]:
    query = _kept_by(func.date(Payment.paid_at), office, currency, since)
    return {
        _day(row[0]): Figure(str(_day(row[0])), int(row[1]), int(row[2] or 0))
        for row in session.execute(query)
    }


def _roll_up(days: dict[date, Figure], bucket: Any) -> list[Figure]:
    """Sum daily figures into buckets (a week's Monday, a month's first day), oldest first."""
    sums: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for day, figure in days.items():
        sums[bucket(day)][0] += figure.count
        sums[bucket(day)][1] += figure.amount_minor
    return [Figure(start.isoformat(), *sums[start]) for start in sorted(sums)]


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _month(day: date) -> date:
    return day.replace(day=1)


def _grouped(
    session: Session, column: Any, office: str, currency: str, since: datetime
) -> list[Figure]:
    query = _kept_by(column, office, currency, since)
    return [Figure(str(row[0]), int(row[1]), int(row[2] or 0)) for row in session.execute(query)]


def _plan_amount() -> Any:
    """What a plan charges each period: its changed amount, else the gift and covered fee."""
    return func.coalesce(RecurringPlan.amount_minor, Donation.amount_minor + Donation.fee_minor)


def _recurring(session: Session, office: str, currency: str) -> tuple[int, int]:
    monthly = case((RecurringPlan.interval == "year", _plan_amount() / 12), else_=_plan_amount())
    row = session.execute(
        select(func.count(RecurringPlan.id), func.sum(monthly))
        .join(Donation, RecurringPlan.donation_id == Donation.id)
        .where(
            Donation.office_code == office,
            Donation.currency == currency,
            RecurringPlan.status.in_(LIVE_PLANS),
        )
    ).one()
    return int(row[0]), int(row[1] or 0)


def _plans_by_month(
    session: Session, column: Any, office: str, currency: str, since: datetime
) -> list[Figure]:
    day = func.date(column)
    query = (
        select(day, func.count(RecurringPlan.id))
        .join(Donation, RecurringPlan.donation_id == Donation.id)
        .where(Donation.office_code == office, Donation.currency == currency, column >= since)
        .group_by(day)
    )
    days = {_day(row[0]): Figure("", int(row[1]), 0) for row in session.execute(query)}
    return _roll_up(days, _month)


def _failed_debits(session: Session, office: str, currency: str, since: datetime) -> list[Figure]:
    day = func.date(Payment.created_at)
    query = (
        select(day, func.count(Payment.id), func.sum(Payment.amount_minor))
        .join(Donation, Payment.donation_id == Donation.id)
        .where(
            Donation.office_code == office,
            Payment.currency == currency,
            Payment.status == Status.FAILED.value,
            Donation.method.in_(sorted(DEBIT_METHODS)),
            Payment.created_at >= since,
        )
        .group_by(day)
    )
    days = {_day(r[0]): Figure("", int(r[1]), int(r[2] or 0)) for r in session.execute(query)}
    return _roll_up(days, _month)


def currencies_of(session: Session, office: str) -> list[str]:
    """The currencies the office has taken gifts in, most used first."""
    query = (
        select(Payment.currency)
        .join(Donation, Payment.donation_id == Donation.id)
        .where(Donation.office_code == office)
        .group_by(Payment.currency)
        .order_by(func.count(Payment.id).desc(), Payment.currency)
    )
    return list(session.scalars(query))


def dashboard(
    session: Session, office: str, currency: str, today: date, months: int = 12
) -> Dashboard:
    """The office's figures in `currency` for the last `months` months up to `today`."""
    start = _month(today - timedelta(days=31 * (months - 1)))
    since = datetime(start.year, start.month, start.day, tzinfo=UTC)
    days = _per_day(session, office, currency, since)
    recent = today - timedelta(days=30)
    active, mrr = _recurring(session, office, currency)
    return Dashboard(
        office,
        currency,
        days=[days[d] for d in sorted(days) if d > recent],
        weeks=_roll_up({d: f for d, f in days.items() if d > today - timedelta(weeks=12)}, _monday),
        months=_roll_up(days, _month),
        frequencies=_grouped(session, Donation.frequency, office, currency, since),
        methods=_grouped(session, Donation.method, office, currency, since),
        active_plans=active,
        monthly_recurring_minor=mrr,
        plans_started=_plans_by_month(session, RecurringPlan.created_at, office, currency, since),
        plans_ended=_plans_by_month(session, RecurringPlan.canceled_at, office, currency, since),
        failed_debits=_failed_debits(session, office, currency, since),
    )


def total(figures: Iterable[Figure]) -> Figure:
    """The figures summed, for a table's last row."""
    rows = list(figures)
    return Figure("", sum(f.count for f in rows), sum(f.amount_minor for f in rows))
