"""The finance console in Chromium, by keyboard only: from the dashboard (its charts drawn,
no CSP complaint) to the payouts, a payout, its exception, and marking it explained."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from checkout.db import get_database
from checkout.finance.models import ReconciliationException
from tests.browser.conftest import LiveServer
from tests.browser.test_staff_browser import sign_in
from tests.staff_support import make_donor_records, make_staff


@pytest.fixture
def live_session(live_server: LiveServer) -> Iterator[Session]:
    session = get_database(live_server.app).session_factory()
    yield session
    session.close()


def tab_to(page: Page, text: str, presses: int = 60) -> None:
    """Press Tab until the focused element's text (or value) starts with `text`."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => (document.activeElement.innerText || document.activeElement.value || '').trim()"
        )
        if focused.startswith(text):
            return
    raise AssertionError(f"no focusable {text!r} within {presses} tabs")


def test_dashboard_payout_exception_explained_by_keyboard(
    live_server: LiveServer, open_page, live_session
) -> None:
    records = make_donor_records(live_session, "DE", "browser.finance@example.org")
    treasurer = make_staff(live_session, "treasurer@example.org", ("finance",), ("DE",))
    exception_id = records.exception.id
    live_session.commit()
    page = open_page()
    complaints: list[str] = []
    page.on("console", lambda message: complaints.append(message.text))
    sign_in(page, live_server.base_url, treasurer, live_session)

    tab_to(page, "Finance")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Finance dashboard: DE")).to_be_visible()
    chart = page.locator("img[src^='data:image/svg+xml']").first
    expect(chart).to_be_visible()
    assert chart.evaluate("image => image.naturalWidth") > 0  # the SVG was drawn
    assert not [c for c in complaints if "Content Security Policy" in c]
    page.set_viewport_size({"width": 320, "height": 800})  # readable on a small screen
    assert page.evaluate("() => document.scrollingElement.scrollWidth") <= 320
    page.set_viewport_size({"width": 1280, "height": 800})

    tab_to(page, "Payouts")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Payouts: DE")).to_be_visible()
    tab_to(page, records.payout.stripe_payout_id)
    page.keyboard.press("Enter")
    expect(
        page.get_by_role("heading", name=f"Payout {records.payout.stripe_payout_id}")
    ).to_be_visible()
    expect(page.locator("[data-balanced]")).to_have_text("Yes")

    tab_to(page, "Mark explained")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Mark explained")).to_be_visible()
    tab_to(page, "Mark explained")  # the button, past the empty note
    page.keyboard.press("Enter")
    expect(page.locator(".error-summary")).to_contain_text("Write what you found.")
    page.get_by_label("What you found").focus()
    page.keyboard.type("The treasurer's own test charge")
    tab_to(page, "Mark explained")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("The exception is marked explained.")
    expect(page.locator("[data-exceptions]")).to_contain_text("The treasurer's own test charge")
    live_session.expire_all()
    explained = live_session.get(ReconciliationException, exception_id)
    assert explained is not None and explained.explained_by == treasurer.account.id
