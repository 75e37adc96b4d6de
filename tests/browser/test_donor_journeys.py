"""What a donor runs into, walked in Chromium: country and currency, fixed details after "Donate",
annual statements, waits, links on every page, addresses, and what only a browser can check
(focus contrast, where an error link leads, a debit's form filled from the details step)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from checkout import create_app, migrate
from tests.browser.conftest import LiveServer, PayingServer
from tests.browser.test_payments_browser import fill_card, press_pay, thanks_public_id
from tests.conftest import test_settings


def walk_amount(page: Page, server: LiveServer, locale_path: str = "/donate") -> None:
    page.goto(server.url(locale_path))
    expect(page).to_have_url(re.compile(r"/donate/amount$"))


def other_amount(page: Page, amount: str) -> None:
    page.locator("input[name=amount][value=other]").check()
    page.locator("#other_amount").fill(amount)


def details(page: Page, street: str, postcode: str, city: str, **more: str) -> None:
    for field, value in (
        ("first_name", "Sam"),
        ("last_name", "Lee"),
        ("email", "sam@example.org"),
        ("address_line1", street),
        ("postcode", postcode),
        ("city", city),
        *more.items(),
    ):
        page.locator(f"#{field}").fill(value)


def submit(page: Page) -> None:
    page.locator("#step-form button[type=submit]").last.click()


# --- country and currency -----------------------------------------------------------------------


def test_an_english_browser_in_the_uk_starts_in_pounds_and_a_move_to_germany_is_explained(
    live_server: LiveServer, open_page
) -> None:
    page = open_page("en-GB")
    walk_amount(page, live_server)
    expect(page.locator("#country")).to_have_value("GB")
    expect(page.get_by_label("£20.00", exact=True)).to_be_visible()
    page.get_by_label("Monthly", exact=True).check()
    page.locator("#country").select_option("DE")
    submit(page)
    expect(page).to_have_url(re.compile(r"/donate/amount$"))
    expect(page.get_by_role("status")).to_have_text(
        "Your gift now goes to IJM Deutschland and is given in euros. "
        "Please check the amount below."
    )
    expect(page.locator(".error-summary")).to_have_count(0)
    expect(page.get_by_label("£20.00", exact=True)).to_have_count(0)
    expect(page.get_by_label("Monthly", exact=True)).to_be_checked()  # kept
    page.get_by_label("€25.00", exact=True).check()
    submit(page)
    expect(page).to_have_url(re.compile(r"/donate/details$"))
    expect(page.get_by_text("You give €25.00 monthly.")).to_be_visible()


def test_a_french_browser_gives_to_the_international_office_in_euros(
    live_server: LiveServer, open_page
) -> None:
    page = open_page("fr-FR")
    walk_amount(page, live_server)
    expect(page.locator("#country")).to_have_value("FR")
    expect(page.locator("#currency")).to_have_value("EUR")
    expect(page.get_by_label("25,00 €", exact=True)).to_be_visible()
    page.locator("#currency").select_option("USD")
    page.get_by_label("25,00 €", exact=True).check()
    submit(page)
    expect(page.get_by_role("status")).to_contain_text("dollars des États-Unis")
    expect(page.get_by_label("25,00 $US", exact=True)).to_be_visible()


# --- the review page once "Donate" was pressed, and after a decline ------------------------------


def to_review(page: Page, server: LiveServer, amount: str = "20") -> None:
    walk_amount(page, server)
    other_amount(page, amount)
    submit(page)
    details(page, "Hauptstraße 1", "10115", "Berlin")
    submit(page)
    page.get_by_label("Card", exact=True).check()
    submit(page)
    expect(page).to_have_url(re.compile(r"/donate/review$"))


def test_after_donate_the_review_says_the_details_are_fixed_and_offers_to_start_again(
    paying_server: PayingServer, open_page
) -> None:
    page = open_page("en-DE")
    to_review(page, paying_server)
    expect(page.get_by_role("link", name=re.compile("^Change"))).to_have_count(3)
    page.locator("form.pay-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/donate/pay$"))
    page.goto(paying_server.url("/donate/review"))
    expect(page.get_by_role("status")).to_contain_text("these details are fixed for it")
    expect(page.get_by_role("link", name=re.compile("^Change"))).to_have_count(0)
    expect(page.get_by_role("link", name="Continue to payment")).to_be_visible()
    page.get_by_role("button", name="Start again with these details").click()
    expect(page).to_have_url(re.compile(r"/donate/review$"))
    expect(page.get_by_role("link", name=re.compile("^Change"))).to_have_count(3)
    expect(page.get_by_text("Sam Lee")).to_be_visible()  # nothing typed is lost


def test_after_a_decline_the_pay_page_offers_another_card_or_another_method(
    paying_server: PayingServer, open_page
) -> None:
    page = open_page("en-DE")
    to_review(page, paying_server)
    page.locator("form.pay-form button[type=submit]").click()
    expect(page.locator("input[name=standin-payment-type]").first).to_be_attached()
    fill_card(page, "4000 0000 0000 0002")
    press_pay(page)
    expect(page.locator("#payment-error")).to_contain_text("declined")
    expect(page.locator("#payment-form button[type=submit]")).to_be_enabled()  # another card
    other = page.get_by_role("button", name="Choose another payment method")
    expect(other).to_be_visible()
    other.click()
    expect(page).to_have_url(re.compile(r"/donate/review$"))
    page.get_by_role("link", name=re.compile("Change.*payment method")).click()
    expect(page).to_have_url(re.compile(r"/donate/method$"))


# --- monthly gifts to offices that send one annual statement -------------------------------------


def test_a_german_monthly_donor_is_told_an_annual_statement_follows(
    paying_server: PayingServer, open_page
) -> None:
    page = open_page("en-DE")
    walk_amount(page, paying_server)
    page.get_by_label("Monthly", exact=True).check()
    other_amount(page, "15")
    submit(page)
    details(page, "Hauptstraße 1", "10115", "Berlin")
    submit(page)
    page.get_by_label("Card", exact=True).check()
    submit(page)
    page.locator("form.pay-form button[type=submit]").click()
    fill_card(page, "4242 4242 4242 4242")
    press_pay(page)
    thanks_public_id(page)
    expect(page.get_by_text("one annual statement of all your gifts this year")).to_be_visible()
    expect(page.get_by_text("Your receipt is on its way")).to_have_count(0)


# --- too many attempts ---------------------------------------------------------------------------


@pytest.fixture
def strict_server(tmp_path) -> Iterator[LiveServer]:
    """A live server whose step submissions are limited to two an hour per address."""
    url = f"sqlite:///{tmp_path / 'strict.sqlite3'}"
    migrate.upgrade(url)
    app = create_app(test_settings(url, WIZARD_RATE_LIMIT="2 per hour"), environ={})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    thread.join(timeout=5)


def test_too_many_attempts_says_how_long_to_wait(strict_server: LiveServer, open_page) -> None:
    page = open_page("de-DE")
    walk_amount(page, strict_server)
    for _ in range(3):
        other_amount(page, "abc")  # refused each time, so the page comes back
        submit(page)
    expect(page.get_by_role("heading", name="Zu viele Versuche")).to_be_visible()
    expect(page.get_by_text(re.compile(r"warte (59|60) Minuten|warte 1 Stunde"))).to_be_visible()


# --- on every page ----------------------------------------------------------------------------


def test_every_page_links_the_offices_privacy_notice_imprint_and_support(
    live_server: LiveServer, open_page
) -> None:
    page = open_page("en-GB")
    walk_amount(page, live_server)
    footer = page.locator("footer")
    uk = live_server.app.extensions["checkout.offices"].get("UK")
    expect(footer.get_by_role("link", name="Privacy notice")).to_have_attribute(
        "href", uk.support.privacy_url
    )
    expect(footer.get_by_role("link", name="Legal imprint")).to_have_attribute(
        "href", uk.support.imprint_url
    )
    expect(footer).to_contain_text(uk.support.email)
    page.locator("#country").select_option("DE")
    submit(page)
    de = live_server.app.extensions["checkout.offices"].get("DE")
    expect(footer.get_by_role("link", name="Privacy notice")).to_have_attribute(
        "href", de.support.privacy_url
    )
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon
    assert page.request.get(live_server.url(icon)).headers["content-type"].startswith("image/svg")


def test_the_review_shows_the_gift_once_and_the_pay_heading_matches_its_step(
    paying_server: PayingServer, open_page
) -> None:
    page = open_page("en-DE")
    to_review(page, paying_server, amount="33")
    expect(page.locator("dl.review").get_by_text("€33.00")).to_have_count(2)  # gift, total
    expect(page.locator(".gift-summary")).to_have_count(0)  # not a third time in a box
    expect(page.get_by_text("You give €33.00 once.")).to_have_count(0)
    page.locator("form.pay-form button[type=submit]").click()
    expect(page.locator(".progress-text")).to_have_text(re.compile(r"Step 5 of 5 — Payment$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment")


# --- addresses ---------------------------------------------------------------------------------


def test_a_canadian_address_needs_its_province_and_is_shown_as_canada_writes_it(
    live_server: LiveServer, open_page
) -> None:
    page = open_page("en-CA")
    walk_amount(page, live_server)
    other_amount(page, "40")
    submit(page)
    middle = page.locator(".middle-name")
    expect(middle.locator("#middle_initial")).to_have_attribute("autocomplete", "additional-name")
    expect(middle.get_by_label("I have no middle name")).to_be_visible()  # beside the initial
    details(page, "1 Rue Sainte-Catherine", "12345", "Montréal", middle_initial="J")
    submit(page)
    expect(page.locator("#postcode-error")).to_contain_text("does not look like a postcode")
    expect(page.locator("#region-error")).to_contain_text("province")
    page.locator("#postcode").fill("H3Z 2Y7")
    page.locator("#region").select_option("QC")
    submit(page)
    page.locator("input[name=method]").first.check()
    submit(page)
    review = page.locator("dl.review")
    expect(review).to_contain_text("MONTRÉAL QC H3Z 2Y7")  # Canada Post's order
    expect(review).to_contain_text("CANADA")


# --- what only a browser can check ---------------------------------------------------------------


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two CSS rgb()/rgba() colours."""

    def luminance(color: str) -> float:
        r, g, b = (int(x) / 255 for x in re.findall(r"[\d.]+", color)[:3])

        def channel(c: float) -> float:
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

        return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


