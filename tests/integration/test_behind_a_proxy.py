"""Behind a proxy: limits and evidence see the donor's own address, links never follow Host."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select

from checkout.consent.models import ConsentRecord
from checkout.consent.services import keyed_ip_hash
from tests.wizard_driver import WizardDriver, amount_data, pay_form, reach_review, registry_of

PROXY = "10.0.0.2"  # what the app sees as the peer: the proxy itself


@pytest.fixture
def make_app(bound_apps, stripe_standin) -> Callable[..., Flask]:
    """Apps inside the test's transaction, talking to the stand-in, with settings of the test's."""

    def maker(**settings) -> Flask:
        return bound_apps(
            STRIPE_API_BASE=stripe_standin.base_url, STRIPE_MAX_NETWORK_RETRIES=0, **settings
        )

    return maker


def donor(app: Flask, forwarded_for: str) -> WizardDriver:
    """A donor whose request reaches the app through the proxy, with this X-Forwarded-For."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = PROXY
    return WizardDriver(client, headers={"X-Forwarded-For": forwarded_for})


def test_one_trusted_proxy_makes_the_limit_per_donor_address(make_app) -> None:
    app = make_app(TRUSTED_PROXY_COUNT=1, WIZARD_RATE_LIMIT="2 per hour")
    office = registry_of(app.test_client()).get("DE")
    first = donor(app, "203.0.113.7")
    # A client cannot pick its address by writing more entries further left.
    forger = donor(app, "198.51.100.1, 203.0.113.7")
    assert first.post("amount", amount_data(office)).status_code == 302
    assert forger.post("amount", amount_data(office)).status_code == 302
    assert first.post("amount", amount_data(office)).status_code == 429
    other = donor(app, "203.0.113.8")
    assert other.post("amount", amount_data(office)).status_code == 302


def test_without_a_trusted_proxy_forwarded_headers_are_ignored(make_app) -> None:
    app = make_app(TRUSTED_PROXY_COUNT=0, WIZARD_RATE_LIMIT="2 per hour")
    office = registry_of(app.test_client()).get("DE")
    statuses = [
        donor(app, f"203.0.113.{n}").post("amount", amount_data(office)).status_code
        for n in range(3)
    ]
    assert statuses == [302, 302, 429]  # all three are the proxy's address


def test_the_consent_ledger_keeps_the_donors_address_not_the_proxys(make_app, db_session) -> None:
    app = make_app(TRUSTED_PROXY_COUNT=1)
    driver = donor(app, "203.0.113.7")
    review = reach_review(driver, registry_of(app.test_client()).get("DE"), method="card")
    response = driver.client.post(
        "/donate/pay", data=pay_form(review.get_data(as_text=True)), headers=driver.headers
    )
    assert response.status_code == 302
    hashes = set(db_session.scalars(select(ConsentRecord.ip_hash)))
    key = app.config["EVIDENCE_HASH_KEY"]
    assert keyed_ip_hash("203.0.113.7", key) in hashes
    assert keyed_ip_hash(PROXY, key) not in hashes


def test_stripes_return_address_comes_from_public_base_url_not_the_host_header(make_app) -> None:
    app = make_app(PUBLIC_BASE_URL="https://give.example.org")
    driver = WizardDriver(app.test_client(), headers={"Host": "evil.example"})
    review = reach_review(driver, registry_of(app.test_client()).get("DE"), method="card")
    driver.client.post(
        "/donate/pay", data=pay_form(review.get_data(as_text=True)), headers=driver.headers
    )
    page = driver.get("/donate/pay").get_data(as_text=True)
    found = re.search(r'data-return-url="([^"]+)"', page)
    assert found, page
    assert found.group(1).startswith("https://give.example.org/donate/return/")


def test_a_host_that_is_not_trusted_is_refused(make_app) -> None:
    app = make_app(TRUSTED_HOSTS=["give.example.org"])
    client = app.test_client()
    assert client.get("/donate/amount", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/donate/amount", headers={"Host": "give.example.org"}).status_code == 200
