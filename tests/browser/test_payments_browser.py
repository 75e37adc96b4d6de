"""Donors pay in Chromium: the wizard, the Stripe.js stand-in, webhooks in the background.

The stand-in sends real signed events to `paying_server` on its own thread, so the database
catches up a moment after the browser does: DB state is polled with a deadline.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from checkout.db import get_database
from checkout.donations.models import Donation, RecurringPlan
from checkout.payments.credentials import standin_keys
from tests.browser.conftest import PayingServer

THANKS_URL = re.compile(r"/donate/thanks/([^/?#]+)$")
WEBHOOK_SECONDS = 10.0

# The labels a donor sees, in the two languages these tests use.
LABELS = {
    "en": {
        "continue": "Continue",
        "other": "Other amount",
        "your_amount": "Your amount",
        "first_name": "First name",
        "last_name": "Last name",
        "email": "Email address",
        "street": "Street and number",
        "postcode": "Postcode",
        "city": "Town or city",
        "monthly": "Monthly",
        "card": "Card",
        "sepa_debit": "SEPA Direct Debit",
    },
    "de": {
        "continue": "Weiter",
        "other": "Anderer Betrag",
        "your_amount": "Dein Betrag",
        "first_name": "Vorname",
        "last_name": "Nachname",
        "email": "E-Mail-Adresse",
        "street": "Straße und Hausnummer",
        "postcode": "Postleitzahl",
        "city": "Ort",
        "monthly": "Monatlich",
        "card": "Karte",
        "sepa_debit": "SEPA-Lastschrift",
    },
}
ADDRESSES = {
    "DE": ("Erika", "Mustermann", "erika@example.org", "Hauptstraße 1", "10115", "Berlin"),
    "UK": ("Tom", "Jones", "tom@example.org", "", "", ""),  # no Gift Aid: no address asked
}


# --- helpers --------------------------------------------------------------------------------


def to_pay_page(
    page: Page,
    server: PayingServer,
    office: str,
    *,
    amount: str,
    method: str = "card",
    monthly: bool = False,
) -> None:
    """Walk the wizard (amount typed as "Other amount"), press pay on review, await Stripe.js."""
    lang = page.evaluate("navigator.language").split("-")[0]
    label = LABELS[lang]
    page.goto(server.url("/donate"))
    if monthly:
        page.get_by_label(label["monthly"], exact=True).check()
    page.get_by_label(label["other"], exact=True).check()
    page.get_by_label(label["your_amount"]).fill(amount)
    page.get_by_role("button", name=label["continue"]).click()
    first, last, email, street, postcode, city = ADDRESSES[office]
    page.get_by_label(label["first_name"]).fill(first)
    page.get_by_label(label["last_name"]).fill(last)
    page.get_by_label(label["email"]).fill(email)
    for field, value in (("street", street), ("postcode", postcode), ("city", city)):
        if value:
            page.get_by_label(label[field]).fill(value)
    page.get_by_role("button", name=label["continue"]).click()
    page.get_by_label(label[method], exact=True).check()
    page.get_by_role("button", name=label["continue"]).click()
    expect(page).to_have_url(re.compile(r"/donate/review$"))
    page.locator("form.pay-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/donate/pay$"))
    # Mounted: the stand-in renders one radio per payment method type of the intent.
    expect(page.locator("input[name=standin-payment-type]").first).to_be_attached()


def fill_card(page: Page, number: str) -> None:
    page.fill("input[name=cardnumber]", number)
    page.fill("input[name=exp-date]", "12 / 34")
    page.fill("input[name=cvc]", "123")


def press_pay(page: Page) -> None:
    page.locator("#payment-form button[type=submit]").click()


def thanks_public_id(page: Page) -> str:
    """Wait for the thank-you page and return the donation's public id from its URL."""
    expect(page).to_have_url(THANKS_URL, timeout=10_000)
    found = THANKS_URL.search(page.url)
    assert found
    return found.group(1)


