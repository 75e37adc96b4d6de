"""Security headers on every response, the policy's sources, and no caching of pages."""

from __future__ import annotations

import pytest
from flask import Flask

from checkout import create_app
from checkout.site.headers import content_security_policy
from tests.integration.test_configuration import production_environ
from tests.routes_support import METHODS, app, known, paths  # noqa: F401

#: The issue's policy "or stricter" (the staff consoles send none at all).
STRICT_REFERRERS = {
    "strict-origin-when-cross-origin",
    "same-origin",
    "strict-origin",
    "no-referrer",
}


def policy_of(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def test_every_route_and_answer_carries_the_headers(app: Flask, known) -> None:  # noqa: F811
    checked = 0
    for path in paths(app, known):
        for method in ("GET", "POST", "DELETE"):
            with app.test_client().open(path + "?lang=de", method=method) as response:
                headers = response.headers
                assert headers["X-Frame-Options"] == "DENY", path
                assert headers["X-Content-Type-Options"] == "nosniff"
                assert headers["Referrer-Policy"] in STRICT_REFERRERS, path
                assert "camera=()" in headers["Permissions-Policy"]
                policy = policy_of(headers["Content-Security-Policy"])
                assert policy["frame-ancestors"] == ["'none'"]
                assert "'unsafe-inline'" not in policy["script-src"]
                assert "'unsafe-eval'" not in policy["script-src"]
                if not path.startswith("/static/"):
                    assert headers["Cache-Control"] == "no-store", (method, path)
                checked += 1
    assert checked > 50


def test_the_demo_policy_names_the_stand_ins_origin() -> None:
    standin = "http://127.0.0.1:12111"
    config = {"STRIPE_JS_URL": f"{standin}/v3/", "STRIPE_API_BASE": standin}
    policy = policy_of(content_security_policy(config))
    assert policy["script-src"] == ["'self'", standin]
    assert standin in policy["connect-src"]
    assert standin in policy["frame-src"]
    assert "https://js.stripe.com" not in policy["script-src"]


def test_production_names_stripes_documented_hosts_and_sends_hsts() -> None:
    prod = create_app(environ=production_environ())
    with prod.test_client().get("/", headers={"Host": "give.ijm.charity"}) as response:
        policy = policy_of(response.headers["Content-Security-Policy"])
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert policy["script-src"] == ["'self'", "https://js.stripe.com", "https://*.js.stripe.com"]
    assert "https://hooks.stripe.com" in policy["frame-src"]
    assert policy["connect-src"] == ["'self'", "https://api.stripe.com"]


def test_no_hsts_outside_production(app: Flask) -> None:  # noqa: F811
    assert "Strict-Transport-Security" not in app.test_client().get("/").headers


@pytest.mark.parametrize("method", METHODS)
def test_error_answers_carry_the_headers_too(app: Flask, method: str) -> None:  # noqa: F811
    with app.test_client().open("/nowhere", method=method) as response:
        assert response.status_code in (404, 405)
        assert "Content-Security-Policy" in response.headers
        assert response.headers["Cache-Control"] == "no-store"
