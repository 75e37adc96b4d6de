"""Donors in their portal, in Chromium: signing in from the emailed link, a receipt's bytes,
a lower monthly amount billed at the next renewal on the stand-in's clock, a pause and its
end, stopping after the save offer, a new card, an opt-in withdrawn, the data export; by
keyboard, and at 320 pixels.

Each test has its own server and its own Stripe account at the stand-in (its clock and its
events are the test's alone); mail goes to the loopback SMTP sink, and the outbox is drained
by a worker in the test, as `flask worker` would.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import stripe
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from checkout import create_app, migrate
from checkout.consent.models import ConsentRecord
from checkout.db import get_database
from checkout.donations.models import Donation, Donor, RecurringPlan
from checkout.payments import services as payment_services
from checkout.payments.events import APPLY_EVENT
from checkout.payments.wiring import gateway
from checkout.receipts.models import Receipt
from checkout.testing.stripe_standin.pytest_plugin import RunningStandin, StandinAccount
from tests.conftest import test_settings
from tests.factories import stored_draft
from tests.integration.test_receipt_delivery import drain, seed
from tests.outbox_support import WorkerThread
from tests.payments_support import account_environ
from tests.transfers_support import record_checkout

WEBHOOK_SECONDS = 10.0
LINK = re.compile(r"(https?://\S+/account/sign-in/[A-Za-z0-9_\-]{40,})")


@dataclass
class Portal:
    """A live app for one test: its address, its stand-in account, the mail it sent."""

    app: Any
    base_url: str
    account: StandinAccount
    smtp: Any
    downloads: Path

    def url(self, path: str) -> str:
        return self.base_url + path

    def session(self) -> Session:
        return get_database(self.app).session_factory()

    def read(self, query: Callable[[Session], Any]) -> Any:
        with self.session() as session:
            return query(session)

    def eventually(self, what: str, query: Callable[[Session], Any], wanted: Any) -> None:
        """Poll the database until `query` gives `wanted` (webhooks arrive in the background)."""
        deadline = time.monotonic() + WEBHOOK_SECONDS
        while (got := self.read(query)) != wanted:
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} is {got!r} after {WEBHOOK_SECONDS} s, not {wanted!r}")
            time.sleep(0.1)

    def stripe(self) -> stripe.StripeClient:
        return self.account.client


@pytest.fixture
def portal(
    tmp_path: Path, stripe_standin: RunningStandin, standin_account: StandinAccount, smtp_server
) -> Iterator[Portal]:
    """The app on its own SQLite file, the DE office on a fresh stand-in account whose signed
    webhooks reach it, mail to the SMTP sink."""
    url = f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    migrate.upgrade(url)
    settings = test_settings(
        url,
        STRIPE_API_BASE=stripe_standin.base_url,
        STRIPE_JS_URL=stripe_standin.base_url + "/v3/",
        STRIPE_MAX_NETWORK_RETRIES=0,
        MAIL_TRANSPORT="smtp",
        SMTP_HOST=smtp_server.host,
        SMTP_PORT=smtp_server.port,
        SMTP_SECURITY="none",
    )
    secret = "whsec_portal_browser"
    environ = account_environ(
        "DE", standin_account.secret_key, standin_account.publishable_key, secret
    )
    app = create_app(settings, environ=environ)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = base_url
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stripe_standin.control.register_webhook(
        standin_account.secret_key, f"{base_url}/webhooks/stripe/DE", secret
    )
    # The webhook stores events; a worker beside the server applies them, as in the demo.
    worker = WorkerThread(app, [APPLY_EVENT]).start()
    yield Portal(app, base_url, standin_account, smtp_server, tmp_path)
    server.shutdown()
    thread.join(timeout=5)
    worker.stop()
    get_database(app).engine.dispose()


# --- records, made the way the checkout makes them --------------------------------------------


def monthly_gift(portal: Portal, email: str, amount_minor: int = 1000) -> str:
    """A €10 monthly card gift: our rows, then the Subscription through our gateway, its first
    invoice paid as the pay page pays it; webhooks bring our plan to active. Its public id."""
    with portal.session() as session, portal.app.app_context():
        donor = Donor(
            office_code="DE",
            email=email,
            first_name="Dana",
            last_name="Donor",
            country="DE",
            address_line1="Ring 1",
            postcode="10115",
            city="Berlin",
            locale="en",
        )
        donation = Donation(
            draft_id=stored_draft(session),
            donor=donor,
            office_code="DE",
            currency="EUR",
            amount_minor=amount_minor,
            frequency="monthly",
            method="card",
        )
        session.add(donation)
        session.commit()
        payment_services.open_at_stripe(session, donation, gateway())
        session.commit()
        public_id, secret = donation.public_id, str(donation.stripe_client_secret)
    browser = portal.account.standin.client(portal.account.publishable_key)
    browser.v1.payment_intents.confirm(
        secret.split("_secret_")[0],
        params={"client_secret": secret, "payment_method": "pm_card_visa"},  # type: ignore[typeddict-unknown-key]
    )
    portal.eventually("the plan", lambda s: _plan(s, public_id).status, "active")
    portal.eventually("the first payment", lambda s: len(_plan(s, public_id).donation.payments), 1)
    return public_id


def _plan(session: Session, public_id: str) -> RecurringPlan:
    donation = session.scalars(select(Donation).where(Donation.public_id == public_id)).one()
    assert donation.plan is not None
    return donation.plan


def subscription_of(portal: Portal, public_id: str) -> stripe.Subscription:
    sub_id = portal.read(lambda s: _plan(s, public_id).stripe_subscription_id)
    return portal.stripe().v1.subscriptions.retrieve(sub_id)


# --- what a donor does --------------------------------------------------------------------------


def sign_in(page: Page, portal: Portal, email: str) -> None:
    """Type the address, press Enter; open the emailed link; press the one button."""
    page.goto(portal.url("/account/sign-in"))
    field = page.get_by_label("Email address")
    field.fill(email)
    field.press("Enter")
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    before = len(portal.smtp.messages)
    drain(portal.app)
    [message] = [
        m
        for m in portal.smtp.messages[before:]
        if m["To"] == email and str(m["Subject"]).startswith("Sign in to your giving account")
    ]
    found = LINK.search(message.get_body(("plain",)).get_content())
    assert found
    page.goto(found.group(1))
    button = page.get_by_role("button", name="Sign in", exact=True)
    button.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your gifts")).to_be_visible()


def open_gift(page: Page) -> None:
    page.get_by_role("link", name=re.compile("^Change or stop this gift")).first.click()
    expect(page.get_by_role("heading", name=re.compile("^Your recurring gift to"))).to_be_visible()


# --- the tests ---------------------------------------------------------------------------------


def test_signing_in_from_the_emailed_link(portal: Portal, open_page) -> None:
    with portal.session() as session:
        seed(session, "DE")  # a receipted one-time gift of donor-de-0@example.org
    page = open_page("en-DE")
    sign_in(page, portal, "donor-de-0@example.org")
    expect(page.get_by_text("Signed in as donor-de-0@example.org.")).to_be_visible()
    expect(page.locator("[data-payment-amount]").first).to_have_text("€50.00")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    page.goto(portal.url("/account/"))
    expect(page.get_by_role("heading", name="Your giving account")).to_be_visible()


def test_a_receipt_downloads_with_the_bytes_that_were_emailed(portal: Portal, open_page) -> None:
    with portal.session() as session:
        seed(session, "DE")
    drain(portal.app)  # numbered, rendered, emailed
    receipt = portal.read(lambda s: s.scalars(select(Receipt)).one())
    [emailed] = [m for m in portal.smtp.messages if receipt.number in str(m["Subject"])]
    [attachment] = list(emailed.iter_attachments())
    page = open_page("en-DE")
    sign_in(page, portal, "donor-de-0@example.org")
    page.get_by_role("link", name="Receipts", exact=True).click()
    with page.expect_download() as download:
        page.get_by_role("link", name=f"Download {receipt.number} (PDF)").click()
    saved = portal.downloads / "receipt.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes() == receipt.pdf == attachment.get_content()


def test_a_lower_amount_is_what_the_next_renewal_charges(portal: Portal, open_page) -> None:
    public_id = monthly_gift(portal, "lower@example.org")
    page = open_page("en-DE")
    sign_in(page, portal, "lower@example.org")
    open_gift(page)
    expect(page.locator("[data-plan-amount]")).to_contain_text("€10.00")
    field = page.get_by_label("New amount")
    field.fill("7.50")
    field.press("Enter")
    expect(page.get_by_text("from your next debit on you give €7.50")).to_be_visible()
    expect(page.locator("[data-plan-amount]")).to_contain_text("€7.50")
    portal.account.control.advance_to_next_renewal(portal.account.secret_key)
    sub = subscription_of(portal, public_id)
    invoice = portal.stripe().v1.invoices.retrieve(str(sub.latest_invoice))
    assert (invoice.billing_reason, invoice.amount_due, invoice.status) == (
        "subscription_cycle",
        750,
        "paid",
    )
    portal.eventually(
        "the instalments",
        lambda s: sorted(p.amount_minor for p in _plan(s, public_id).donation.payments),
        [750, 1000],
    )
    page.get_by_role("link", name="Your gifts", exact=True).click()
    expect(page.locator("[data-payment-amount]").first).to_have_text("€7.50")
    drain(portal.app)
    changed = [m for m in portal.smtp.messages if "has changed" in str(m["Subject"])]
    assert len(changed) == 1 and "€7.50 each month" in changed[0].get_body(("plain",)).get_content()


def test_pause_for_a_month_then_resume(portal: Portal, open_page) -> None:
    public_id = monthly_gift(portal, "pause@example.org")
    page = open_page("en-DE")
    sign_in(page, portal, "pause@example.org")
    open_gift(page)
    page.get_by_label("One month", exact=True).check()
    page.get_by_role("button", name="Pause my gift").click()
    expect(page.get_by_text("Done: your gift is paused.")).to_be_visible()
    expect(page.locator("[data-plan-status]")).to_have_text("Paused")
    pause = subscription_of(portal, public_id).pause_collection
    assert pause is not None and pause.behavior == "void" and pause.resumes_at
    page.get_by_role("button", name="Resume my gift now").click()
    expect(page.get_by_text("Done: your gift continues with the next debit.")).to_be_visible()
    expect(page.locator("[data-plan-status]")).to_have_text("Active")
    assert subscription_of(portal, public_id).pause_collection is None


def test_stopping_after_the_save_offer(portal: Portal, open_page) -> None:
    public_id = monthly_gift(portal, "stop@example.org")
    page = open_page("en-DE")
    sign_in(page, portal, "stop@example.org")
    open_gift(page)
    page.get_by_role("link", name="Stop this gift").click()
    expect(page.get_by_role("heading", name="Before you stop your gift")).to_be_visible()
    expect(page.get_by_role("heading", name="Give a smaller amount")).to_be_visible()
    expect(page.get_by_role("heading", name="Take a break instead")).to_be_visible()
    page.get_by_role("button", name="Stop my gift").click()
    expect(page.get_by_text("Your gift is stopped")).to_be_visible()
    expect(page.get_by_text("This gift has ended. Thank you for all you gave.")).to_be_visible()
    assert subscription_of(portal, public_id).status == "canceled"
    portal.eventually("the plan", lambda s: _plan(s, public_id).status, "canceled")


def test_replacing_the_card(portal: Portal, open_page) -> None:
    public_id = monthly_gift(portal, "card@example.org")
    page = open_page("en-DE")
    sign_in(page, portal, "card@example.org")
    open_gift(page)
    page.get_by_role("link", name="Replace your card").click()
    expect(page.locator("input[name=cardnumber]")).to_be_visible()
    page.fill("input[name=cardnumber]", "5555 5555 5555 4444")
    page.fill("input[name=exp-date]", "12 / 34")
    page.fill("input[name=cvc]", "123")
    page.get_by_role("button", name="Save the new details").click()
    expect(page.get_by_text("Done: your gift is debited from the new details")).to_be_visible()
    expect(page.locator("[data-plan-method]")).to_contain_text("ending 4444")
    sub = subscription_of(portal, public_id)
    method = portal.stripe().v1.payment_methods.retrieve(str(sub.default_payment_method))
    assert method.card is not None and method.card.last4 == "4444"


def test_replacing_the_card_with_3d_secure_in_the_page(portal: Portal, open_page) -> None:
    public_id = monthly_gift(portal, "secure@example.org")
    page = open_page("en-DE")
    sign_in(page, portal, "secure@example.org")
    open_gift(page)
    page.get_by_role("link", name="Replace your card").click()
    page.fill("input[name=cardnumber]", "4000 0025 0000 3155")
    page.fill("input[name=exp-date]", "12 / 34")
    page.fill("input[name=cvc]", "123")
    page.get_by_role("button", name="Save the new details").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.frame_locator("iframe").locator("#standin-complete").click()
    expect(page.get_by_text("Done: your gift is debited from the new details")).to_be_visible()
    expect(page.locator("[data-plan-method]")).to_contain_text("ending 3155")
    sub = subscription_of(portal, public_id)
    assert str(sub.default_payment_method).startswith("pm_")


def test_withdrawing_an_opt_in(portal: Portal, open_page) -> None:
    with portal.session() as session:
        payment = seed(session, "DE")
        record_checkout(session, payment.donation, email_opt_in=True)
        session.commit()
        donor_id = payment.donation.donor_id
    page = open_page("en-DE")
    sign_in(page, portal, "donor-de-0@example.org")
    page.get_by_role("link", name="Your choices", exact=True).click()
    section = page.locator('[data-office="DE"]')
    expect(section.locator("[data-email-state]")).to_contain_text("Waiting for your confirmation")
    section.get_by_role("button", name=re.compile("^Stop these emails")).click()
    expect(page.get_by_text("Done: this office will not email you")).to_be_visible()
    expect(section.locator("[data-email-state]")).to_contain_text("You will not get these emails")
    decisions = portal.read(
        lambda s: [
            (r.decision, r.form)
            for r in s.scalars(
                select(ConsentRecord)
                .where(
                    ConsentRecord.donor_id == donor_id, ConsentRecord.purpose == "email_fundraising"
                )
                .order_by(ConsentRecord.id)
            )
        ]
    )
    assert decisions == [("granted", "details"), ("withdrawn", "portal.withdraw_email")]


def test_downloading_the_data_export(portal: Portal, open_page) -> None:
    with portal.session() as session:
        seed(session, "DE")
    page = open_page("en-DE")
    sign_in(page, portal, "donor-de-0@example.org")
    page.get_by_role("link", name="Your data", exact=True).click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download my data").click()
    saved = portal.downloads / "my-data.json"
    download.value.save_as(saved)
    held = json.loads(saved.read_text())
    assert held["email"] == "donor-de-0@example.org"
    [donor] = held["donors"]
    assert [d["amount_minor"] for d in donor["donations"]] == [5000]


def test_the_portal_by_keyboard_at_320_pixels(portal: Portal, open_page) -> None:
    public_id = monthly_gift(portal, "keys@example.org")
    page = open_page("en-DE", width=320)
    page.goto(portal.url("/account/sign-in"))
    tab_to(page, "#email")
    page.keyboard.type("not an address")
    page.keyboard.press("Enter")
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(page.get_by_label("Email address")).to_have_attribute("aria-invalid", "true")
    summary.get_by_role("link").first.press("Enter")
    expect(page.get_by_label("Email address")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("keys@example.org")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    drain(portal.app)
    [message] = [m for m in portal.smtp.messages if "Sign in" in str(m["Subject"])]
    found = LINK.search(message.get_body(("plain",)).get_content())
    assert found
    page.goto(found.group(1))
    tab_to(page, "main button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your gifts")).to_be_visible()
    fits(page)
    tab_to(page, f"a[href='/account/gifts/{public_id}']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile("^Your recurring gift to"))).to_be_visible()
    fits(page)
    tab_to(page, "#amount")
    page.keyboard.type("1")
    page.keyboard.press("Enter")
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator("#amount-error")).to_contain_text("from €5.00 to €25,000.00")
    expect(page.get_by_label("New amount")).to_have_value("1")
    fits(page)
    for path in ("/account/receipts", "/account/consent", "/account/details", "/account/data"):
        page.goto(portal.url(path))
        expect(page.locator("h1")).to_be_visible()
        fits(page)


def tab_to(page: Page, matches: str, limit: int = 60) -> None:
    """Press Tab until the focused element matches the CSS selector `matches`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", matches):
            return
    raise AssertionError(f"Tab never reached {matches}")


def fits(page: Page) -> None:
    """Nothing wider than a 320 pixel screen."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"{page.url} is {width}px wide at 320px"
