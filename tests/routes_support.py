"""Every route of the app with its variables filled in: for fuzzing and for header checks."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask

from checkout import create_app
from checkout.db import get_database
from tests.conftest import test_settings
from tests.factories import make_donation

#: For a route variable `known` has no values of its own for (ids of staff pages and the like).
OTHER_VALUES = ["1", "999999999", "x", "%00", "-1"]
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "PROPFIND", "TRACE"]
QUERIES = [
    "",
    "?_method=DELETE",
    "?name=x",
    "?lang=xx",
    "?lang=de&lang=fr",
    "?_external=1&_anchor=a&_scheme=javascript",
    "?%ff=%fe",
    "?a[]=1&a[x]=2",
    "?public_id=1&office_code=DE&token=t",
    "?next=//evil.example",
    "?" + "x" * 3000,
]
BODIES: list[tuple[bytes, str | None]] = [
    (b"", None),
    (b"\xff\xfe\x00garbage", "application/octet-stream"),
    (b"[1, 2, 3]", "application/json"),
    (b'{"data": {"object": []}}', "application/json"),
    (b"amount=EUR%3A-5&frequency=once&currency=ZZZ&_lang=de", "application/x-www-form-urlencoded"),
    (b"csrf_token=%00&shown_total=" + b"9" * 400, "application/x-www-form-urlencoded"),
    (b"--b\r\nContent-Disposition: form-data; name=x\r\n\r\n1\r\n--b--", "multipart/form-data"),
    (b"--b\r\nbroken", "multipart/form-data; boundary=b"),
    (b"a=" + b"%" * 70_000, "application/x-www-form-urlencoded"),
]
HEADERS: list[dict[str, str]] = [
    {},
    {"Accept-Language": "zz;q=abc, *;q=-1, de-DE-x-private;q=0.5"},
    {"Accept-Language": "fr-FR,fr;q=0.9"},
    {"Cookie": "checkout_session=not-a-signed-value"},
    {"Cookie": "checkout_session=eyJkcmFmdCI6WzEsMl19.invalid.sig"},
    {"X-Forwarded-For": "not-an-ip, 999.1.1.1", "X-Forwarded-Proto": "gopher"},
    {"Stripe-Signature": "t=abc,v1=zz,v0=" + "a" * 200},
    {"Stripe-Signature": "t=99999999999,v1=00"},
    {"Content-Length": "5"},
    {"Range": "bytes=9-1", "If-Modified-Since": "yesterday"},
    {"User-Agent": "\x7f" * 10},
]


@pytest.fixture
def app(connection, database_url, stripe_standin) -> Iterator[Flask]:
    """The app talking to the stand-in, inside the test's transaction."""
    settings_ = test_settings(
        database_url,
        STRIPE_API_BASE=stripe_standin.base_url,
        STRIPE_MAX_NETWORK_RETRIES=0,
        WIZARD_RATE_LIMIT="100000 per minute",
        PAY_RATE_LIMIT="100000 per minute",
        RETURN_SYNC_LIMIT="100000 per minute",
    )
    app = create_app(settings_, environ={})
    get_database(app).bind_to(connection)
    yield app
    get_database(app).engine.dispose()


@pytest.fixture
def known(app: Flask, db_session) -> dict[str, list[str]]:
    """Values for route variables: ones that exist, and ones that do not."""
    donation = make_donation(db_session, stripe_payment_intent_id=None)
    db_session.commit()
    return {
        "public_id": [donation.public_id, "nothing-here", "%00", "a" * 300],
        "office_code": ["DE", "ZZ", "de"],
        "name": ["amount", "details", "method", "review", "pay", "nope", "withdraw"],
        "token": ["x", "a.b.c", "eyJ0IjoxfQ.abc.def", "A" * 400],
        "filename": ["css/site.css", "../config/default.py", "%2e%2e/x"],
    }


def paths(app: Flask, known: dict[str, list[str]]) -> list[str]:
    """Every route with each of its variables filled in every known way."""
    found = []
    for rule in app.url_map.iter_rules():
        variants = [rule.rule]
        for variable in rule.arguments:
            pattern = re.compile(r"<(?:[^:<>]+:)?" + variable + r">")
            values = known.get(variable, OTHER_VALUES)
            variants = [pattern.sub(value, v) for v in variants for value in values]
        found.extend(variants)
    return sorted(set(found))
