"""The finance dashboard counts on the office's local calendar days, not UTC days: a gift just
after midnight in Sydney, or just after midnight in Berlin on the first of a month, is on the
office's day and month; a daylight-saving day (23 or 25 hours) gets the gifts of its hours; weeks
and months roll up the local days; plans and failed debits use local months; and the page's
"today" is the office's date."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from checkout.donations.models import Payment, RecurringPlan
from checkout.finance import views
from checkout.finance.dashboard import Dashboard, Figure, dashboard
from tests.factories import make_donation
from tests.staff_support import Console, make_staff

SYDNEY = ZoneInfo("Australia/Sydney")
BERLIN = ZoneInfo("Europe/Berlin")
TORONTO = ZoneInfo("America/Toronto")
SANTIAGO = ZoneInfo("America/Santiago")


def _local(zone: ZoneInfo, *fields: int) -> datetime:
    """An aware moment on an office's wall clock."""
    return datetime(*fields, tzinfo=zone)  # type: ignore[misc]


def _gift(
    session: Session,
    office: str,
    currency: str,
    paid_at: datetime,
    amount: int = 1000,
    status: str = "succeeded",
    method: str = "card",
) -> Payment:
    donation = make_donation(
        session,
        office_code=office,
        currency=currency,
        amount_minor=amount,
        method=method,
        status=status,
    )
    payment = Payment(
        donation=donation,
        status=status,
        amount_minor=amount,
        currency=currency,
        paid_at=paid_at if status != "failed" else None,
        created_at=paid_at,
    )
    session.add(payment)
    session.flush()
    return payment


def _by_label(figures: list[Figure]) -> dict[str, tuple[int, int]]:
    return {f.label: (f.count, f.amount_minor) for f in figures}


def _figures(
    session: Session, office: str, currency: str, today: date, zone: ZoneInfo
) -> Dashboard:
    return dashboard(session, office, currency, today, zone)


@pytest.mark.parametrize(
    ("office", "currency", "zone", "before", "after"),
    [
        # 09:00 and 10:00 UTC+11: both on UTC's 31 March, on Sydney's 31 March and 1 April.
        ("AU", "AUD", SYDNEY, (2026, 3, 31, 23, 30), (2026, 4, 1, 0, 30)),
        # UTC+1: the gift just after midnight on 1 February is on UTC's 31 January.
        # The last microsecond of a day is still that day's.
        ("DE", "EUR", BERLIN, (2026, 1, 31, 23, 59, 59, 999999), (2026, 2, 1, 0, 0, 0)),
        # UTC-4: the gift just before midnight on 31 May is on UTC's 1 June.
        ("CA", "CAD", TORONTO, (2026, 5, 31, 23, 50), (2026, 6, 1, 0, 10)),
    ],
)
def test_gifts_either_side_of_local_midnight_count_on_the_offices_day_and_month(
    db_session: Session,
    office: str,
    currency: str,
    zone: ZoneInfo,
    before: tuple[int, ...],
    after: tuple[int, ...],
) -> None:
    _gift(db_session, office, currency, _local(zone, *before), amount=1100)
    _gift(db_session, office, currency, _local(zone, *after), amount=2200)
    _gift(db_session, office, currency, _local(zone, *after), amount=500, status="failed")
    last_day, first_day = date(*before[:3]), date(*after[:3])

    figures = _figures(db_session, office, currency, first_day.replace(day=20), zone)

    days = _by_label(figures.days)
    assert days == {str(last_day): (1, 1100), str(first_day): (1, 2200)}
    months = _by_label(figures.months)
    assert months == {str(last_day.replace(day=1)): (1, 1100), str(first_day): (1, 2200)}


def test_a_daylight_saving_day_counts_the_gifts_of_its_23_or_25_hours(
    db_session: Session,
) -> None:
    # Berlin's clocks went forward on Sunday 29 March 2026 (23 hours: 23:00 to 22:00 UTC) and
    # back on Sunday 25 October 2026 (25 hours: 22:00 to 23:00 UTC).
    moments = [
        _local(BERLIN, 2026, 3, 28, 23, 45),  # 22:45 UTC on the 28th
        _local(BERLIN, 2026, 3, 29, 0, 15),  # 23:15 UTC on the 28th
        _local(BERLIN, 2026, 3, 29, 23, 45),  # 21:45 UTC
        _local(BERLIN, 2026, 3, 30, 0, 15),  # 22:15 UTC on the 29th
        _local(BERLIN, 2026, 10, 25, 0, 15),  # 22:15 UTC on the 24th
        _local(BERLIN, 2026, 10, 25, 23, 45),  # 22:45 UTC on the 25th
        _local(BERLIN, 2026, 10, 26, 0, 15),  # 23:15 UTC on the 25th
    ]
    for amount, moment in enumerate(moments, start=1):
        _gift(db_session, "DE", "EUR", moment, amount=amount * 100)

    march = _figures(db_session, "DE", "EUR", date(2026, 4, 10), BERLIN)
    assert _by_label(march.days) == {
        "2026-03-28": (1, 100),
        "2026-03-29": (2, 200 + 300),
        "2026-03-30": (1, 400),
    }
    october = _figures(db_session, "DE", "EUR", date(2026, 11, 5), BERLIN)
    assert _by_label(october.days) == {"2026-10-25": (2, 500 + 600), "2026-10-26": (1, 700)}


