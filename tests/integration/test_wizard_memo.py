"""The assessment remembered in the draft's row (checkout/wizard/remembered.py): written after
a full assessment, recalled only while its key holds, never overwriting newer input, gone with
the draft's data, and always the same answer as assessing afresh."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from checkout.core.clock import utcnow
from checkout.offices import OfficeRegistry
from checkout.wizard import remembered, services
from checkout.wizard.flow import STEP_BY_NAME, STEPS, assess
from checkout.wizard.models import CheckoutDraft
from tests.integration.test_wizard_drafts import current
from tests.wizard_driver import (
    WizardDriver,
    details_data,
    field_errors,
    reach_details,
    reach_review,
    registry_of,
)

pytestmark = pytest.mark.db

MEMO = services.MEMO_KEY


def _review_for(client: FlaskClient, office: str = "UK") -> WizardDriver:
    donor = WizardDriver(client)
    reach_review(donor, registry_of(client).get(office))
    return donor


def _rename_in_memo(draft: CheckoutDraft, first_name: str) -> dict:
    """The draft's data with every remembered context's donor renamed, key left alone."""
    data = copy.deepcopy(draft.data)
    for context in data[MEMO]["contexts"]:
        if context["donor"] is not None:
            context["donor"]["first_name"] = first_name
    return data


def _store(db_session, draft: CheckoutDraft, data: dict) -> None:
    db_session.execute(update(CheckoutDraft).where(CheckoutDraft.id == draft.id).values(data=data))
    db_session.refresh(draft)


def test_a_page_view_remembers_its_assessment_without_touching_updated_at(
    app: Flask, client: FlaskClient, db_session
) -> None:
    donor = _review_for(client)
    before = current(db_session, client, app)
    stamp = before.updated_at
    assert donor.get("/donate/review").status_code == 200
    draft = current(db_session, client, app)
    memo = draft.data[MEMO]
    # The base context, then one after each complete step: amount, details, method.
    review = STEPS.index(STEP_BY_NAME["review"])
    assert len(memo["contexts"]) == len(memo["keys"]) == 1 + review
    assert draft.updated_at == stamp  # remembering is not the donor changing anything


def _review_with_memo_changed(
    app: Flask, client: FlaskClient, db_session, change: Callable[[dict], None]
) -> tuple[WizardDriver, dict]:
    """A donor on the review page whose memo names "Mallory" (the typed details say "Alex"),
    then `change`d; and the data stored."""
    donor = _review_for(client)
    draft = current(db_session, client, app)
    data = _rename_in_memo(draft, "Mallory")
    change(data)
    _store(db_session, draft, data)
    return donor, data


def _review_with_mallory_remembered(app: Flask, client: FlaskClient, db_session) -> WizardDriver:
    """Only a recalled memo can show "Mallory": its key is left as it was."""
    return _review_with_memo_changed(app, client, db_session, lambda data: None)[0]


def test_the_review_page_is_drawn_from_the_memo_while_its_key_holds(
    app: Flask, client: FlaskClient, db_session
) -> None:
    donor = _review_with_mallory_remembered(app, client, db_session)
    html = donor.get("/donate/review").get_data(as_text=True)
    assert "Mallory" in html and "Alex" not in html


def test_a_memo_with_a_wrong_key_is_ignored_and_replaced(
    app: Flask, client: FlaskClient, db_session
) -> None:
    def forge(data: dict) -> None:
        data[MEMO]["keys"] = [hashlib.sha256(b"forged").hexdigest()] * len(data[MEMO]["keys"])

    donor, data = _review_with_memo_changed(app, client, db_session, forge)
    html = donor.get("/donate/review").get_data(as_text=True)
    assert "Alex" in html and "Mallory" not in html
    rewritten = current(db_session, client, app).data[MEMO]
    assert rewritten["keys"] != data[MEMO]["keys"]


def test_typing_something_new_drops_the_memo_and_the_page_follows_the_input(
    app: Flask, client: FlaskClient, db_session
) -> None:
    donor = _review_with_mallory_remembered(app, client, db_session)
    office = registry_of(client).get("UK")
    response = donor.post("details", details_data(office, donor.shown_notice(), first_name="Sam"))
    assert response.status_code == 302, field_errors(response)
    html = donor.get("/donate/review").get_data(as_text=True)
    assert "Sam" in html and "Mallory" not in html


def test_a_memo_that_cannot_be_read_is_assessed_afresh(
    app: Flask, client: FlaskClient, db_session
) -> None:
    def unknown_office(data: dict) -> None:
        data[MEMO]["contexts"][1]["office"] = "XX"  # no such office any more

    donor, _data = _review_with_memo_changed(app, client, db_session, unknown_office)
    html = donor.get("/donate/review").get_data(as_text=True)
    assert "Alex" in html and "Mallory" not in html


def test_other_offices_settings_mean_another_key(app: Flask, client: FlaskClient, db_session):
    _review_for(client)
    offices = registry_of(client)
    data = current(db_session, client, app).data
    assert len(remembered.recall(data, offices, "en", False).known) == 4
    uk = offices.get("UK")
    changed = OfficeRegistry(
        [replace(uk, name=uk.name + " Ltd") if o is uk else o for o in offices]
    )
    assert remembered.recall(data, changed, "en", False).known == ()
    assert remembered.recall(data, offices, "de", False).known == ()  # another language
    assert remembered.recall(data, offices, "en", True).known == ()  # payment started


def test_a_recalled_assessment_is_the_assessment(
    app: Flask, client: FlaskClient, db_session
) -> None:
    """For drafts at every stage, and for every `until`, recall gives what assess gives."""
    offices = registry_of(client)
    donor = WizardDriver(client)
    stages = []
    notice = reach_details(donor, offices.get("DE"))
    stages.append(current(db_session, client, app).data)
    donor.post("details", details_data(offices.get("DE"), notice, email="broken"))
    stages.append(current(db_session, client, app).data)
    reach_review(WizardDriver(client), offices.get("DE"))
    stages.append(current(db_session, client, app).data)
    for data in stages:
        with app.test_request_context("/"):
            _compare(data, offices)


def _compare(data: dict, offices: OfficeRegistry) -> None:
    """Whatever prefix of the memo is kept, and whatever `until`, the outcome is the same."""
    typed = services.typed(data)
    memo = remembered.recall(typed, offices, "en", False).memo_for(assess(typed, offices, "en"))
    for kept in range(len(memo["keys"]) + 1):
        trimmed = {key: value[:kept] for key, value in memo.items()}
        known = remembered.recall({**typed, MEMO: trimmed}, offices, "en", False).known
        assert len(known) == kept
        for until in (None, *STEPS):
            made = assess(typed, offices, "en", until=until)
            resumed = assess(typed, offices, "en", until=until, known=known)
            assert (resumed.context, resumed.first_incomplete, resumed.contexts) == (
                made.context,
                made.first_incomplete,
                made.contexts,
            )
            assert resumed.submitted == made.submitted
            assert set(resumed.forms) <= set(made.forms)


def test_a_submission_validates_only_itself_and_keeps_what_came_before(
    app: Flask, client: FlaskClient, db_session
) -> None:
    donor = _review_with_mallory_remembered(app, client, db_session)
    response = donor.post("method", {"method": "card"})
    assert response.status_code == 302, field_errors(response)
    memo = current(db_session, client, app).data[MEMO]
    # The contexts before the method step stand (the donor's, "Mallory", comes from details).
    assert len(memo["contexts"]) == 1 + STEPS.index(STEP_BY_NAME["method"])
    assert memo["contexts"][-1]["donor"]["first_name"] == "Mallory"
    html = donor.get("/donate/review").get_data(as_text=True)
    assert "Mallory" in html and "Card" in html


def test_an_invalid_step_shows_its_errors_on_every_visit(client: FlaskClient) -> None:
    donor = WizardDriver(client)
    office = registry_of(client).get("DE")
    notice = reach_details(donor, office)
    donor.post("details", details_data(office, notice, email="broken"))
    for _visit in range(3):  # the first assesses, the next ones recall
        assert "email" in field_errors(donor.get("/donate/details"))


def test_remembering_never_overwrites_newer_input(app: Flask, client: FlaskClient, db_session):
    _review_for(client)
    stale = current(db_session, client, app)
    newer = {**services.typed(stale.data), "amount": {"fields": {"amount": "x"}, "locale": "en"}}
    later = utcnow()
    db_session.execute(
        update(CheckoutDraft)
        .where(CheckoutDraft.id == stale.id)
        .values(data=newer, updated_at=later)
        .execution_options(synchronize_session=False)
    )  # another tab saved a step; `stale` still holds the old row
    services.keep_with_draft(db_session, stale, MEMO, {"keys": ["old"], "contexts": []})
    stored = db_session.execute(
        select(CheckoutDraft.data).where(CheckoutDraft.id == stale.id)
    ).scalar_one()
    assert stored == newer


def test_a_frozen_draft_is_not_remembered_and_purging_erases_the_memo(
    app: Flask, client: FlaskClient, db_session
) -> None:
    donor = _review_for(client)
    draft = current(db_session, client, app)
    assert MEMO in draft.data
    frozen = services.typed(draft.data)
    db_session.execute(
        update(CheckoutDraft)
        .where(CheckoutDraft.id == draft.id)
        .values(data=frozen, frozen_at=utcnow())
    )
    db_session.refresh(draft)
    assert donor.get("/donate/review").status_code == 200
    db_session.refresh(draft)
    assert MEMO not in draft.data
    db_session.execute(
        update(CheckoutDraft).where(CheckoutDraft.id == draft.id).values(frozen_at=None)
    )
    donor.get("/donate/review")
    db_session.refresh(draft)
    assert MEMO in draft.data
    old = utcnow().replace(year=2000)
    db_session.execute(
        update(CheckoutDraft).where(CheckoutDraft.id == draft.id).values(updated_at=old)
    )
    assert (
        services.purge_expired(db_session, timedelta(minutes=app.config["DRAFT_IDLE_MINUTES"])) >= 1
    )
    db_session.refresh(draft)
    assert draft.data == {}
