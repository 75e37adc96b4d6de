"""The card-testing defences as this app configures them, for the views."""

from __future__ import annotations

import json

from flask import current_app
from flask_babel import gettext as _

from checkout.counters import counters
from checkout.payments import proof_of_work
from checkout.payments.breaker import Breaker, BreakerSettings
from checkout.payments.card_testing import Guard, Limits


def guard() -> Guard:
    """The limits on declined attempts."""
    return Guard(counters(), Limits.from_config(current_app.config))


def breaker() -> Breaker:
    """The site-wide breaker."""
    return Breaker(counters(), BreakerSettings.from_config(current_app.config))


def start_needs_proof_of_work() -> bool:
    """True while new payment starts must carry a solved challenge."""
    return breaker().is_on()


def proof_of_work_accepted(payload: str) -> bool:
    """A genuine solution, not used before."""
    return proof_of_work.accept(current_app.config, counters(), payload)


def review_challenge() -> str | None:
    """The challenge (JSON) for the review page's widget while the breaker is on, else None.

    A template global, so the wizard's review page shows the widget without importing us.
    """
    if not start_needs_proof_of_work():
        return None
    return json.dumps(proof_of_work.new_challenge(current_app.config), separators=(",", ":"))


def proof_of_work_texts() -> str:
    """The widget's texts in the page's language, as JSON (a template global)."""
    return json.dumps(
        {
            "label": _("I am a person (my browser solves a small puzzle)"),
            "verify": _("Solve the puzzle"),
            "verifying": _("Solving the puzzle…"),
            "waitAlert": _("Solving the puzzle… please wait."),
            "verified": _("Done: you can donate now"),
            "verificationRequired": _("Please wait until the puzzle is solved."),
            "error": _("The puzzle could not be solved. Please reload the page."),
            "expired": _("The puzzle has expired. Please reload the page."),
            "loading": _("Loading…"),
            "reload": _("Reload"),
            "cancel": _("Cancel"),
        },
        ensure_ascii=False,
    )
