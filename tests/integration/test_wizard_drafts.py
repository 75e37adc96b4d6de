"""Drafts on the server: the cookie, language switching, freezing, expiry, purging, limits."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from checkout.core.clock import utcnow
from checkout.wizard import services
from checkout.wizard.models import CheckoutDraft
from tests.factories import make_donation, make_draft
from tests.wizard_driver import (
    WizardDriver,
    amount_data,
    details_data,
    own_gift,
    reach_details,
    reach_review,
    registry_of,
)


def session_cookie(app: Flask, client: FlaskClient) -> dict:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)  # type: ignore


def current(db_session, client: FlaskClient, app: Flask) -> CheckoutDraft:
    public_id = session_cookie(app, client)["draft"]
    draft = db_session.scalar(select(CheckoutDraft).where(CheckoutDraft.public_id == public_id))
    assert draft is not None
    db_session.refresh(draft)
    return draft


def test_the_session_cookie_holds_no_personal_data(app, client) -> None:
    donor = WizardDriver(client)
    reach_review(donor, registry_of(client).get("UK"))
    decoded = session_cookie(app, client)
    assert set(decoded) <= {"draft", "lang", "csrf_token"}
    text = json.dumps(decoded)
    for personal in ("Alex", "Doe", "alex@example.org", "SW1A", "London", "7946"):
        assert personal not in text


def test_typed_values_are_kept_on_the_server(app, client, db_session) -> None:
    donor = WizardDriver(client)
    office = registry_of(client).get("DE")
    notice = reach_details(donor, office)
    donor.post("details", details_data(office, notice, first_name="Erika"))
    draft = current(db_session, client, app)
    assert draft.data["details"]["fields"]["first_name"] == "Erika"


def test_a_failed_submission_keeps_what_was_typed(app, client, db_session) -> None:
    donor = WizardDriver(client)
    office = registry_of(client).get("DE")
    notice = reach_details(donor, office)
    response = donor.post("details", details_data(office, notice, email="broken", city="Köln"))
    assert response.status_code == 200
    html = donor.get("/donate/details").get_data(as_text=True)  # come back later: still there
    assert 'value="Köln"' in html
    assert 'value="broken"' in html


def test_switching_language_mid_way_keeps_every_value(client) -> None:
    donor = WizardDriver(client)
    office = registry_of(client).get("DE")
    notice = reach_details(donor, office)
    typed = details_data(office, notice, first_name="Jürgen", city="München")
    response = donor.post("details", {**typed, "_lang": "de"})
    assert response.headers["Location"] == "/donate/details?lang=de"
    html = donor.get("/donate/details?lang=de").get_data(as_text=True)
    assert '<html lang="de">' in html
    assert 'value="Jürgen"' in html
    assert 'value="München"' in html
    assert "Spende" in html  # the page is in German now


def test_a_step_posted_twice_is_harmless(app, client, db_session) -> None:
    donor = WizardDriver(client)
    office = registry_of(client).get("DE")
    token = donor.token("/donate/amount")
    first = donor.post("amount", amount_data(office), token=token)
    second = donor.post("amount", amount_data(office), token=token)
    assert first.status_code == second.status_code == 302
    assert current(db_session, client, app).data["amount"]["fields"] == amount_data(office)


def test_a_frozen_draft_does_not_change(app, client, db_session) -> None:
    donor = WizardDriver(client)
    office = registry_of(client).get("DE")
    reach_review(donor, office)
    token = donor.token("/donate/amount")
    draft = current(db_session, client, app)
    draft.frozen_at = utcnow()
    db_session.commit()
    before = dict(draft.data)
    response = donor.post("amount", amount_data(office, amount="EUR:10000"), token=token)
    assert response.headers["Location"] == "/donate/review"
    assert donor.get("/donate/amount").headers["Location"] == "/donate/review"
    assert donor.get("/donate/review").status_code == 200  # what is being paid stays visible
    db_session.refresh(draft)
    assert draft.data == before


def test_an_idle_draft_expires_and_a_new_one_starts(app, client, db_session) -> None:
    donor = WizardDriver(client)
    office = registry_of(client).get("DE")
    reach_details(donor, office)
    old = current(db_session, client, app)
    old.updated_at = utcnow() - timedelta(minutes=app.config["DRAFT_IDLE_MINUTES"] + 1)
    db_session.commit()
    assert donor.get("/donate").headers["Location"] == "/donate/amount"
    donor.post("amount", amount_data(office))
    assert current(db_session, client, app).id != old.id


def test_page_views_without_a_draft_store_no_draft(client, db_session) -> None:
    """A crawler or a cookie-less client loading pages must not fill the drafts table."""
    before = db_session.scalar(select(func.count()).select_from(CheckoutDraft))
    for path in ("/donate", "/donate/amount", "/donate/details", "/donate/pay", "/donate"):
        assert client.get(path).status_code in (200, 302)
    assert db_session.scalar(select(func.count()).select_from(CheckoutDraft)) == before
    WizardDriver(client).post("amount", amount_data(registry_of(client).get("DE")))
    assert db_session.scalar(select(func.count()).select_from(CheckoutDraft)) == before + 1


def test_the_purge_command_erases_expired_drafts_only(runner, db_session) -> None:
    long_ago = utcnow() - timedelta(days=2)
    expired = make_draft(db_session, data={"details": {"fields": {"first_name": "Old"}}})
    expired.updated_at = long_ago
    frozen = make_draft(db_session, data={"details": {"fields": {"first_name": "Paying"}}})
    frozen.updated_at, frozen.frozen_at = long_ago, long_ago
    fresh = make_draft(db_session, data={"details": {"fields": {"first_name": "Now"}}})
    db_session.commit()
    result = runner.invoke(args=["drafts", "purge"])
    assert result.exit_code == 0, result.output
    assert "purged 1 expired drafts" in result.output
    for draft in (expired, frozen, fresh):
        db_session.refresh(draft)
    assert expired.data == {}
    assert expired.purged_at is not None
    assert frozen.data["details"]["fields"]["first_name"] == "Paying"
    assert fresh.data["details"]["fields"]["first_name"] == "Now"


def test_step_posts_are_rate_limited_with_a_page_in_the_donors_language(app, client) -> None:
    app.config["WIZARD_RATE_LIMIT"] = "3 per hour"
    donor = WizardDriver(client, language="de", headers={"Accept-Language": "de-DE"})
    office = registry_of(client).get("DE")
    token = donor.token("/donate/amount")
    statuses = [
        donor.post("amount", amount_data(office), token=token).status_code for _ in range(4)
    ]
    assert statuses == [302, 302, 302, 429]
    page = donor.post("amount", amount_data(office), token=token)
    text = page.get_data(as_text=True)
    assert "Zu viele Versuche" in text
    # The real wait of an hourly limit, on the page and for clients in Retry-After.
    assert re.search(r"warte (59|60) Minuten|warte 1 Stunde", text)
    assert 3500 < int(page.headers["Retry-After"]) <= 3600


def test_page_views_are_not_rate_limited_and_use_none_of_the_limit(app, client) -> None:
    app.config["WIZARD_RATE_LIMIT"] = "3 per minute"
    donor = WizardDriver(client)
    office = registry_of(client).get("DE")
    assert [donor.get("/donate/amount").status_code for _ in range(5)] == [200] * 5
    token = donor.token("/donate/amount")
    statuses = [
        donor.post("amount", amount_data(office), token=token).status_code for _ in range(4)
    ]
    assert statuses == [302, 302, 302, 429]
    assert donor.get("/donate/amount").status_code == 200


def test_a_missing_or_foreign_csrf_token_is_refused(client) -> None:
    donor = WizardDriver(client)
    office = registry_of(client).get("DE")
    donor.get("/donate/amount")
    assert client.post("/donate/amount", data=amount_data(office)).status_code == 400
    other = WizardDriver(client.application.test_client())
    foreign = other.token("/donate/amount")
    assert donor.post("amount", amount_data(office), token=foreign).status_code == 400


def test_progress_says_which_step_of_how_many(client) -> None:
    donor = WizardDriver(client)
    reach_details(donor, registry_of(client).get("DE"))
    html = donor.get("/donate/details").get_data(as_text=True)
    assert "Step 2 of 5" in html
    assert re.search(r'aria-current="step">2', html)


# --- thank-you page ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "heading"),
    [
        ("succeeded", "Thank you!"),
        ("processing", "being processed"),
        ("pending", "being processed"),
        ("failed", "did not go through"),
        ("canceled", "did not go through"),
    ],
)
def test_the_thank_you_page_knows_the_state(client, db_session, status, heading) -> None:
    draft = make_draft(db_session, data={"details": {"fields": {"email": "ann@example.org"}}})
    donation = make_donation(db_session, draft=draft, status=status)
    db_session.commit()
    own_gift(client, donation.public_id)
    html = client.get(f"/donate/thanks/{donation.public_id}").get_data(as_text=True)
    assert heading in html
    if status != "failed" and status != "canceled":
        assert "ann@example.org" in html
    assert "How was the experience for you?" in html


@pytest.mark.parametrize("status", ["succeeded", "processing", "failed"])
def test_another_browser_sees_nothing_of_the_donor_or_the_gift(
    app, db_session, status: str
) -> None:
    draft = make_draft(
        db_session,
        data={"details": {"fields": {"email": "ann@example.org", "first_name": "Ann"}}},
    )
    donation = make_donation(db_session, draft=draft, status=status, frequency="once")
    db_session.commit()
    owner, stranger = app.test_client(), app.test_client()
    own_gift(owner, donation.public_id)
    assert (
        "ann@example.org"
        in owner.get(f"/donate/thanks/{donation.public_id}").get_data(as_text=True)
        or status == "failed"
    )
    page = stranger.get(f"/donate/thanks/{donation.public_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "another browser" in html
    for private in ("ann@example.org", "Ann", "€50.00", "50,00", "Give this amount monthly"):
        assert private not in html
    # A stranger cannot copy the donor's details into a draft of their own.
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    form = {"csrf_token": token.group(1)} if token else {}
    for action in ("again", "monthly"):
        response = stranger.post(f"/donate/thanks/{donation.public_id}/{action}", data=form)
        assert response.status_code in (400, 404), action
    assert stranger.get("/donate/review").status_code == 302  # no draft was given to them


def test_give_again_only_after_a_failure(app, client, db_session) -> None:
    donation = make_donation(db_session, status="succeeded")
    db_session.commit()
    own_gift(client, donation.public_id)
    html = client.get(f"/donate/thanks/{donation.public_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore
    response = client.post(f"/donate/thanks/{donation.public_id}/again", data={"csrf_token": token})
    assert response.status_code == 400


def test_an_unknown_thank_you_id_is_404(client) -> None:
    own_gift(client, "not-a-donation")
    assert client.get("/donate/thanks/not-a-donation").status_code == 404


def test_a_one_time_donor_can_make_it_monthly(app, client, db_session) -> None:
    donor = WizardDriver(client)
    office = registry_of(client).get("DE")
    reach_review(donor, office)
    draft = current(db_session, client, app)
    donation = make_donation(db_session, draft=draft, status="succeeded")
    db_session.commit()
    own_gift(client, donation.public_id)
    html = client.get(f"/donate/thanks/{donation.public_id}").get_data(as_text=True)
    assert "Give this amount monthly" in html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore
    response = client.post(
        f"/donate/thanks/{donation.public_id}/monthly", data={"csrf_token": token}
    )
    assert response.headers["Location"] == "/donate"
    assert client.get("/donate").headers["Location"] == "/donate/review"
    review = client.get("/donate/review").get_data(as_text=True)
    assert "Donate €25.00 monthly" in review


REDIS_URL = "redis://127.0.0.1:6379/15"


def redis_or_skip() -> None:
    """Redis is there in CI; on a laptop without it this test skips with the reason."""
    import os

    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and Redis is unreachable at {REDIS_URL}: {error}")
        pytest.skip(f"Redis unreachable at {REDIS_URL}: {error}")


def test_rate_limits_are_shared_through_redis_between_processes(connection, database_url):
    """Two apps (think: two web processes) count one client's attempts together."""
    from checkout import create_app
    from checkout.db import get_database
    from tests.conftest import test_settings

    redis_or_skip()
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    settings = test_settings(
        database_url, RATELIMIT_STORAGE_URI=REDIS_URL, WIZARD_RATE_LIMIT="3 per minute"
    )
    first, second = create_app(settings, environ={}), create_app(settings, environ={})
    statuses = []
    for app in (first, second, first, second):
        get_database(app).bind_to(connection)
        donor = WizardDriver(app.test_client())
        office = registry_of(donor.client).get("DE")
        statuses.append(donor.post("amount", amount_data(office)).status_code)
        get_database(app).engine.dispose()
    assert statuses == [302, 302, 302, 429]
    # The counting happened in Redis, not in this process's memory, once per submission
    # (checkout.counters, not Flask-Limiter as well), under a hash of the address.
    keys = [key.decode() for key in redis.Redis.from_url(REDIS_URL).keys("LIMITS*")]
    assert [key for key in keys if "wizard-submissions" in key]
    assert not [key for key in keys if "127.0.0.1" in key or "wizard.submit" in key]


def test_a_step_saved_after_another_tab_froze_the_draft_changes_nothing(db_session) -> None:
    draft = make_draft(db_session, data={"amount": {"fields": {"amount": "EUR:5000"}}})
    frozen_at = utcnow()
    db_session.execute(  # "Donate" in another tab; this request still holds the draft unfrozen
        update(CheckoutDraft)
        .where(CheckoutDraft.id == draft.id)
        .values(frozen_at=frozen_at)
        .execution_options(synchronize_session=False)
    )
    assert draft.frozen_at is None
    with pytest.raises(services.DraftFrozen):
        services.save_step_input(db_session, draft, "amount", {"amount": "EUR:1"}, "en")
    stored = db_session.scalar(select(CheckoutDraft.data).where(CheckoutDraft.id == draft.id))
    assert stored == {"amount": {"fields": {"amount": "EUR:5000"}}}
