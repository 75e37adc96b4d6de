"""Landing page, the donate entry, health check, error pages and the language switcher."""

from __future__ import annotations

import logging
import re

import flask_babel
import pytest
from flask import Flask
from flask.testing import FlaskClient

from checkout import create_app
from checkout.site.i18n import in_language, lazy_gettext
from tests.conftest import test_settings


def test_landing_page_says_what_the_charity_does_and_links_to_donate(client: FlaskClient) -> None:
    page = client.get("/", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "slavery" in html
    assert 'href="/donate"' in html
    assert '<html lang="en">' in html


def test_donate_leads_into_the_wizard(client: FlaskClient) -> None:
    response = client.get("/donate")
    assert response.status_code == 302
    assert response.headers["Location"] == "/donate/amount"


def test_healthz_reports_a_reachable_database(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "ratelimit": "ok"}


def test_healthz_answers_503_when_the_database_is_unreachable() -> None:
    # Port 1 on loopback refuses at once: no server, no waiting.
    app = create_app(test_settings("postgresql://postgres@127.0.0.1:1/nothing"), environ={})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "error", "database": "unreachable", "ratelimit": "ok"}


REFERENCE = re.compile(r"[A-Z2-9]{4}-[A-Z2-9]{4}")


@pytest.mark.parametrize(
    ("status", "title"),
    [
        (400, "could not be understood"),
        (403, "Not allowed"),
        (404, "Page not found"),
        (429, "Too many attempts"),
        (500, "went wrong on our side"),
    ],
)
def test_error_pages_show_a_reference_and_no_traceback(app: Flask, status: int, title: str) -> None:
    from flask import abort

    @app.get("/_test/fail/<int:code>")
    def fail(code: int) -> str:
        if code == 500:
            raise RuntimeError("secret internal detail")
        abort(code)

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get(f"/_test/fail/{status}", headers={"Accept-Language": "en"})
    html = response.get_data(as_text=True)
    assert response.status_code == status
    assert title in html
    assert REFERENCE.search(html)
    assert "Traceback" not in html
    assert "secret internal detail" not in html


def test_an_unhandled_error_is_logged_with_the_reference_shown_to_the_donor(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    @app.get("/_test/boom")
    def boom() -> str:
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    with caplog.at_level(logging.ERROR, logger="checkout.site.errors"):
        html = app.test_client().get("/_test/boom").get_data(as_text=True)
    shown = REFERENCE.search(html)
    assert shown is not None
    assert any(shown.group(0) in record.getMessage() for record in caplog.records)


def test_error_pages_are_in_the_donors_language(client: FlaskClient) -> None:
    html = client.get("/no-such-page", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Seite nicht gefunden" in html


def test_accept_language_picks_the_page_language(client: FlaskClient) -> None:
    html = client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"}).get_data(as_text=True)
    assert '<html lang="de">' in html
    assert "Jetzt spenden" in html


def test_the_switcher_choice_wins_and_is_remembered(client: FlaskClient) -> None:
    german_browser = {"Accept-Language": "de"}
    html = client.get("/?lang=fr", headers=german_browser).get_data(as_text=True)
    assert '<html lang="fr">' in html
    html = client.get("/healthz-missing", headers=german_browser).get_data(as_text=True)
    assert '<html lang="fr">' in html


def test_an_unknown_language_is_ignored(client: FlaskClient) -> None:
    html = client.get("/?lang=xx", headers={"Accept-Language": "nl"}).get_data(as_text=True)
    assert '<html lang="nl">' in html


def test_switcher_links_keep_the_current_page(client: FlaskClient) -> None:
    html = client.get("/?x=1").get_data(as_text=True)
    for code in ("en", "de", "nl", "fr"):
        assert f'href="/?x=1&amp;lang={code}"' in html


def test_templates_and_lazy_strings_follow_a_forced_locale_and_return(app: Flask) -> None:
    page = app.jinja_env.from_string("{{ _('Donate now') }}")
    lazy = lazy_gettext("Donate now")
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        assert page.render() == str(lazy) == "Jetzt spenden"
        with in_language("nl"):  # as emails in the donor's language are written
            assert page.render() == str(lazy) == "Nu doneren"
            with in_language("en"):
                assert page.render() == str(lazy) == "Donate now"
            assert page.render() == str(lazy) == "Nu doneren"
        assert page.render() == str(lazy) == "Jetzt spenden"
    assert str(lazy) == "Donate now"  # outside any request


def test_lazy_strings_take_variables_as_flask_babel_does(app: Flask) -> None:
    message = "Your gift goes to %(office)s."
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        ours = str(lazy_gettext(message, office="IJM"))
        assert ours == flask_babel.gettext(message, office="IJM")
        assert "IJM" in ours
        assert ours != message % {"office": "IJM"}  # translated
