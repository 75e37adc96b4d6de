"""Billing periods: adding a day, week, month or year to a Unix time, as Stripe bills."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta


def add_interval(start: int, interval: str, count: int, anchor_day: int) -> int:
    """The end of a period of `count` `interval`s from `start`, in Unix seconds.

    Months keep the anchor's day of month where the month has it (a subscription started on
    the 31st renews on the 30th in April and on the 31st again in May), as Stripe does.
    """
    moment = datetime.fromtimestamp(start, UTC)
    if interval in ("day", "week"):
        days = count * (7 if interval == "week" else 1)
        return int((moment + timedelta(days=days)).timestamp())
    months = count * (12 if interval == "year" else 1)
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(anchor_day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def day_of_month(timestamp: int) -> int:
    """The UTC day of the month of a Unix time."""
    return datetime.fromtimestamp(timestamp, UTC).day
