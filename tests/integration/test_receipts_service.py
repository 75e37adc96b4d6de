"""Issuing, voiding, reissuing, resending, annual statements: the rules, without real PDFs."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError

from checkout.donations.models import Donation, Donor, Payment, RecurringPlan
from checkout.offices import OfficeRegistry, load_registry
from checkout.outbox.models import OutboxMessage
from checkout.paths import CONFIG_DIR
from checkout.receipts import annual, services
from checkout.receipts.models import Receipt, ReceiptItem
from tests.factories import stored_draft

OFFICES = load_registry(CONFIG_DIR / "offices.toml")
TODAY = date(2026, 11, 29)
RENDERED: list = []


def render(document) -> bytes:
    RENDERED.append(document)
    return f"%PDF {document.number} {document.total}".encode()


def ctx(offices: OfficeRegistry = OFFICES, today: date = TODAY) -> services.ReceiptContext:
    return services.ReceiptContext(offices, render, today, "test.invalid")


def rendered(session, receipt):
    """Run the second step of issuing (the outbox does it after the numbering commits)."""
    assert receipt is not None
    services.render(session, receipt, ctx())
    return receipt


def donor(session, office: str = "DE", **values) -> Donor:
    person = Donor(
        office_code=office,
        email=values.pop("email", f"d-{office}@example.org"),
        first_name="Erika",
        last_name="Muster",
        country="DE",
        address_line1="Ring 1",
        postcode="10115",
        city="Berlin",
        **values,
    )
    session.add(person)
    return person


_SUBSCRIPTIONS = itertools.count(1)


def payment(
    session,
    person: Donor,
    minor: int = 5000,
    status: str = "succeeded",
    paid: datetime = datetime(2026, 3, 1, tzinfo=UTC),
    plan: bool = False,
) -> Payment:
    donation = Donation(
        draft_id=stored_draft(session, locale="de"),
        donor=person,
        office_code=person.office_code,
        currency="EUR",
        amount_minor=minor,
        frequency="monthly" if plan else "once",
        method="card",
        status=status,
    )
    made = Payment(
        donation=donation, status=status, amount_minor=minor, currency="EUR", paid_at=paid
    )
    if plan:
        made.plan = RecurringPlan(
            donation=donation,
            stripe_subscription_id=f"sub_{next(_SUBSCRIPTIONS)}",
            stripe_customer_id="cus_1",
            status="active",
            interval="month",
        )
    session.add(made)
    session.flush()
    return made


def test_a_payment_gets_one_receipt_with_its_pdf_hash_and_its_rendering_queued(
    db_session,
) -> None:
    paid = payment(db_session, donor(db_session))
    receipt = services.issue_for_payment(db_session, paid.id, ctx())
    assert receipt is not None
    assert receipt.number == "DE-2026-000001"
    assert receipt.pdf is None  # numbered first; rendered by the next outbox step
    rendered(db_session, receipt)
    first_bytes = receipt.pdf
    rendered(db_session, receipt)
    assert receipt.pdf is first_bytes  # rendered once, never again
    assert receipt.pdf_sha256 == hashlib.sha256(receipt.pdf).hexdigest()
    assert receipt.total_minor == 5000
    assert receipt.donor_snapshot["full_name"] == "Erika Muster"
    assert services.issue_for_payment(db_session, paid.id, ctx()) is receipt  # once
    queued = db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    # One message renders and emails it (the worker sends the email: test_receipt_delivery).
    assert [(m.name, m.payload) for m in queued] == [
        ("receipts.render", {"receipt_id": receipt.id})
    ]


def test_many_payments_are_numbered_at_once_office_by_office(db_session) -> None:
    """Each office's serials in one step, offices in code order, numbers in payment order."""
    people = {
        office: donor(db_session, office, email=f"many-{office}@example.org")
        for office in ("UK", "DE", "NL")
    }
    paid = [payment(db_session, people[office]) for office in ("UK", "NL", "DE", "UK", "DE")]
    already = payment(db_session, people["DE"])
    covered = services.issue_for_payment(db_session, already.id, ctx())  # DE-2026-000001
    refunded = payment(db_session, people["NL"], status="refunded")
    yearly = payment(db_session, people["DE"], plan=True)  # DE confirms instalments yearly
    counters_taken = []

    @event.listens_for(db_session.get_bind(), "before_cursor_execute")
    def _note(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.startswith("UPDATE receipt_counters"):
            counters_taken.append(context.compiled_parameters[0]["office_code_1"])

    try:
        ids = [p.id for p in reversed(paid)] + [already.id, refunded.id, yearly.id]
        made = services.issue_for_payments(db_session, ids, ctx())
    finally:
        event.remove(db_session.get_bind(), "before_cursor_execute", _note)
    # Office by office in code order; one step for DE, whose counter exists (the others' first
    # step finds no counter for the year, creates it and takes again).
    assert counters_taken == ["DE", "NL", "NL", "UK", "UK"]
    numbers = {item.payment_id: r.number for r in made.new for item in r.items}
    assert numbers == {
        paid[2].id: "DE-2026-000002",
        paid[4].id: "DE-2026-000003",
        paid[1].id: "NL-2026-000001",
        paid[0].id: "UK-2026-000001",
        paid[3].id: "UK-2026-000002",
    }
    assert services.active_receipt_for(db_session, already.id) is covered
    queued = db_session.scalars(
        select(OutboxMessage.payload).where(OutboxMessage.name == "receipts.render")
    ).all()
    new_ids = [receipt.id for receipt in made.new]
    assert sorted(m["receipt_id"] for m in queued) == sorted([covered.id, *new_ids])
    again = services.issue_for_payments(db_session, ids, ctx())
    assert again.new == []  # nothing twice
    assert again.receipts[already.id] is covered


def test_a_refusal_when_numbering_many_is_only_its_own_payments(db_session) -> None:
    dutch = payment(db_session, donor(db_session, "NL", email="nl@example.org"))
    german = payment(db_session, donor(db_session))
    issued = services.issue_for_payments(
        db_session, [dutch.id, german.id, 999999], ctx(with_exemption(date(2021, 11, 1)))
    )
    assert [receipt.number for receipt in issued.new] == ["NL-2026-000001"]
    assert isinstance(issued.refused[german.id], services.ReceiptRefused)
    assert isinstance(issued.refused[999999], services.PermanentFailure)
    assert "no payment 999999" in str(issued.refused[999999])
    assert services.active_receipt_for(db_session, german.id) is None


def test_no_receipt_for_money_not_kept(db_session) -> None:
    person = donor(db_session)
    for status in ("refunded", "failed", "lost", "pending"):
        paid = payment(db_session, person, status=status)
        assert services.issue_for_payment(db_session, paid.id, ctx()) is None


def test_offices_that_confirm_recurring_gifts_yearly_skip_instalments(db_session) -> None:
    assert not OFFICES.get("DE").receipt_per_instalment
    instalment = payment(db_session, donor(db_session), plan=True)
    assert services.issue_for_payment(db_session, instalment.id, ctx()) is None
    assert OFFICES.get("UK").receipt_per_instalment
    uk_instalment = payment(db_session, donor(db_session, office="UK"), plan=True)
    assert services.issue_for_payment(db_session, uk_instalment.id, ctx()) is not None


def with_exemption(notice: date) -> OfficeRegistry:
    germany = OFFICES.get("DE")
    registration = dataclasses.replace(germany.legal.registration, exemption_notice_date=notice)
    legal = dataclasses.replace(germany.legal, registration=registration)
    changed = dataclasses.replace(germany, legal=legal)
    return OfficeRegistry([changed if o.code == "DE" else o for o in OFFICES])


def test_german_receipts_are_refused_on_an_exemption_notice_over_five_years_old(db_session):
    paid = payment(db_session, donor(db_session))
    with pytest.raises(services.ReceiptRefused, match="more than 5 years old"):
        services.issue_for_payment(db_session, paid.id, ctx(with_exemption(date(2021, 11, 1))))
    assert (
        services.issue_for_payment(db_session, paid.id, ctx(with_exemption(date(2022, 1, 1))))
        is not None
    )


def test_a_correction_voids_and_reissues_citing_the_old_number(db_session) -> None:
    person = donor(db_session)
    paid = payment(db_session, person)
    first = services.issue_for_payment(db_session, paid.id, ctx())
    assert first is not None
    person.first_name = "Erica"
    second = rendered(
        db_session, services.void_and_reissue(db_session, first, "name misspelt", ctx())
    )
    assert (first.status, first.number) == ("void", "DE-2026-000001")
    assert second.number == "DE-2026-000002"
    assert second.replaces is first
    assert RENDERED[-1].replaces == "DE-2026-000001"
    assert second.donor_snapshot["full_name"] == "Erica Muster"
    assert first.donor_snapshot["full_name"] == "Erika Muster"  # the old one is not edited
    assert services.active_receipt_for(db_session, paid.id) is second


def test_a_partial_refund_reissues_for_what_was_kept(db_session) -> None:
    paid = payment(db_session, donor(db_session))
    first = services.issue_for_payment(db_session, paid.id, ctx())
    assert first is not None
    paid.status, paid.refunded_minor = "partially_refunded", 2000
    second = services.void_and_reissue(db_session, first, "partial refund", ctx())
    assert second is not None
    assert second.total_minor == 3000


def test_a_full_refund_leaves_nothing_to_reissue(db_session) -> None:
    paid = payment(db_session, donor(db_session))
    first = services.issue_for_payment(db_session, paid.id, ctx())
    assert first is not None
    paid.status, paid.refunded_minor = "refunded", 5000
    assert services.void_and_reissue(db_session, first, "refunded", ctx()) is None
    assert first.status == "void"


def test_resend_queues_the_same_receipt_and_refuses_a_void_one(db_session) -> None:
    paid = payment(db_session, donor(db_session))
    receipt = rendered(db_session, services.issue_for_payment(db_session, paid.id, ctx()))
    services.resend(db_session, receipt)
    emails = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.name == "receipts.email")
    ).all()
    # The first email went with rendering; a resend is a message of its own.
    assert [m.payload["receipt_id"] for m in emails] == [receipt.id]
    services.void(db_session, receipt, "test")
    with pytest.raises(ValueError, match="void"):
        services.resend(db_session, receipt)


