"""The finance console without JavaScript: the dashboard's charts (server-side SVG as data:
images, each with its table), payouts with their lines and exceptions, marking one explained
(CSRF, audited), and the exports for the books (streamed CSV, cells safe for spreadsheets, a
journal whose debits equal its credits)."""

from __future__ import annotations

import base64
import csv
import io
import re
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.audit.models import AuditEvent
from checkout.finance.models import BalanceTransaction, ReconciliationException
from tests.staff_support import Console, DonorRecords, make_donor_records, make_staff


@pytest.fixture
def records(db_session: Session) -> DonorRecords:
    found = make_donor_records(db_session, "DE", "finance@example.org")
    db_session.commit()
    return found


@pytest.fixture
def treasurer(app: Flask, db_session: Session, records: DonorRecords) -> Console:
    staff = make_staff(db_session, "treasurer@de.example.org", ("finance",), ("DE",))
    db_session.commit()
    console = Console(app.test_client())
    console.sign_in(staff, db_session)
    return console


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_dashboard_draws_each_chart_as_an_svg_image_beside_its_table(
    treasurer: Console,
) -> None:
    page = treasurer.get("/staff/finance/?office=DE")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    images = re.findall(r'<img src="data:image/svg\+xml;base64,([^"]+)"', html)
    assert images, "no chart"
    svg = base64.b64decode(images[0]).decode()
    assert svg.startswith(("<?xml", "<svg")) and "<svg" in svg
    assert "kozea.github.io" not in svg  # pygal's tooltip scripts are left out
    assert 'data-chart="chart-2"' in html  # gifts per month: a table of the same figures
    assert "50,00" in html or "50.00" in html
    assert "<script" not in html.split("<main", 1)[-1]  # nothing on the page needs JS
    recurring = html.split("data-recurring", 1)[1].split("</dl>", 1)[0]
    assert re.search(r"<dd>1</dd>", recurring)  # the donor's monthly plan
    assert "10,00" in recurring or "10.00" in recurring  # what it charges each month
    policy = page.headers["Content-Security-Policy"]
    assert "img-src 'self' data:" in policy


def test_payouts_list_and_detail_show_lines_totals_and_exceptions(
    treasurer: Console, records: DonorRecords, db_session: Session
) -> None:
    listed = treasurer.get("/staff/finance/payouts?office=DE").get_data(as_text=True)
    assert records.payout.stripe_payout_id in listed
    assert "A charge at Stripe with no gift of ours" in listed
    per_currency = listed.split("data-currencies", 1)[1].split("</table>", 1)[0]
    assert re.search(r">EUR</th><td>1</td>", per_currency)  # one payout in euros this year
    detail = treasurer.get(f"/staff/finance/payouts/{records.payout.id}")
    html = detail.get_data(as_text=True)
    assert detail.status_code == 200
    assert html.count("txn_") == 3  # its three lines
    assert re.search(r"data-balanced>\s*Yes", html)  # 5000 - 100 fee = 4900 paid out
    viewed = db_session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_id == records.payout.stripe_payout_id)
    ).all()
    assert "finance.view_payout" in viewed


def test_marking_an_exception_explained_needs_a_note_and_the_form_token_and_is_audited(
    treasurer: Console, records: DonorRecords, db_session: Session
) -> None:
    url = f"/staff/finance/exceptions/{records.exception.id}/explain"
    assert treasurer.client.post(url, data={"note": "ours"}).status_code == 400  # no CSRF
    treasurer.get(url)
    empty = treasurer.post(url, {"note": "  "})
    assert empty.status_code == 200
    assert 'aria-invalid="true"' in empty.get_data(as_text=True)
    done = treasurer.post(url, {"note": "A test charge the treasurer made by hand"})
    assert done.status_code == 302
    db_session.expire_all()
    exception = db_session.get(ReconciliationException, records.exception.id)
    assert exception is not None and exception.explained_at is not None
    assert exception.explanation == "A test charge the treasurer made by hand"
    event = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "finance.explain_exception")
    ).one()
    assert (event.reason, event.object_id) == (exception.explanation, str(exception.id))


def test_exports_stream_lines_and_a_balanced_journal_with_safe_cells(
    treasurer: Console, records: DonorRecords, db_session: Session
) -> None:
    line = db_session.scalars(
        select(BalanceTransaction).where(BalanceTransaction.type == "charge")
    ).first()
    assert line is not None
    line.reporting_category = "=HYPERLINK(1)"
    db_session.commit()
    lines = treasurer.get(f"/staff/finance/payouts/{records.payout.id}/lines.csv")
    assert lines.mimetype == "text/csv"
    rows = _csv(lines.get_data(as_text=True))
    assert len(rows) == 3
    assert "'=HYPERLINK(1)" in {row["reporting_category"] for row in rows}
    assert {row["amount"] for row in rows} >= {"50.00", "-49.00"}

    journal = treasurer.get(f"/staff/finance/payouts/{records.payout.id}/journal.csv")
    postings = _csv(journal.get_data(as_text=True))
    assert set(postings[0]) == {
        "date",
        "account",
        "debit",
        "credit",
        "amount",
        "currency",
        "reference",
    }
    assert sum(Decimal(p["amount"]) for p in postings) == 0
    assert {p["account"] for p in postings} == {"1360", "8000", "4970", "1200"}  # DE's codes
    bank = [p for p in postings if p["account"] == "1200"]
    assert [(p["debit"], p["credit"]) for p in bank] == [("49.00", "")]

    period = treasurer.get(
        "/staff/finance/exports/lines.csv?office=DE&start=2026-01-01&end=2026-12-31"
    )
    assert len(_csv(period.get_data(as_text=True))) == 3
    assert treasurer.get("/staff/finance/exports/lines.csv?office=DE&start=x").status_code == 400
    backwards = "/staff/finance/exports/journal.csv?office=DE&start=2026-05-01&end=2026-04-01"
    assert treasurer.get(backwards).status_code == 400
