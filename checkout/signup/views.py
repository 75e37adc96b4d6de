"""/signup: emails about the charity's work without a gift, and the confirmation link's page.

The page shows the notice of the office that would write (the office of the chosen country)
and records the decision in the consent ledger; limited like the portal's sign-in form (per
client address, and per typed address, where over the limit nothing is recorded but the
answer is the same). Every address gets the same answer.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, current_app, render_template, request

from checkout.consent.services import SIGNUP_FORM, Evidence, keyed_ip_hash
from checkout.core.clock import utcnow
from checkout.counters import counters
from checkout.db import db_session
from checkout.extensions import limiter
from checkout.offices import OfficeRegistry
from checkout.portal.forms import ButtonForm
from checkout.signup import services
from checkout.signup.forms import SignupForm, notice_reference
from checkout.site.i18n import current_language
from checkout.staff.forms import error_list
from checkout.wizard.views import country_guess

blueprint = Blueprint("signup", __name__, url_prefix="/signup")


def _offices() -> OfficeRegistry:
    registry: OfficeRegistry = current_app.extensions["checkout.offices"]
    return registry


def _evidence(form: str, url: str) -> Evidence:
    """How the decision was made; `url` is the page's path without any token."""
    return Evidence(
        form=form,
        ip_hash=keyed_ip_hash(request.remote_addr, str(current_app.config["EVIDENCE_HASH_KEY"])),
        user_agent=request.headers.get("User-Agent"),
        url=url,
    )


@blueprint.route("", methods=["GET", "POST"])
@limiter.limit(lambda: str(current_app.config["SIGNUP_ADDRESS_RATE_LIMIT"]), methods=["POST"])
def form() -> Any:
    """Email and country, the office's notice, one button."""
    language = current_language()
    form = SignupForm(language, _offices().office_for_country)
    if request.method == "GET" and not form.country.data:
        form.country.data = country_guess() or None
    if form.validate_on_submit():
        _sign_up(form, language)
        return render_template("signup/thanks.html", office=form.office())
    office = form.office()
    form.shown.data = notice_reference(office, language) if office else ""
    return render_template(
        "signup/form.html", form=form, office=office, errors=error_list(form), language=language
    )


def _sign_up(form: SignupForm, language: str) -> None:
    """Record it (or ask for confirmation), unless the address asked too often."""
    email, office = form.normalised, form.office()
    assert office is not None
    limit = str(current_app.config["SIGNUP_EMAIL_RATE_LIMIT"])
    if not counters().hit(limit, "signup", email):
        return
    days = int(current_app.config["CONSENT_CONFIRM_LINK_DAYS"])
    services.sign_up(
        db_session(),
        office,
        email,
        str(form.country.data),
        language,
        _evidence(SIGNUP_FORM, "/signup"),
        str(current_app.config["EVIDENCE_HASH_KEY"]),
        timedelta(days=days),
    )


@blueprint.get("/confirm/<token>")
def open_confirmation(token: str) -> Any:
    """The page the confirmation link opens: one button (a GET decides nothing)."""
    pending = services.pending_for_token(db_session(), token, utcnow())
    if pending is None:
        return render_template("signup/link_unusable.html"), 410
    office = _offices().get(pending.office_code)
    return render_template("signup/confirm.html", token=token, office=office, form=ButtonForm())


@blueprint.post("/confirm/<token>")
@limiter.limit(lambda: str(current_app.config["SIGNUP_ADDRESS_RATE_LIMIT"]))
def confirm(token: str) -> Any:
    """The owner of the address confirms the sign-up."""
    pending = services.pending_for_token(db_session(), token, utcnow())
    if not ButtonForm().validate_on_submit() or pending is None:
        return render_template("signup/link_unusable.html"), 410
    office = _offices().get(pending.office_code)
    services.confirm(
        db_session(),
        pending,
        office,
        _evidence("signup_link.confirm", "/signup/confirm"),
        str(current_app.config["EVIDENCE_HASH_KEY"]),
    )
    return render_template("signup/confirmed.html", office=office)
