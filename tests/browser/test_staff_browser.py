"""The consoles in Chromium, driven as a person drives them: typing, pressing Enter, the
authenticator app's codes computed with pyotp, a passkey through Chromium's virtual
authenticator (the DevTools WebAuthn domain), and a support agent's day: find a donor by
receipt number, resend it, correct a name, cancel a monthly gift; the audit log shows it all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.audit.models import AuditEvent
from checkout.db import get_database
from checkout.payments.credentials import standin_keys
from checkout.receipts.models import Receipt
from tests.browser.conftest import LiveServer, PayingServer
from tests.integration.test_receipt_delivery import drain
from tests.integration.test_support_console import active_plan
from tests.staff_support import Staff, fresh_code, make_donor_records, make_staff


@pytest.fixture
def live_session(live_server: LiveServer) -> Iterator[Session]:
    session = get_database(live_server.app).session_factory()
    yield session
    session.close()


def type_and_enter(page: Page, label: str, value: str) -> None:
    field = page.get_by_label(label, exact=True)
    field.fill(value)
    field.press("Enter")


def sign_in(page: Page, base: str, staff: Staff, session: Session) -> None:
    """Email and password, Enter; the app's code, Enter."""
    email = staff.account.email  # may load the row again: then let SQLite go at once
    session.commit()
    page.goto(base + "/staff/sign-in")
    page.get_by_label("Email address").fill(email)
    type_and_enter(page, "Password", staff.password)
    expect(page.get_by_role("heading", name="Second step")).to_be_visible()
    session.refresh(staff.account)
    code = fresh_code(staff.secret, staff.account.totp_last_step)
    session.commit()  # SQLite: let go of the file before the server writes to it
    type_and_enter(page, "Code from your authenticator app", code)
    expect(page.get_by_role("heading", name="Staff console")).to_be_visible()


def test_the_first_admin_enrols_with_an_authenticator_app(
    live_server: LiveServer, open_page, live_session
) -> None:
    runner = live_server.app.test_cli_runner()
    created = runner.invoke(
        args=["staff", "create", "first-admin@example.org", "--role", "admin", "--office", "ALL"]
    )
    link = (
        created.output.strip()
        .splitlines()[-1]
        .replace("http://127.0.0.1:5000", live_server.base_url)
    )
    page = open_page()
    page.goto(link)
    expect(page.get_by_role("heading", name="Set up your account")).to_be_visible()
    page.get_by_label("New password", exact=True).fill("password12345")
    type_and_enter(page, "The same password again", "password12345")
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("too common or too easy to guess")
    page.get_by_label("New password", exact=True).fill("lantern orchard quietly sings")
    type_and_enter(page, "The same password again", "lantern orchard quietly sings")
    expect(page.locator("svg.totp-qr")).to_be_visible()  # drawn here, no third-party request
    secret = page.locator("[data-totp-secret]").inner_text()
    type_and_enter(page, "Code from your authenticator app", pyotp.TOTP(secret).now())
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.locator("[data-recovery-codes] li")).to_have_count(10)
    page.get_by_role("link", name="I have saved them").click()
    expect(page.get_by_text("Signed in as first-admin@example.org.")).to_be_visible()
    page.goto(link)  # the link works once
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()


def test_a_passkey_signs_in_through_chromiums_virtual_authenticator(
    live_server: LiveServer, open_page, live_session
) -> None:
    staff = make_staff(live_session, "passkey@example.org", ("support",), ("DE",))
    live_session.commit()
    # WebAuthn needs a domain for its relying party, not an IP address.
    base = live_server.base_url.replace("127.0.0.1", "localhost")
    page = open_page()
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    sign_in(page, base, staff, live_session)
    page.goto(base + "/staff/account")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_text("Your passkey is set up.")).to_be_visible()
    expect(page.locator("[data-passkeys] li")).to_have_count(1)
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.get_by_label("Email address").fill("passkey@example.org")
    type_and_enter(page, "Password", staff.password)
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("heading", name="Staff console")).to_be_visible()
    live_session.expire_all()
    methods = live_session.scalars(
        select(AuditEvent.detail).where(
            AuditEvent.action == "staff.sign_in", AuditEvent.staff_account_id == staff.account.id
        )
    ).all()
    assert methods == ["totp", "passkey"]


def confirm_action(page: Page, reason: str) -> None:
    """The reason, Enter-free (a text area), the Continue button, then the confirmation page."""
    page.get_by_label("Reason").fill(reason)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name=re.compile("^Please confirm"))).to_be_visible()
    page.get_by_role("button", name="Confirm").click()