FOCUS_COLOURS = """(el) => {
  let node = el, background = "rgb(255, 255, 255)";
  while (node) {
    const c = getComputedStyle(node).backgroundColor;
    if (c && c !== "transparent" && !c.startsWith("rgba(0, 0, 0, 0)")) { background = c; break; }
    node = node.parentElement;
  }
  return [getComputedStyle(el).outlineColor, background, getComputedStyle(el).outlineStyle];
}"""


def test_the_focus_ring_stands_out_three_to_one_on_every_background(
    live_server: LiveServer, open_page
) -> None:
    page = open_page("en-DE")
    walk_amount(page, live_server)
    other_amount(page, "20")
    submit(page)
    expect(page).to_have_url(re.compile(r"/donate/details$"))
    page.keyboard.press("Tab")  # the first Tab reaches the skip link, on white
    skip_link = page.locator("a.skip-link")
    expect(skip_link).to_be_focused()
    places = {"white": skip_link}
    places["header"] = page.locator("header .languages button").first
    places["summary box"] = page.locator(".gift-summary a")
    for where, element in places.items():
        element.focus()
        ring, background, style = element.evaluate(FOCUS_COLOURS)
        assert style != "none", where
        assert contrast(ring, background) >= 3, (where, ring, background)


def test_an_error_link_for_a_radio_group_moves_focus_to_its_first_option(
    live_server: LiveServer, open_page
) -> None:
    page = open_page("en-DE")
    walk_amount(page, live_server)
    page.locator("input[name=amount]").first.check()
    submit(page)
    details(page, "Hauptstraße 1", "10115", "Berlin")
    submit(page)
    submit(page)  # no method chosen
    expect(page).to_have_title(re.compile(r"^Error:"))
    page.locator(".error-summary a").first.click()
    expect(page.locator("input[name=method]").first).to_be_focused()