def test_a_payment_cannot_be_on_two_active_receipts(db_session) -> None:
    paid = payment(db_session, donor(db_session))
    receipt = services.issue_for_payment(db_session, paid.id, ctx())
    assert receipt is not None
    db_session.add(
        ReceiptItem(receipt=receipt, payment_id=paid.id, amount_minor=1, received_on=TODAY)
    )
    with pytest.raises(IntegrityError):
        db_session.flush()
    db_session.rollback()


def test_the_australian_tax_year_runs_july_to_june() -> None:
    assert annual.tax_year(OFFICES.get("AU"), 2026) == (date(2025, 7, 1), date(2026, 6, 30))
    assert annual.tax_year(OFFICES.get("DE"), 2026) == (date(2026, 1, 1), date(2026, 12, 31))


def test_annual_statements_cover_what_no_receipt_did_and_never_twice(db_session) -> None:
    germany = OFFICES.get("DE")
    person = donor(db_session)
    receipted = payment(db_session, person, minor=1000)
    services.issue_for_payment(db_session, receipted.id, ctx())
    monthly = [
        payment(
            db_session, person, minor=1500, plan=True, paid=datetime(2026, month, 5, tzinfo=UTC)
        )
        for month in (1, 2, 3)
    ]
    payment(db_session, person, minor=9900, status="refunded")
    # 23:59 on New Year's Eve in Berlin: the year before
    payment(db_session, person, minor=700, paid=datetime(2025, 12, 31, 22, 59, tzinfo=UTC))
    period = annual.tax_year(germany, 2026)
    groups = annual.grouped(annual.unreceipted(db_session, germany, period))
    assert [[p.id for p in group] for group in groups.values()] == [[p.id for p in monthly]]
    statement = rendered(
        db_session, annual.issue_group(db_session, germany, monthly, period, ctx())
    )
    assert statement.total_minor == 4500
    assert (statement.period_start, statement.period_end) == period
    assert RENDERED[-1].is_statement
    assert len(RENDERED[-1].gifts) == 3
    assert annual.unreceipted(db_session, germany, period) == []  # re-running issues nothing