def test_a_support_agents_day_in_the_console(
    paying_server: PayingServer, open_page, smtp_server: Any
) -> None:
    app = paying_server.app
    saved = {
        k: app.config[k] for k in ("MAIL_TRANSPORT", "SMTP_HOST", "SMTP_PORT", "SMTP_SECURITY")
    }
    app.config.update(
        MAIL_TRANSPORT="smtp",
        SMTP_HOST=smtp_server.host,
        SMTP_PORT=smtp_server.port,
        SMTP_SECURITY="none",
    )
    session = get_database(app).session_factory()
    try:
        _agents_day(paying_server, open_page, smtp_server, session)
    finally:
        app.config.update(saved)
        session.close()


def _agents_day(server: PayingServer, open_page, smtp_server: Any, session: Session) -> None:
    records = make_donor_records(session, "DE", "erika.agent@example.org")
    session.commit()
    plan = active_plan(session, server.standin, records)
    agent = make_staff(session, "agent@example.org", ("support",), ("DE",))
    admin = make_staff(session, "auditor@example.org", ("admin",), ("ALL",))
    agent_id = agent.account.id
    session.commit()
    page = open_page()
    sign_in(page, server.base_url, agent, session)
    page.get_by_role("link", name="Find a donor").first.click()
    type_and_enter(
        page,
        "Email, name, receipt number, donation or payment number, or Stripe id",
        records.receipt.number,
    )
    page.get_by_role("link", name="Erika MusterDE").click()
    expect(page.get_by_role("heading", name="Erika MusterDE")).to_be_visible()

    page.get_by_role("link", name=f"Resend {records.receipt.number}").click()
    confirm_action(page, "Donor never got it")
    expect(
        page.get_by_text(f"Receipt {records.receipt.number} will be sent again.")
    ).to_be_visible()
    session.commit()
    drain(server.app)
    [sent] = [m for m in smtp_server.messages if m["To"] == records.donor.email]
    [attachment] = list(sent.iter_attachments())
    assert attachment.get_content() == records.receipt.pdf  # the same stored bytes

    page.get_by_role(
        "link", name=f"Correct the name or address on {records.receipt.number}"
    ).click()
    page.get_by_label("First name").fill("Erica")
    confirm_action(page, "Name misspelt")
    expect(page.get_by_text(re.compile(r"replaced by DE-\d{4}-\d{6}"))).to_be_visible()
    session.expire_all()
    replacement = session.scalar(select(Receipt).where(Receipt.replaces_id == records.receipt.id))
    assert replacement is not None and session.get(Receipt, records.receipt.id).status == "void"
    assert replacement.donor_snapshot["full_name"] == "Erica MusterDE"
    session.commit()  # SQLite: let go of the file before the server writes to it

    page.get_by_role("link", name="Cancel the recurring gift").click()
    confirm_action(page, "Donor asked to stop")
    expect(page.get_by_text("Done: Stripe confirmed the change.")).to_be_visible()
    stripe = server.standin.client(standin_keys("DE").secret_key)
    assert stripe.v1.subscriptions.retrieve(plan.stripe_subscription_id).status == "canceled"
    expect(
        page.locator(f'[data-plan="{plan.stripe_subscription_id}"] [data-plan-status]')
    ).to_have_text("canceled")

    auditor = open_page()
    sign_in(auditor, server.base_url, admin, session)
    auditor.goto(server.base_url + f"/staff/admin/audit?staff={agent_id}")
    log = auditor.locator("[data-audit-log] tbody")
    for action, reason in (
        ("staff.sign_in", ""),
        ("support.search", ""),
        ("support.view_donor", ""),
        ("support.resend_receipt", "Donor never got it"),
        ("support.correct_receipt", "Name misspelt"),
        ("support.cancel_plan", "Donor asked to stop"),
    ):
        row = log.locator("tr", has_text=action).first
        expect(row).to_be_visible()
        if reason:
            expect(row).to_contain_text(reason)


def test_signing_in_works_by_keyboard_at_320_pixels(
    live_server: LiveServer, open_page, live_session
) -> None:
    staff = make_staff(live_session, "keys@example.org", ("support",), ("DE",))
    live_session.commit()
    page = open_page(width=320)
    page.goto(live_server.url("/staff/sign-in"))
    page.keyboard.press("Tab")  # the skip link
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "email":
            break
    page.keyboard.type("keys@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type("not my password, sorry")
    page.keyboard.press("Enter")
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("The email address or password is not right.")
    expect(page.get_by_label("Email address")).to_have_value("keys@example.org")
    assert page.evaluate("() => document.scrollingElement.scrollWidth") <= 320
    summary.get_by_role("link").first.press("Enter")
    expect(page.get_by_label("Email address")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.type(staff.password)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Second step")).to_be_visible()
