"""Drive the donation wizard through HTTP like a browser without JavaScript (CSRF included)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from checkout.offices import Office, OfficeRegistry

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

#: A country per office, with a postcode and phone number that are valid there.
SAMPLE_ADDRESSES = {
    "DE": ("DE", "10115", "Berlin", "030 1234567"),
    "NL": ("NL", "1011 AB", "Amsterdam", "020 123 4567"),
    "UK": ("GB", "SW1A 1AA", "London", "020 7946 0018"),
    "CA": ("CA", "M5V 3L9", "Toronto", "416 555 0134"),
    "AU": ("AU", "2000", "Sydney", "02 9876 5432"),
    "INT": ("US", "20001", "Washington", "202 555 0143"),
}
#: The state or province where the country's addresses need one (Google's address data).
SAMPLE_REGIONS = {"CA": "ON", "AU": "NSW", "INT": "DC"}


def sample_country(office: Office) -> str:
    """A country whose donors give to `office`."""
    return SAMPLE_ADDRESSES[office.code][0]


@dataclass
class WizardDriver:
    """One donor's browser session."""

    client: FlaskClient
    language: str = "en"
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Send the donor's language as a browser would."""
        self.headers.setdefault("Accept-Language", self.language)

    def get(self, path: str) -> TestResponse:
        """GET a page."""
        return self.client.get(path, headers=self.headers)

    def token(self, path: str) -> str:
        """The CSRF token of the form on `path`."""
        found = CSRF.search(self.get(path).get_data(as_text=True))
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    def post(self, step: str, data: dict[str, Any], token: str | None = None) -> TestResponse:
        """Submit `step` with `data` and a fresh CSRF token."""
        path = f"/donate/{step}"
        payload = {"csrf_token": token or self.token(path), **data}
        return self.client.post(path, data=payload, headers=self.headers)

    def shown_notice(self) -> str:
        """The notice reference the details page shows now."""
        html = self.get("/donate/details").get_data(as_text=True)
        found = re.search(r'name="shown_notice" value="([^"]*)"', html)
        assert found
        return found.group(1)


def amount_data(office: Office, **changes: str) -> dict[str, str]:
    """A valid amount step for `office`: its first preset, once."""
    rules = office.currencies[office.default_currency]
    preset = rules.presets[0]
    data = {
        "country": sample_country(office),
        "currency": office.default_currency,
        "frequency": office.frequencies[0],
        "amount": f"{preset.currency}:{preset.minor}",
    }
    data.update(changes)
    return data


def details_data(office: Office, notice: str, **changes: str) -> dict[str, str]:
    """Valid details for a donor of `office`, with everything its receipt needs."""
    country, postcode, city, phone = SAMPLE_ADDRESSES[office.code]
    data = {
        "country": country,
        "first_name": "Alex",
        "last_name": "Doe",
        "email": "alex@example.org",
        "phone": phone,
        "address_line1": "1 Main Street",
        "postcode": postcode,
        "city": city,
        "region": SAMPLE_REGIONS.get(office.code, ""),
        "shown_notice": notice,
    }
    if office.donor.middle_initial:
        data["middle_initial"] = "J"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def reach_details(driver: WizardDriver, office: Office) -> str:
    """Complete the amount step for `office` and return the notice shown on details."""
    driver.headers["Accept-Language"] = f"{driver.language}-{sample_country(office)}"
    response = driver.post("amount", amount_data(office))
    assert response.status_code == 302, response.get_data(as_text=True)
    return driver.shown_notice()


def reach_review(driver: WizardDriver, office: Office, method: str | None = None) -> TestResponse:
    """Complete every step for `office` and land on the review page."""
    notice = reach_details(driver, office)
    response = driver.post("details", details_data(office, notice))
    assert response.status_code == 302, field_errors(response)
    rules = office.currencies[office.default_currency]
    chosen = method or rules.methods_for(office.frequencies[0])[0]
    response = driver.post("method", {"method": chosen})
    assert response.status_code == 302, field_errors(response)
    return driver.get("/donate/review")


def field_errors(response: TestResponse) -> dict[str, str]:
    """The error shown next to each field: {field id: message}."""
    html = response.get_data(as_text=True)
    found = re.findall(
        r'<p class="field-error" id="([\w-]+)-error">.*?</span>\s*(.*?)</p>', html, re.S
    )
    return {field_id: re.sub(r"\s+", " ", message).strip() for field_id, message in found}


def registry_of(client: FlaskClient) -> OfficeRegistry:
    """The offices registry of the client's app."""
    return client.application.extensions["checkout.offices"]  # type: ignore[no-any-return]


def pay_form(review_html: str) -> dict[str, str]:
    """What pressing the review page's pay button sends: every hidden field of the pay form."""
    form = re.search(r'<form method="post" action="/donate/pay".*?</form>', review_html, re.S)
    assert form, review_html
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(0))
    return {name: html.unescape(value) for name, value in fields}


def own_gift(client: FlaskClient, public_id: str) -> None:
    """Mark a donation made by a factory as made in this browser (as pressing pay does)."""
    from checkout.wizard.thanks import GIFTS_KEY

    with client.session_transaction() as browser_session:
        browser_session[GIFTS_KEY] = [*browser_session.get(GIFTS_KEY, []), public_id]
