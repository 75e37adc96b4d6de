"""Which language a page is shown in: the donor's choice, else their browser's."""

from __future__ import annotations

from typing import Any

from flask import Flask, request, session, url_for
from flask_babel import get_locale

from checkout.core.languages import DEFAULT_LANGUAGE, LANGUAGE_NAMES, SUPPORTED_LANGUAGES

_SESSION_KEY = "lang"


def select_locale() -> str:
    """The language for this request: ?lang=, then the remembered choice, then Accept-Language."""
    requested = request.args.get("lang")
    if requested in SUPPORTED_LANGUAGES:
        return requested
    remembered = session.get(_SESSION_KEY)
    if remembered in SUPPORTED_LANGUAGES:
        return str(remembered)
    return request.accept_languages.best_match(SUPPORTED_LANGUAGES) or DEFAULT_LANGUAGE


def remember_language_choice() -> None:
    """Keep a ?lang= choice for the following pages (a language code is not personal data)."""
    requested = request.args.get("lang")
    if requested in SUPPORTED_LANGUAGES and session.get(_SESSION_KEY) != requested:
        session[_SESSION_KEY] = requested


def language_links() -> list[dict[str, str]]:
    """Links to this same page in each language, for the switcher."""
    endpoint = request.endpoint
    args: dict[str, Any] = {key: value for key, value in request.args.items() if key != "lang"}
    links = []
    for code in SUPPORTED_LANGUAGES:
        if endpoint and request.method == "GET":
            href = url_for(endpoint, **(request.view_args or {}), **args, lang=code)
        else:
            href = url_for("site.landing", lang=code)
        links.append({"code": code, "name": LANGUAGE_NAMES[code], "href": href})
    return links


def current_language() -> str:
    """The language code of this request's page ("en", "de", ...)."""
    return get_locale().language if get_locale() else DEFAULT_LANGUAGE


def init_app(app: Flask) -> None:
    """Remember language choices and give templates the language and the switcher's links."""
    app.before_request(remember_language_choice)
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.globals["language_links"] = language_links