def read(server: PayingServer, query: Callable[[Any], Any]) -> Any:
    """Run `query(session)` on the live server's database, in a short transaction of its own."""
    with get_database(server.app).session_factory() as session:
        return query(session)


def eventually(what: str, probe: Callable[[], Any], wanted: Any) -> None:
    """Poll `probe` until it returns `wanted` (webhooks arrive in the background)."""
    deadline = time.monotonic() + WEBHOOK_SECONDS
    while (got := probe()) != wanted:
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} is {got!r} after {WEBHOOK_SECONDS} s, not {wanted!r}")
        time.sleep(0.1)


def donation_status(server: PayingServer, public_id: str) -> Callable[[], str | None]:
    return lambda: read(
        server,
        lambda s: s.scalar(select(Donation.status).where(Donation.public_id == public_id)),
    )


def thank_you_heading(page: Page, text: str = "Thank you!") -> Any:
    return page.get_by_role("heading", name=text, exact=True)


# --- tests ----------------------------------------------------------------------------------


def test_25_euros_once_by_card(paying_server: PayingServer, open_page) -> None:
    page = open_page("en-DE")
    to_pay_page(page, paying_server, "DE", amount="25")
    expect(page.get_by_role("button", name="Donate €25.00")).to_be_visible()
    fill_card(page, "4242 4242 4242 4242")
    press_pay(page)
    public_id = thanks_public_id(page)
    expect(thank_you_heading(page)).to_be_visible()
    eventually("the donation", donation_status(paying_server, public_id), "succeeded")
    row = read(
        paying_server,
        lambda s: s.execute(
            select(Donation.office_code, Donation.currency, Donation.amount_minor).where(
                Donation.public_id == public_id
            )
        ).one(),
    )
    assert tuple(row) == ("DE", "EUR", 2500)


def test_10_pounds_monthly_by_card_makes_an_active_plan(
    paying_server: PayingServer, open_page
) -> None:
    page = open_page("en-GB")
    to_pay_page(page, paying_server, "UK", amount="10", monthly=True)
    expect(page.get_by_role("button", name="Donate £10.00 monthly")).to_be_visible()
    fill_card(page, "4242 4242 4242 4242")
    press_pay(page)
    public_id = thanks_public_id(page)

    def plan_status() -> str | None:
        return read(
            paying_server,
            lambda s: s.scalar(
                select(RecurringPlan.status)
                .join(Donation, RecurringPlan.donation)
                .where(Donation.public_id == public_id)
            ),
        )

    eventually("the recurring plan", plan_status, "active")  # after invoice.paid
    eventually("the donation", donation_status(paying_server, public_id), "succeeded")
    page.reload()
    expect(thank_you_heading(page)).to_be_visible()
    expect(page.get_by_text("You give £10.00 monthly.")).to_be_visible()


def test_50_euros_by_sepa_is_pending_until_the_debit_settles(
    paying_server: PayingServer, open_page
) -> None:
    page = open_page("en-DE")
    to_pay_page(page, paying_server, "DE", amount="50", method="sepa_debit")
    page.check("input[name=standin-payment-type][value=sepa_debit]")  # if card is offered too
    page.fill("input[name=name]", "Erika Mustermann")
    page.fill("input[name=email]", "erika@example.org")
    page.fill("input[name=iban]", "DE89 3704 0044 0532 0130 00")
    press_pay(page)
    public_id = thanks_public_id(page)
    expect(thank_you_heading(page, "Thank you! Your donation is being processed")).to_be_visible()
    eventually("the donation", donation_status(paying_server, public_id), "processing")
    intent = read(
        paying_server,
        lambda s: s.scalar(
            select(Donation.stripe_payment_intent_id).where(Donation.public_id == public_id)
        ),
    )
    # Only this gift's debit: the DE account on the stand-in is shared with other tests.
    control = paying_server.standin.control
    assert control.settle_debits(standin_keys("DE").secret_key, payment_intent=intent) == [intent]
    eventually("the donation", donation_status(paying_server, public_id), "succeeded")
    page.reload()
    expect(thank_you_heading(page)).to_be_visible()


