"""The figures of an office's finance dashboard, each one GROUP BY in the database.

Gifts are payments whose money was kept (succeeded, partly refunded, disputed, won), counted
on the office's local calendar day they were paid; weeks (ISO, from Monday) and months are summed
from those days. Plans started and ended and failed debits are counted on local days too.

Local days without time-zone functions in SQL (SQLite has none): Python cuts the window where
the office's ZoneInfo changes its UTC offset (so a daylight-saving day is 23 or 25 hours) and
sends those few stretches as VALUES; the query joins each timestamp to its stretch and groups by
its seconds since 1970 plus that offset, in whole days. One pass over the rows: a table of every
day range-joined instead made the database compare each row with each of the ~400 days.
Recurring revenue is what the active plans charge each month (a yearly plan's twelfth).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    CTE,
    Integer,
    and_,
    case,
    column,
    func,
    join,
    literal,
    select,
    values,
)
from sqlalchemy.orm import Session

from checkout.dbtypes import EpochSeconds, UtcDateTime
from checkout.donations.models import Donation, Payment, RecurringPlan
from checkout.donations.states import MONEY_KEPT, Status
from checkout.offices.models import DEBIT_METHODS

KEPT = sorted(s.value for s in MONEY_KEPT)
DAY_SECONDS = 86_400
EPOCH_DAY = date(1970, 1, 1)
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


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC moment the office's `day` begins (where midnight is skipped, the first hour)."""
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def _offset(zone: ZoneInfo, second: int) -> int:
    """The zone's UTC offset in seconds at `second` (seconds since 1970 UTC)."""
    offset = datetime.fromtimestamp(second, UTC).astimezone(zone).utcoffset()
    assert offset is not None  # a ZoneInfo always has one
    return int(offset.total_seconds())


def _stretches(zone: ZoneInfo, since: int, until: int) -> list[tuple[int, int, int]]:
    """The seconds [since, until) cut where the zone's offset changes: (start, end, offset).

    Probed a day at a time; a change is pinned to its second by bisection.
    """
    found: list[tuple[int, int, int]] = []
    start, offset, probe = since, _offset(zone, since), since
    while probe < until:
        step = min(probe + DAY_SECONDS, until)
        if _offset(zone, step) == offset:
            probe = step
            continue
        low, high = probe, step  # the old offset at low, a new one by high
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (middle, high) if _offset(zone, middle) == offset else (low, middle)
        found.append((start, high, offset))
        start, offset, probe = high, _offset(zone, high), high
    found.append((start, until, offset))
    return [stretch for stretch in found if stretch[0] < stretch[1]]


@dataclass(frozen=True, slots=True)
class LocalDays:
    """The office's local days in a window: the UTC span they cover and, as a small table, the
    stretches of it with one UTC offset (a new stretch at each daylight-saving change)."""

    offsets: CTE  # (starts, ends, seconds)
    since: datetime
    until: datetime


def _local_days(zone: ZoneInfo, first: date, last: date) -> LocalDays:
    """The local days `first`..`last`."""
    since = _local_midnight(first, zone)
    until = _local_midnight(last + timedelta(days=1), zone)
    rows = [
        (datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC), offset)
        for start, end, offset in _stretches(zone, int(since.timestamp()), int(until.timestamp()))
    ]
    table = values(
        column("starts", UtcDateTime),
        column("ends", UtcDateTime),
        column("seconds", Integer),
        name="utc_offsets",
    ).data(rows)
    return LocalDays(table.cte(), since, until)


