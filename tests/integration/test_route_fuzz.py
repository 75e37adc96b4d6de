"""Every route, odd methods, query strings, bodies and headers: never a 5xx.

The app runs against the real stand-in (pay and return pages call it), inside the test's
transaction. Route variables are filled with values that exist (a real donation, a real office)
and with values that do not, so both the happy lookups and the misses are crossed with the odd
input. A deterministic pass covers every route and method once; hypothesis then mixes the rest.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.routes_support import BODIES, HEADERS, METHODS, QUERIES, app, known, paths  # noqa: F401


def request(client: FlaskClient, method: str, path: str, body: Any, headers: dict) -> int:
    data, content_type = body
    with client.open(
        path, method=method, data=data, content_type=content_type, headers=headers
    ) as response:
        return response.status_code


def test_every_route_and_method_answers_without_a_5xx(app: Flask, known) -> None:  # noqa: F811
    failures = []
    for path in paths(app, known):
        for method in METHODS:
            for query in ("", "?_method=DELETE&name=x&lang=de"):
                status = request(app.test_client(), method, path + query, BODIES[4], {})
                if status >= 500:
                    failures.append((method, path + query, status))
    assert not failures, failures


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_odd_requests_anywhere_never_answer_5xx(
    app: Flask,  # noqa: F811
    known,  # noqa: F811
    data: st.DataObject,
) -> None:
    path = data.draw(st.sampled_from(paths(app, known)))
    method = data.draw(st.sampled_from(METHODS))
    query = data.draw(st.sampled_from(QUERIES))
    body = data.draw(st.sampled_from(BODIES))
    headers = data.draw(st.sampled_from(HEADERS))
    status = request(app.test_client(), method, path + query, body, headers)
    assert status < 500, (method, path + query, body[0][:60], headers, status)
