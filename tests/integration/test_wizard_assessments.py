"""Assessments are remembered per draft revision: never one that is stale.

Each test warms the cache with a page view, changes what the assessment depends on (the
draft's stored input, the offices registry, the language), and checks the next page follows
the change. A cache keyed by anything less than all three fails one of them.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from checkout import OFFICES_EXTENSION_KEY
from checkout.offices import load_registry
from checkout.paths import CONFIG_DIR
from checkout.wizard.assessments import AssessmentCache, input_digest
from checkout.wizard.flow import assess
from checkout.wizard.models import CheckoutDraft
from checkout.wizard.views import ASSESSMENTS, DRAFT_KEY
from tests.wizard_driver import (
    WizardDriver,
    amount_data,
    details_data,
    field_errors,
    reach_review,
)

REGISTRY = load_registry(CONFIG_DIR / "offices.toml")
GERMANY = REGISTRY.get("DE")


def at_review(client: FlaskClient) -> WizardDriver:
    """A German donor's €25 once by SEPA, on the review page (its assessment now cached)."""
    donor = WizardDriver(client)
    assert reach_review(donor, GERMANY, method="sepa_debit").status_code == 200
    assert donor.get("/donate/review").status_code == 200
    return donor


def test_viewing_an_unchanged_draft_reuses_its_assessment(client: FlaskClient) -> None:
    donor = at_review(client)
    hits, misses = ASSESSMENTS.hits, ASSESSMENTS.misses
    for step in ("amount", "details", "method", "review"):
        assert donor.get(f"/donate/{step}").status_code == 200
    assert ASSESSMENTS.hits == hits + 4
    assert ASSESSMENTS.misses == misses


def test_a_step_saved_again_is_assessed_again(client: FlaskClient) -> None:
    donor = at_review(client)
    response = donor.post("amount", amount_data(GERMANY, amount="other", other_amount="abc"))
    assert "as a number" in field_errors(response)["other_amount"]
    assert donor.get("/donate/review").headers["Location"] == "/donate"
    assert donor.get("/donate").headers["Location"] == "/donate/amount"


def test_a_draft_changed_elsewhere_is_assessed_again(app: Flask, client: FlaskClient, db_session):
    donor = at_review(client)
    with client.session_transaction() as session:
        public_id = session[DRAFT_KEY]
    draft = db_session.scalar(select(CheckoutDraft).where(CheckoutDraft.public_id == public_id))
    # Another web process saved the method step: iDEAL, which the German office does not offer.
    draft.data = {**draft.data, "method": {"fields": {"method": "ideal"}, "locale": "en"}}
    db_session.commit()
    assert donor.get("/donate/review").headers["Location"] == "/donate"
    assert donor.get("/donate").headers["Location"] == "/donate/method"


def test_a_changed_offices_file_is_assessed_again(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    donor = at_review(client)
    text = (CONFIG_DIR / "offices.toml").read_text(encoding="utf-8")
    head, methods = text.split("[offices.DE.currencies.EUR.methods]", 1)
    assert methods.index('once = ["card", "sepa_debit"]') < methods.index("[offices.")
    methods = methods.replace('once = ["card", "sepa_debit"]', 'once = ["card"]', 1)
    changed = tmp_path / "offices.toml"
    changed.write_text(f"{head}[offices.DE.currencies.EUR.methods]{methods}", encoding="utf-8")
    # What a restart with the edited file gives the app: a registry loaded from it.
    app.extensions[OFFICES_EXTENSION_KEY] = load_registry(changed)
    assert donor.get("/donate/review").headers["Location"] == "/donate"
    assert donor.get("/donate").headers["Location"] == "/donate/method"
    html = donor.get("/donate/method").get_data(as_text=True)
    assert 'value="sepa_debit"' not in html


def test_another_language_gets_its_own_assessment(client: FlaskClient) -> None:
    donor = at_review(client)
    assert "€25.00" in donor.get("/donate/method").get_data(as_text=True)
    assert "25,00\xa0€" in donor.get("/donate/method?lang=de").get_data(as_text=True)


def test_the_shown_form_follows_the_draft(client: FlaskClient, db_session) -> None:
    donor = at_review(client)
    assert 'value="Alex"' in donor.get("/donate/details").get_data(as_text=True)
    notice = donor.shown_notice()
    response = donor.post("details", details_data(GERMANY, notice, first_name="Kim"))
    assert response.status_code == 302, field_errors(response)
    assert 'value="Kim"' in donor.get("/donate/details").get_data(as_text=True)
    with client.session_transaction() as session:
        public_id = session[DRAFT_KEY]
    draft = db_session.scalar(select(CheckoutDraft).where(CheckoutDraft.public_id == public_id))
    details = draft.data["details"]
    draft.data = {**draft.data, "details": {**details, "fields": {**details["fields"], "city": ""}}}
    db_session.commit()
    page = donor.get("/donate/details")
    assert field_errors(page)["city"] == "Please enter your town or city."
    assert 'value="Kim"' in page.get_data(as_text=True)


def test_the_shown_form_is_validated_in_the_pages_language(client: FlaskClient) -> None:
    donor = at_review(client)
    notice = donor.shown_notice()
    donor.post("details", details_data(GERMANY, notice, city="x" * 101))
    english = field_errors(donor.get("/donate/details"))["city"]
    german = field_errors(donor.get("/donate/details?lang=de"))["city"]
    assert english == "Field cannot be longer than 100 characters."
    assert german == "Feld kann nicht länger als 100 Zeichen sein."


def test_the_cache_answers_as_assess_does_and_stays_small(app: Flask) -> None:
    cache = AssessmentCache(size=2)
    drafts = [
        {"country_guess": "DE"},
        {"country_guess": "DE", "amount": {"fields": amount_data(GERMANY), "locale": "en"}},
        {"country_guess": "GB", "amount": {"fields": amount_data(GERMANY), "locale": "en"}},
    ]
    with app.test_request_context():
        for data in drafts:
            assert cache.assess(data, REGISTRY, "en") == assess(data, REGISTRY, "en")
        assert cache.misses == 3
        assert cache.assess(drafts[2], REGISTRY, "en") is cache.assess(drafts[2], REGISTRY, "en")
        assert cache.hits == 2
        cache.assess(drafts[0], REGISTRY, "en")  # evicted by the third: computed again
        assert cache.misses == 4
        # Input that is not plain JSON is assessed every time rather than guessed at.
        odd = {"country_guess": "DE", "amount": {"fields": {"amount": object()}}}
        assert input_digest(odd) is None
        assert cache.assess(odd, REGISTRY, "en").first_incomplete.name == "amount"
        assert cache.misses == 4


def test_equal_input_has_one_digest_whatever_the_key_order() -> None:
    first = {"a": {"fields": {"x": "1", "y": "2"}}, "b": "c"}
    second = {"b": "c", "a": {"fields": {"y": "2", "x": "1"}}}
    assert input_digest(first) == input_digest(second)
    assert input_digest(first) != input_digest({**first, "b": "d"})