def test_a_debit_form_is_filled_from_the_details_step(
    paying_server: PayingServer, open_page
) -> None:
    page = open_page("en-DE")
    walk_amount(page, paying_server)
    other_amount(page, "20")
    submit(page)
    details(page, "Hauptstraße 1", "10115", "Berlin")
    submit(page)
    page.get_by_label("SEPA Direct Debit", exact=True).check()
    submit(page)
    page.locator("form.pay-form button[type=submit]").click()
    expect(page.locator("input[name=name]")).to_have_value("Sam Lee")
    expect(page.locator("input[name=email]")).to_have_value("sam@example.org")
    page.locator("input[name=iban]").fill("DE89 3704 0044 0532 0130 00")
    press_pay(page)
    thanks_public_id(page)


def test_a_changed_amount_on_review_says_error_in_the_title(
    live_server: LiveServer, open_page
) -> None:
    """Review open in one tab, the amount changed in another: "Donate" in the first must not
    charge what the page no longer shows."""
    page = open_page("en-DE")
    to_review(page, live_server)
    other_tab = page.context.new_page()
    other_tab.goto(live_server.url("/donate/amount"))
    other_amount(other_tab, "99")
    submit(other_tab)
    expect(other_tab).to_have_url(re.compile(r"/donate/review$"))  # every step still complete
    page.locator("form.pay-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/donate/review$"))
    expect(page.get_by_role("alert")).to_contain_text("The amount changed")
    expect(page).to_have_title(re.compile(r"^Error:"))