def test_the_address_names_the_country_in_the_receipts_language(db_session) -> None:
    paid = payment(db_session, donor(db_session))
    receipt = services.issue_for_payment(db_session, paid.id, ctx())
    assert receipt is not None
    assert receipt.language == "de"
    assert receipt.donor_snapshot["address"][-1] == "Deutschland"


def test_new_year_in_berlin_starts_the_german_tax_year(db_session) -> None:
    """00:30 on 1 January in Berlin is 23:30 on 31 December in UTC: the new year's gift."""
    germany = OFFICES.get("DE")
    person = donor(db_session)
    new_year = payment(db_session, person, paid=datetime(2025, 12, 31, 23, 30, tzinfo=UTC))
    found = annual.unreceipted(db_session, germany, annual.tax_year(germany, 2026))
    assert [p.id for p in found] == [new_year.id]
    assert annual.unreceipted(db_session, germany, annual.tax_year(germany, 2025)) == []


def test_one_in_the_morning_of_1_july_in_sydney_belongs_to_the_new_australian_year(
    db_session,
) -> None:
    """01:00 on 1 July 2026 in Sydney is 15:00 on 30 June in UTC."""
    australia = OFFICES.get("AU")
    person = donor(db_session, "AU", email="au@example.org")
    gift = payment(db_session, person, paid=datetime(2026, 6, 30, 15, 0, tzinfo=UTC))
    gift.currency = gift.donation.currency = "AUD"
    old_year, new_year = annual.tax_year(australia, 2026), annual.tax_year(australia, 2027)
    assert annual.unreceipted(db_session, australia, old_year) == []
    assert [p.id for p in annual.unreceipted(db_session, australia, new_year)] == [gift.id]
    receipt = rendered(db_session, services.issue_for_payment(db_session, gift.id, ctx()))
    assert receipt.items[0].received_on == date(2026, 7, 1)  # the day it was in Sydney


