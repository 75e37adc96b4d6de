"""What a donor's browser reads from our pages and sends back, for the load benchmarks.

Plain Python (no app code, no third-party imports): bench/locustfile.py runs it in locust's
own virtualenv, bench/thanks_after_event.py in the project's.
"""

from __future__ import annotations

import html
import random
import re
import secrets

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
NOTICE = re.compile(r'name="shown_notice" value="([^"]*)"')
PRESET = re.compile(r'name="amount" value="([A-Z]{3}:\d+)"')
PAY_FORM = re.compile(r'<form method="post" action="/donate/pay".*?</form>', re.S)
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
PAY_PAGE = re.compile(r'data-publishable-key="([^"]+)".*?data-csrf-token="([^"]+)"', re.S)
#: Browser language, country, postcode, town of a donor to each office.
DONORS = {
    "DE": ("de-DE", "DE", "10115", "Berlin"),
    "UK": ("en-GB", "GB", "SW1A 1AA", "London"),
}


def csrf(page: str) -> str:
    """The CSRF token of the page's form."""
    found = CSRF.search(page)
    assert found, "no CSRF token on the page"
    return html.unescape(found.group(1))


def amount_form(page: str, frequency: str) -> dict[str, str]:
    """One of the first two presets, at `frequency`."""
    presets = PRESET.findall(page)
    return {
        "csrf_token": csrf(page),
        "currency": presets[0].split(":")[0],
        "frequency": frequency,
        "amount": random.choice(presets[:2]),
    }


def details_form(page: str, office: str) -> dict[str, str]:
    """A donor with a fresh email address, the notice the page showed."""
    _language, country, postcode, city = DONORS[office]
    notice = NOTICE.search(page)
    assert notice, "no notice on the details page"
    return {
        "csrf_token": csrf(page),
        "shown_notice": html.unescape(notice.group(1)),
        "country": country,
        "first_name": "Alex",
        "last_name": f"Donor{secrets.token_hex(3)}",
        "email": f"donor-{secrets.token_hex(6)}@example.org",
        "address_line1": "1 Main Street",
        "postcode": postcode,
        "city": city,
    }


def pay_form(review: str) -> dict[str, str]:
    """What the review page's pay button sends: its hidden fields."""
    form = PAY_FORM.search(review)
    assert form, "no pay form on the review page"
    return {name: html.unescape(value) for name, value in HIDDEN.findall(form.group(0))}


def pay_page(page: str) -> tuple[str, str]:
    """The publishable key and the CSRF token the pay page hands its script."""
    found = PAY_PAGE.search(page)
    assert found, "not the pay page"
    return html.unescape(found.group(1)), html.unescape(found.group(2))


def token_params(method: str) -> dict[str, str]:
    """Stripe.js's POST /v1/confirmation_tokens for a test card or a SEPA debit that settles."""
    if method == "card":
        return {
            "payment_method_data[type]": "card",
            "payment_method_data[card][number]": "4242424242424242",
            "payment_method_data[card][exp_month]": "12",
            "payment_method_data[card][exp_year]": "2034",
            "payment_method_data[card][cvc]": "123",
        }
    return {
        "payment_method_data[type]": "sepa_debit",
        "payment_method_data[sepa_debit][iban]": "DE89370400440532013000",
        "payment_method_data[billing_details][name]": "Alex Donor",
        "payment_method_data[billing_details][email]": "alex@example.org",
    }
