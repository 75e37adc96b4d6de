"""Donors walking the wizard in a real browser, by mouse and by keyboard alone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer


def choose(page: Page, label: str) -> None:
    """Tick the radio or checkbox labelled `label`."""
    page.get_by_label(label, exact=True).check()


def continue_(page: Page, name: str = "Continue") -> None:
    page.get_by_role("button", name=name).click()


def fill_german_details(page: Page) -> None:
    page.get_by_label("Vorname").fill("Erika")
    page.get_by_label("Nachname").fill("Mustermann")
    page.get_by_label("E-Mail-Adresse").fill("erika@example.org")
    page.get_by_label("Straße und Hausnummer").fill("Hauptstraße 1")
    page.get_by_label("Postleitzahl").fill("10115")
    page.get_by_label("Ort").fill("Berlin")


def test_a_german_donor_reaches_review_for_50_euros_once_by_card(
    live_server: LiveServer, open_page
) -> None:
    page = open_page("de-DE")
    page.goto(live_server.url("/donate"))
    expect(page).to_have_url(re.compile(r"/donate/amount$"))
    expect(page.locator("html")).to_have_attribute("lang", "de")
    choose(page, "50,00 €")
    continue_(page, "Weiter")
    expect(page.get_by_text("Schritt 2 von 5")).to_be_visible()
    expect(page.get_by_text("Du spendest 50,00 € einmalig.")).to_be_visible()
    fill_german_details(page)
    continue_(page, "Weiter")
    choose(page, "Karte")
    continue_(page, "Weiter")
    expect(page).to_have_url(re.compile(r"/donate/review$"))
    expect(page.get_by_role("button", name=re.compile("50,00 €"))).to_be_visible()
    expect(page.get_by_text("Erika Mustermann")).to_be_visible()


def test_a_uk_donor_with_gift_aid_reaches_review_for_10_pounds_monthly_by_bacs(
    live_server: LiveServer, open_page
) -> None:
    page = open_page("en-GB")
    page.goto(live_server.url("/donate"))
    choose(page, "Monthly")
    choose(page, "Other amount")
    page.get_by_label("Your amount").fill("10")
    continue_(page)
    page.get_by_label("First name").fill("Tom")
    page.get_by_label("Last name").fill("Jones")
    page.get_by_label("Email address").fill("tom@example.org")
    choose(page, "Yes, I want to Gift Aid my donation")
    page.get_by_label("Street and number").fill("10 Downing Street")
    page.get_by_label("Postcode").fill("SW1A 2AA")
    page.get_by_label("Town or city").fill("London")
    continue_(page)
    choose(page, "Bacs Direct Debit")
    continue_(page)
    expect(page).to_have_url(re.compile(r"/donate/review$"))
    expect(page.get_by_role("button", name="Donate £10.00 monthly")).to_be_visible()
    expect(page.get_by_text("Gift Aid: yes")).to_be_visible()
    expect(page.get_by_role("heading", name="Direct debit mandate")).to_be_visible()


def test_a_canadian_without_middle_initial_is_stopped_with_the_right_error(
    live_server: LiveServer, open_page
) -> None:
    page = open_page("en-CA")
    page.goto(live_server.url("/donate"))
    choose(page, "CA$75.00")
    continue_(page)
    page.get_by_label("First name").fill("Anne")
    page.get_by_label("Last name").fill("Shirley")
    page.get_by_label("Email address").fill("anne@example.org")
    page.get_by_label("Street and number").fill("1 Green Gables Lane")
    page.get_by_label("Postcode").fill("C0A 1N0")
    page.get_by_label("Town or city").fill("Cavendish")
    continue_(page)
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("middle initial")
    middle = page.get_by_label("Middle initial")
    expect(middle).to_have_attribute("aria-invalid", "true")
    described = middle.get_attribute("aria-describedby") or ""
    expect(page.locator(f"#{described.split()[-1]}")).to_contain_text("middle initial")
    expect(page.get_by_label("First name")).to_have_value("Anne")  # nothing typed is lost
    summary.get_by_role("link").first.click()
    expect(middle).to_be_focused()


def test_switching_language_mid_way_keeps_every_value(live_server: LiveServer, open_page):
    page = open_page("en-DE")
    page.goto(live_server.url("/donate"))
    choose(page, "€100.00")
    continue_(page)
    page.get_by_label("First name").fill("Jürgen")
    page.get_by_label("Last name").fill("Groß")
    page.get_by_label("Email address").fill("juergen@example.org")
    page.get_by_label("Town or city").fill("München")
    page.get_by_role("button", name="Deutsch").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_label("Vorname")).to_have_value("Jürgen")
    expect(page.get_by_label("Nachname")).to_have_value("Groß")
    expect(page.get_by_label("E-Mail-Adresse")).to_have_value("juergen@example.org")
    expect(page.get_by_label("Ort")).to_have_value("München")
    expect(page.get_by_text("Du spendest 100,00 € einmalig.")).to_be_visible()
    page.get_by_role("button", name="Français").click()
    expect(page.get_by_label("Prénom")).to_have_value("Jürgen")


def tab_to(page: Page, matches: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches the CSS selector `matches`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", matches):
            return
    raise AssertionError(f"Tab never reached {matches}")


def arrow_to(page: Page, group: str, value: str, limit: int = 10) -> None:
    """Tab into a radio group, then move with the arrow keys (as keyboard users do)."""
    tab_to(page, f"input[name={group}]")
    for _ in range(limit):
        if page.evaluate("() => document.activeElement.value") == value:
            page.keyboard.press("Space")
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"arrows never reached {value} in {group}")


def type_into(page: Page, field_id: str, text: str) -> None:
    tab_to(page, f"#{field_id}")
    page.keyboard.type(text)


def test_keyboard_only_completion(live_server: LiveServer, open_page) -> None:
    page = open_page("en-DE")
    page.goto(live_server.url("/donate"))
    arrow_to(page, "amount", "EUR:5000")
    tab_to(page, "button[type=submit]:not(.link)")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/donate/details$"))
    for field_id, text in [
        ("first_name", "Kim"),
        ("last_name", "Lee"),
        ("email", "kim@example.org"),
        ("address_line1", "Ring 2"),
        ("postcode", "50667"),
        ("city", "Köln"),
    ]:
        type_into(page, field_id, text)
    tab_to(page, "button[type=submit]:not(.link)")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/donate/method$"))
    arrow_to(page, "method", "sepa_debit")
    tab_to(page, "button[type=submit]:not(.link)")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/donate/review$"))
    expect(page.get_by_role("heading", name="Direct debit mandate")).to_be_visible()


def test_every_step_fits_a_320_pixel_screen(live_server: LiveServer, open_page) -> None:
    page = open_page("en-GB", width=320)
    page.goto(live_server.url("/donate"))
    for _ in range(3):
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= 320, f"{page.url} is {overflow}px wide at 320px"
        if "/amount" in page.url:
            choose(page, "£20.00")
        elif "/details" in page.url:
            page.get_by_label("First name").fill("Sam")
            page.get_by_label("Last name").fill("Lee")
            page.get_by_label("Email address").fill("sam@example.org")
        elif "/method" in page.url:
            page.get_by_label("Card", exact=True).check()
        continue_(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    expect(page).to_have_url(re.compile(r"/donate/review$"))


ENTER_DONORS = {
    "en-GB": ("1 Main Street", "SW1A 1AA", "London"),
    "de-DE": ("Hauptstraße 1", "10115", "Berlin"),
    "nl-NL": ("Damrak 1", "1011 AB", "Amsterdam"),
    "fr-FR": ("1 rue de Rivoli", "75001", "Paris"),
}


@pytest.mark.parametrize("locale", sorted(ENTER_DONORS))
def test_enter_in_any_field_continues_in_the_same_language(
    live_server: LiveServer, open_page, locale: str
) -> None:
    """The header's language buttons belong to the step's form; Enter must not press them."""
    page = open_page(locale)
    language = locale.split("-")[0]
    page.goto(live_server.url("/donate"))
    page.locator("input[name=amount][value=other]").check()
    page.locator("#other_amount").fill("30")
    page.locator("#other_amount").press("Enter")
    expect(page).to_have_url(re.compile(r"/donate/details$"))
    expect(page.locator("html")).to_have_attribute("lang", language)
    street, postcode, city = ENTER_DONORS[locale]
    for field, value in (
        ("first_name", "Sam"),
        ("last_name", "Lee"),
        ("email", "sam@example.org"),
        ("address_line1", street),
        ("postcode", postcode),
        ("city", city),
    ):
        page.locator(f"#{field}").fill(value)
    page.locator("#email").press("Enter")
    expect(page).to_have_url(re.compile(r"/donate/method$"))
    expect(page.locator("html")).to_have_attribute("lang", language)
    first_method = page.locator("input[name=method]").first
    first_method.check()
    first_method.press("Enter")
    expect(page).to_have_url(re.compile(r"/donate/review$"))
    expect(page.locator("html")).to_have_attribute("lang", language)