def test_receipts_are_dated_and_numbered_by_the_offices_own_day(db_session) -> None:
    """At 23:30 UTC on 31 December it is already New Year in Berlin: a German receipt is
    numbered in and dated the new year."""
    person = donor(db_session)
    gift = payment(db_session, person, paid=datetime(2026, 12, 31, 23, 0, tzinfo=UTC))
    late = services.ReceiptContext(
        OFFICES,
        render,
        date(2026, 12, 31),
        "test.invalid",
        now=datetime(2026, 12, 31, 23, 30, tzinfo=UTC),
    )
    receipt = services.issue_for_payment(db_session, gift.id, late)
    assert receipt is not None
    assert receipt.number == "DE-2027-000001"
    services.render(db_session, receipt, late)
    assert RENDERED[-1].issued_on == date(2027, 1, 1)
    assert RENDERED[-1].gifts[0].received_on == date(2027, 1, 1)


@pytest.mark.parametrize(
    ("code", "year", "today", "allowed"),
    [
        ("DE", 2026, date(2026, 12, 31), False),
        ("DE", 2026, date(2027, 1, 1), True),
        ("AU", 2026, date(2026, 6, 30), False),
        ("AU", 2026, date(2026, 7, 1), True),
    ],
)
def test_a_statement_waits_for_the_end_of_its_period(
    code: str, year: int, today: date, allowed: bool
) -> None:
    office = OFFICES.get(code)
    period = annual.tax_year(office, year)
    if allowed:
        annual.check_period_over(office, period, today)
    else:
        with pytest.raises(annual.PeriodNotOver, match="can be issued from"):
            annual.check_period_over(office, period, today)


def _year_of_gifts(session, year: int, donors: int, gifts: int) -> None:
    """`donors` German donors, each with `gifts` monthly gifts in `year` not yet receipted."""
    for n in range(donors):
        person = donor(session, email=f"year-{year}-{n}@example.org")
        for month in range(1, gifts + 1):
            paid = datetime(year, month, 2, tzinfo=UTC)
            payment(session, person, minor=1000, plan=True, paid=paid)
    session.flush()


def _issue_year(session, year: int) -> tuple[int, list[int], int]:
    """Issue `year`'s German statements in batches of two donors: how many, the batches'
    sizes, and how many SELECTs it took."""
    germany = OFFICES.get("DE")
    reads: list[str] = []
    batches: list[int] = []
    engine = session.get_bind()

    @event.listens_for(engine, "before_cursor_execute")
    def _note(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().startswith("SELECT"):
            reads.append(statement)

    try:
        issued = annual.issue_statements(
            session,
            germany,
            annual.tax_year(germany, year),
            ctx(today=date(2027, 1, 2)),
            batch=2,
            progress=batches.append,
        )
    finally:
        event.remove(engine, "before_cursor_execute", _note)
    return issued, batches, len(reads)


def test_a_year_is_issued_in_batches_of_donors_with_a_fixed_number_of_queries(
    db_session,
) -> None:
    """Five donors in batches of two: three batches, each committed and the session emptied;
    twice the gifts take no more queries (no lazy load per donation or donor)."""
    _year_of_gifts(db_session, 2025, 5, gifts=3)
    _year_of_gifts(db_session, 2026, 5, gifts=6)
    db_session.commit()
    few = _issue_year(db_session, 2025)
    assert len(db_session.identity_map) == 0  # emptied after each batch
    many = _issue_year(db_session, 2026)
    assert few[:2] == many[:2] == (5, [2, 2, 1])
    assert few[2] == many[2]
    made = db_session.scalars(select(Receipt).where(Receipt.period_start.is_not(None))).all()
    assert sorted(len(r.items) for r in made) == [3] * 5 + [6] * 5
    assert _issue_year(db_session, 2026)[:2] == (0, [])  # never twice