def test_a_change_of_clocks_at_local_midnight_keeps_each_moment_on_its_day(
    db_session: Session,
) -> None:
    # Santiago turns its clocks at midnight: on 5 April 2026 from 00:00 (-3) back to 23:00 (-4),
    # so 4 April has 25 hours; on 6 September from 00:00 (-4) on to 01:00 (-3), so 6 September
    # has no midnight. The dashboard follows the zone it is given, whichever office.
    moments = [
        datetime(2026, 4, 5, 2, 59, tzinfo=UTC),  # 23:59 (-3) on 4 April
        datetime(2026, 4, 5, 3, 30, tzinfo=UTC),  # 23:30 (-4) on 4 April, the hour again
        datetime(2026, 4, 5, 4, 0, tzinfo=UTC),  # 00:00 (-4) on 5 April
        datetime(2026, 9, 6, 3, 59, tzinfo=UTC),  # 23:59 (-4) on 5 September
        datetime(2026, 9, 6, 4, 0, tzinfo=UTC),  # 01:00 (-3) on 6 September
    ]
    for amount, moment in enumerate(moments, start=1):
        _gift(db_session, "DE", "EUR", moment, amount=amount * 100)

    figures = _figures(db_session, "DE", "EUR", date(2026, 9, 20), SANTIAGO)

    assert _by_label(figures.months)["2026-04-01"] == (3, 600)
    days = _by_label(figures.days)
    assert days == {"2026-09-05": (1, 400), "2026-09-06": (1, 500)}
    april = _figures(db_session, "DE", "EUR", date(2026, 4, 20), SANTIAGO)
    assert _by_label(april.days) == {"2026-04-04": (2, 300), "2026-04-05": (1, 300)}


def test_weeks_and_months_roll_up_the_local_days(db_session: Session) -> None:
    # Monday 30 March 00:30 in Sydney is Sunday 13:30 UTC, the week before in UTC.
    _gift(db_session, "AU", "AUD", _local(SYDNEY, 2026, 3, 29, 23, 30), amount=100)
    _gift(db_session, "AU", "AUD", _local(SYDNEY, 2026, 3, 30, 0, 30), amount=200)
    _gift(db_session, "AU", "AUD", _local(SYDNEY, 2026, 4, 1, 0, 30), amount=400)
    _gift(db_session, "AU", "AUD", _local(SYDNEY, 2026, 4, 6, 8, 0), amount=800)

    figures = _figures(db_session, "AU", "AUD", date(2026, 4, 20), SYDNEY)

    assert _by_label(figures.weeks) == {
        "2026-03-23": (1, 100),
        "2026-03-30": (2, 200 + 400),
        "2026-04-06": (1, 800),
    }
    assert _by_label(figures.months) == {"2026-03-01": (2, 300), "2026-04-01": (2, 1200)}
    for rolled in (figures.weeks, figures.months):
        assert sum(f.count for f in rolled) == sum(f.count for f in figures.days) == 4
        assert sum(f.amount_minor for f in rolled) == sum(f.amount_minor for f in figures.days)
    assert _by_label(figures.frequencies) == {"once": (4, 1500)}  # the same window


def test_plans_and_failed_debits_count_in_the_offices_months(db_session: Session) -> None:
    donation = make_donation(
        db_session, office_code="AU", currency="AUD", frequency="monthly", status="succeeded"
    )
    db_session.add(
        RecurringPlan(
            donation=donation,
            stripe_subscription_id="sub_days_au",
            stripe_customer_id="cus_days_au",
            status="canceled",
            interval="month",
            created_at=_local(SYDNEY, 2026, 4, 1, 0, 30),  # UTC: 31 March
            canceled_at=_local(SYDNEY, 2026, 6, 1, 9, 0),  # UTC: 31 May
        )
    )
    _gift(db_session, "AU", "AUD", _local(SYDNEY, 2026, 3, 31, 12), amount=900)
    _gift(
        db_session,
        "AU",
        "AUD",
        _local(SYDNEY, 2026, 5, 1, 0, 20),  # UTC: 30 April
        amount=700,
        status="failed",
        method="au_becs_debit",
    )

    figures = _figures(db_session, "AU", "AUD", date(2026, 6, 15), SYDNEY)

    assert _by_label(figures.plans_started) == {"2026-04-01": (1, 0)}
    assert _by_label(figures.plans_ended) == {"2026-06-01": (1, 0)}
    assert _by_label(figures.failed_debits) == {"2026-05-01": (1, 700)}


def test_the_page_counts_up_to_the_offices_today(
    app: Flask, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 14:00 UTC on 31 March is 01:00 on 1 April in Sydney: the gift of 00:30 is today's.
    _gift(db_session, "AU", "AUD", _local(SYDNEY, 2026, 4, 1, 0, 30), amount=4321)
    staff = make_staff(db_session, "treasurer@au.example.org", ("finance",), ("AU",))
    db_session.commit()
    console = Console(app.test_client())
    console.sign_in(staff, db_session)
    monkeypatch.setattr(views, "utcnow", lambda: datetime(2026, 3, 31, 14, tzinfo=UTC))

    html = console.get("/staff/finance/?office=AU").get_data(as_text=True)

    per_day = html.split('data-chart="chart-0"', 1)[1].split("</table>", 1)[0]
    assert re.search(r'<th scope="row">2026-04-01</th><td>1</td>', per_day)
    assert "2026-03-31" not in per_day
    assert "43.21" in per_day
