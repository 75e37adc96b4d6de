"""Which language a page is shown in: the donor's choice, else their browser's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

import flask_babel
from flask import Flask, g, request, session, url_for
from flask_babel import get_locale
from flask_babel.speaklater import LazyString

from checkout.core.languages import DEFAULT_LANGUAGE, LANGUAGE_NAMES, SUPPORTED_LANGUAGES

_SESSION_KEY = "lang"
_TRANSLATIONS_KEY = "_checkout_translations"
_LANGUAGE_KEY = "_checkout_language"


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


class LanguageLink:
    """A link to this same page in one language; its address is worked out only when used.

    (The wizard's pages show buttons that resubmit the form instead, and never ask for it.)
    """

    __slots__ = ("code", "name")

    def __init__(self, code: str) -> None:
        """The link for language `code`."""
        self.code = code
        self.name = LANGUAGE_NAMES[code]

    @property
    def href(self) -> str:
        """This page with ?lang=code (the landing page when this page cannot be linked).

        Built from the request's own path and query rather than `url_for`: a query argument
        may be named like a route variable or like url_for's own (`_method`, `_external`), and
        none of them may turn a language link into an error.
        """
        if request.method != "GET":
            return url_for("site.landing", lang=self.code)
        query = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
        query.append(("lang", self.code))
        # One leading slash: "//host" would make the link leave this site.
        path = "/" + request.path.lstrip("/")
        return f"{request.script_root}{path}?{urlencode(query)}"


def language_links() -> list[LanguageLink]:
    """Links to this same page in each language, for the switcher."""
    return [LanguageLink(code) for code in SUPPORTED_LANGUAGES]


def current_language() -> str:
    """The language code of this context's page ("en", "de", ...), kept on `g` as
    `translations` keeps its catalogue (a wizard submission asks for it several times)."""
    if not g:
        return _language_of_locale()
    kept = g.get(_LANGUAGE_KEY)
    if kept is None:
        kept = _language_of_locale()
        setattr(g, _LANGUAGE_KEY, kept)
    return str(kept)


def _language_of_locale() -> str:
    locale = get_locale()
    return locale.language if locale else DEFAULT_LANGUAGE


def translations() -> Any:
    """The translations for this context's language, found once rather than for every string.

    Flask-Babel looks them up through several context proxies for each `_()` in a template
    (a third of a page's rendering); this keeps them on `g`. `in_language` is the one way to
    switch language inside a context, and it swaps what is kept here.
    """
    if not g:
        return flask_babel.get_translations()
    kept = g.get(_TRANSLATIONS_KEY)
    if kept is None:
        kept = flask_babel.get_translations()
        setattr(g, _TRANSLATIONS_KEY, kept)
    return kept


@contextmanager
def in_language(language: str) -> Iterator[None]:
    """Flask-Babel's `force_locale`, for an email or a receipt in the donor's language: use
    this rather than `force_locale` itself, so `translations` does not keep the page's."""
    if not g:
        with flask_babel.force_locale(language):
            yield
        return
    outer = {key: g.pop(key, None) for key in (_TRANSLATIONS_KEY, _LANGUAGE_KEY)}
    try:
        with flask_babel.force_locale(language):
            yield
    finally:
        for key, value in outer.items():
            g.pop(key, None)
            if value is not None:
                setattr(g, key, value)


def gettext(string: str, **variables: Any) -> str:
    """Flask-Babel's gettext, with the translations found as `translations` finds them."""
    text: str = translations().ugettext(string)
    return text % variables if variables else text


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    """Flask-Babel's lazy_gettext (translated each time it is shown), through `gettext` above."""
    return LazyString(gettext, string, **variables)


def init_app(app: Flask) -> None:
    """Remember language choices and give templates the language and the switcher's links."""
    app.before_request(remember_language_choice)
    # The same callables Flask-Babel installs, with the translations found once per locale.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.globals["language_links"] = language_links