def _per_local_day(
    session: Session, days: LocalDays, moment: Any, joined: Any, amount: Any, *conditions: Any
) -> dict[date, Figure]:
    """How many rows of `joined` match `conditions`, and their `amount` summed, per local day
    of the timestamp `moment`; days with none are left out.

    A moment's local day is its seconds since 1970 plus the offset of its stretch, in whole
    days: a join to the few stretches, then one GROUP BY.
    """
    offsets = days.offsets
    day_number = ((EpochSeconds(moment) + offsets.c.seconds) // DAY_SECONDS).label("day_number")
    query = (
        select(day_number, func.count(), func.sum(amount))
        .select_from(joined)
        .join(offsets, and_(moment >= offsets.c.starts, moment < offsets.c.ends))
        .where(moment >= days.since, moment < days.until, *conditions)
        .group_by(day_number)
    )
    counted = {}
    for number, count, summed in session.execute(query):
        day = EPOCH_DAY + timedelta(days=int(number))
        counted[day] = Figure(day.isoformat(), int(count), int(summed or 0))
    return counted


def _payments() -> Any:
    return join(Payment, Donation, Payment.donation_id == Donation.id)


def _plans() -> Any:
    return join(RecurringPlan, Donation, RecurringPlan.donation_id == Donation.id)


def _gifts_per_day(
    session: Session, office: str, currency: str, days: LocalDays
) -> dict[date, Figure]:
    """Count and sum of the office's kept gifts per local day they were paid."""
    return _per_local_day(
        session,
        days,
        Payment.paid_at,
        _payments(),
        Payment.amount_minor,
        Donation.office_code == office,
        Payment.currency == currency,
        Payment.status.in_(KEPT),
    )


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
    session: Session, key: Any, office: str, currency: str, days: LocalDays
) -> list[Figure]:
    """The office's kept gifts paid on the local days, counted and summed per `key`."""
    query = (
        select(key, func.count(Payment.id), func.sum(Payment.amount_minor))
        .select_from(_payments())
        .where(
            Donation.office_code == office,
            Payment.currency == currency,
            Payment.status.in_(KEPT),
            Payment.paid_at >= days.since,
            Payment.paid_at < days.until,
        )
        .group_by(key)
        .order_by(key)
    )
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
    session: Session, moment: Any, office: str, currency: str, days: LocalDays
) -> list[Figure]:
    """The office's plans per local month of `moment` (when started, or when ended)."""
    counted = _per_local_day(
        session,
        days,
        moment,
        _plans(),
        literal(0),
        Donation.office_code == office,
        Donation.currency == currency,
    )
    return _roll_up(counted, _month)


def _failed_debits(session: Session, office: str, currency: str, days: LocalDays) -> list[Figure]:
    """The office's failed bank debits per local month they were made."""
    counted = _per_local_day(
        session,
        days,
        Payment.created_at,
        _payments(),
        Payment.amount_minor,
        Donation.office_code == office,
        Payment.currency == currency,
        Payment.status == Status.FAILED.value,
        Donation.method.in_(sorted(DEBIT_METHODS)),
    )
    return _roll_up(counted, _month)


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
    session: Session, office: str, currency: str, today: date, zone: ZoneInfo, months: int = 12
) -> Dashboard:
    """The office's figures in `currency` for the last `months` months up to `today`, every
    figure on the office's local days (`today` is the office's date, `zone` its time zone)."""
    start = _month(today - timedelta(days=31 * (months - 1)))
    local_days = _local_days(zone, start, today)
    days = _gifts_per_day(session, office, currency, local_days)
    recent = today - timedelta(days=30)
    active, mrr = _recurring(session, office, currency)
    return Dashboard(
        office,
        currency,
        days=[days[d] for d in sorted(days) if d > recent],
        weeks=_roll_up({d: f for d, f in days.items() if d > today - timedelta(weeks=12)}, _monday),
        months=_roll_up(days, _month),
        frequencies=_grouped(session, Donation.frequency, office, currency, local_days),
        methods=_grouped(session, Donation.method, office, currency, local_days),
        active_plans=active,
        monthly_recurring_minor=mrr,
        plans_started=_plans_by_month(
            session, RecurringPlan.created_at, office, currency, local_days
        ),
        plans_ended=_plans_by_month(
            session, RecurringPlan.canceled_at, office, currency, local_days
        ),
        failed_debits=_failed_debits(session, office, currency, local_days),
    )


def total(figures: Iterable[Figure]) -> Figure:
    """The figures summed, for a table's last row."""
    rows = list(figures)
    return Figure("", sum(f.count for f in rows), sum(f.amount_minor for f in rows))
