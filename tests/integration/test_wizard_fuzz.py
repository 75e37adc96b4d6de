"""Arbitrary form data against every step: never a 5xx, and the draft stays well-formed."""

from __future__ import annotations

from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from checkout.wizard.flow import STEPS
from checkout.wizard.forms import field_names
from checkout.wizard.models import CheckoutDraft
from checkout.wizard.services import MAX_FIELD_LENGTH
from tests.wizard_driver import WizardDriver, reach_review, registry_of

ALLOWED = {200, 302, 400, 429}

hostile_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=3000),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "\r\n",
            "<script>",
            "EUR:-5",
            "EUR:abc",
            "USD:0",
            "other",
            "1e309",
            "NaN",
            "9" * 40,
            "%(amount)s",
            "{{ 7*7 }}",
            "ZZ",
            "DE:2026-11-01:xx",
            "DE:x",
            ":::",
            "y",
            "on",
        ]
    ),
)


def step_payload(step_name: str) -> st.SearchStrategy[dict[str, Any]]:
    names = field_names(next(s for s in STEPS if s.name == step_name).form_class)
    known = (
        st.dictionaries(st.sampled_from(names), hostile_text, max_size=len(names))
        if names
        else st.just({})
    )
    extra = st.dictionaries(st.text(min_size=1, max_size=10), hostile_text, max_size=3)
    return st.tuples(known, extra).map(lambda pair: {**pair[1], **pair[0]})


TOKEN_CHOICES = st.sampled_from(["valid", "missing", "garbage", "foreign"])


def assert_well_formed(draft: CheckoutDraft) -> None:
    assert isinstance(draft.data, dict)
    for step in STEPS:
        entry = draft.data.get(step.name)
        if entry is None:
            continue
        assert set(entry) == {"fields", "locale"}
        assert set(entry["fields"]) <= set(field_names(step.form_class))
        for value in entry["fields"].values():
            assert isinstance(value, str)
            assert len(value) <= MAX_FIELD_LENGTH


def fuzz_step(app: Flask, db_session, step_name: str, payload, token_kind: str) -> None:
    client = app.test_client()
    donor = WizardDriver(client)
    reach_review(donor, registry_of(client).get("UK"))
    path = f"/donate/{step_name}"
    token = {
        "valid": donor.token(path),
        "missing": None,
        "garbage": "x" * 20,
        "foreign": WizardDriver(app.test_client()).token("/donate/amount"),
    }[token_kind]
    data = dict(payload)
    if token is not None:
        data["csrf_token"] = token
    response = client.post(path, data=data, headers=donor.headers)
    assert response.status_code in ALLOWED, response.status_code
    for draft in db_session.scalars(select(CheckoutDraft)):
        db_session.refresh(draft)
        assert_well_formed(draft)
    # Whatever happened, the wizard still answers.
    assert client.get("/donate", headers=donor.headers).status_code == 302


FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(payload=step_payload("amount"), token_kind=TOKEN_CHOICES)
def test_amount_step_survives_anything(app, db_session, payload, token_kind) -> None:
    app.config["WIZARD_RATE_LIMIT"] = "100000 per minute"
    fuzz_step(app, db_session, "amount", payload, token_kind)


@FUZZ
@given(payload=step_payload("details"), token_kind=TOKEN_CHOICES)
def test_details_step_survives_anything(app, db_session, payload, token_kind) -> None:
    app.config["WIZARD_RATE_LIMIT"] = "100000 per minute"
    fuzz_step(app, db_session, "details", payload, token_kind)


@FUZZ
@given(payload=step_payload("method"), token_kind=TOKEN_CHOICES)
def test_method_step_survives_anything(app, db_session, payload, token_kind) -> None:
    app.config["WIZARD_RATE_LIMIT"] = "100000 per minute"
    fuzz_step(app, db_session, "method", payload, token_kind)


@FUZZ
@given(payload=step_payload("review"), token_kind=TOKEN_CHOICES)
def test_review_step_survives_anything(app, db_session, payload, token_kind) -> None:
    app.config["WIZARD_RATE_LIMIT"] = "100000 per minute"
    fuzz_step(app, db_session, "review", payload, token_kind)


@FUZZ
@given(
    body=st.binary(max_size=2000),
    content_type=st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "text/plain",
            "application/json",
        ]
    ),
)
def test_raw_bodies_never_cause_a_5xx(app, body, content_type) -> None:
    app.config["WIZARD_RATE_LIMIT"] = "100000 per minute"
    client = app.test_client()
    client.get("/donate/amount")
    response = client.post("/donate/amount", data=body, content_type=content_type)
    assert response.status_code in ALLOWED | {413}