def test_a_3d_secure_card_completes_after_authentication(
    paying_server: PayingServer, open_page
) -> None:
    page = open_page("en-DE")
    to_pay_page(page, paying_server, "DE", amount="30")
    fill_card(page, "4000 0025 0000 3155")
    pay_url = page.url
    press_pay(page)
    # As with Stripe.js, 3-D Secure is a dialog on the pay page, the issuer's page framed in it.
    challenge = page.get_by_role("dialog").frame_locator("iframe").locator("#standin-complete")
    expect(challenge).to_be_visible()
    assert page.url == pay_url
    challenge.click()
    public_id = thanks_public_id(page)
    expect(thank_you_heading(page)).to_be_visible()
    eventually("the donation", donation_status(paying_server, public_id), "succeeded")


def test_a_failed_3d_secure_explains_in_german_on_the_pay_page(
    paying_server: PayingServer, open_page
) -> None:
    page = open_page("de-DE")
    to_pay_page(page, paying_server, "DE", amount="40")
    pay_url = page.url
    fill_card(page, "4000 0025 0000 3155")
    press_pay(page)
    dialog = page.get_by_role("dialog", name="Zahlung bestätigen")
    failing = dialog.frame_locator("iframe").locator("#standin-fail")
    expect(failing).to_be_visible()
    failing.click()
    error = page.locator("#payment-error")
    expect(error).to_have_text(
        "Deine Bank konnte diese Zahlung nicht bestätigen. "
        "Bitte versuche es noch einmal oder nutze eine andere Karte."
    )
    expect(error).to_be_focused()
    expect(dialog).to_be_hidden()
    assert page.url == pay_url


def test_a_declined_card_explains_in_german_then_another_card_succeeds(
    paying_server: PayingServer, open_page
) -> None:
    page = open_page("de-DE")
    to_pay_page(page, paying_server, "DE", amount="35")
    pay_url = page.url
    fill_card(page, "4000 0000 0000 0341")
    press_pay(page)
    error = page.locator("#payment-error")
    expect(error).to_have_text(
        "Deine Karte wurde abgelehnt. Bitte versuche es mit einer anderen Karte oder Zahlungsweise."
    )
    expect(error).to_be_focused()
    assert page.url == pay_url
    page.fill("input[name=cardnumber]", "4242 4242 4242 4242")  # nothing else typed again
    press_pay(page)
    public_id = thanks_public_id(page)
    expect(thank_you_heading(page, "Vielen Dank!")).to_be_visible()
    eventually("the donation", donation_status(paying_server, public_id), "succeeded")

    def donations_of_the_draft(session: Any) -> int:
        draft_id = select(Donation.draft_id).where(Donation.public_id == public_id)
        count = select(func.count()).select_from(Donation)
        return int(session.scalar(count.where(Donation.draft_id == draft_id.scalar_subquery())))

    assert read(paying_server, donations_of_the_draft) == 1


def test_a_stranger_opening_the_thank_you_address_sees_nothing_of_the_gift(
    paying_server: PayingServer, open_page
) -> None:
    donor = open_page("en-DE")
    to_pay_page(donor, paying_server, "DE", amount="35")
    fill_card(donor, "4242 4242 4242 4242")
    press_pay(donor)
    thanks_public_id(donor)
    expect(donor.get_by_text("erika@example.org")).to_be_visible()
    address = donor.url

    stranger = open_page("en-GB")  # another browser: its own cookies
    stranger.goto(address)
    expect(stranger.get_by_role("heading", name="Thank you for your interest")).to_be_visible()
    body = stranger.locator("main").inner_text()
    for private in ("erika@example.org", "Erika", "Mustermann", "35", "€"):
        assert private not in body, private
    expect(stranger.get_by_role("button")).to_have_count(0)  # no "again" or "monthly"
