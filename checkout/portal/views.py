"""Signing in to the portal with an emailed link, signing out, and the start page.

Asking for a link answers the same for every address (the same page, status and work: a row
and an outbox message); the link opens a page with one button, because mail scanners open
links too, and only the button's POST signs in. The session cookie is the portal's own
(checkout/portal/cookies.py) and holds only a random token.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from checkout.core.clock import utcnow
from checkout.counters import counters
from checkout.db import db_session
from checkout.extensions import limiter
from checkout.portal import history, services
from checkout.portal.access import (
    TOKEN_KEY,
    client_hash,
    current,
    log,
    log_each,
    protect_response,
    requires_donor,
    signed_in,
)
from checkout.portal.forms import ButtonForm, SignInForm
from checkout.site.i18n import current_language
from checkout.site.i18n import gettext as _
from checkout.staff.forms import error_list

blueprint = Blueprint("portal", __name__, url_prefix="/account")
blueprint.after_request(protect_response)
#: The language choice survives signing in (it is not personal data).
_KEPT_ON_SIGN_IN = ("lang",)


def _limit(setting: str) -> Any:
    return lambda: str(current_app.config[setting])


@blueprint.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_limit("PORTAL_ADDRESS_RATE_LIMIT"), methods=["POST"])
def sign_in() -> Any:
    """Ask for a sign-in link: the same answer whether or not the address gave."""
    if signed_in() is not None:
        return redirect(url_for(".home"))
    form = SignInForm()
    if form.validate_on_submit():
        email = services.normalise_email(form.email.data)
        # Over the address's limit no email goes, but the answer stays the same.
        if counters().hit(str(current_app.config["PORTAL_EMAIL_RATE_LIMIT"]), "portal-link", email):
            services.request_link(db_session(), email, current_language(), utcnow())
        return render_template("portal/link_sent.html", minutes=_minutes())
    return render_template(
        "portal/sign_in.html",
        form=form,
        errors=error_list(form),
        expired=request.args.get("expired") == "1",
    )


def _minutes() -> int:
    return int(current_app.config["PORTAL_LINK_MINUTES"])


@blueprint.get("/sign-in/<token>")
def open_link(token: str) -> Any:
    """The page a sign-in link opens: one button (a GET signs no one in)."""
    if services.link_for_token(db_session(), token, utcnow()) is None:
        return render_template("portal/link_unusable.html"), 410
    return render_template("portal/open_link.html", token=token, form=ButtonForm())


@blueprint.post("/sign-in/<token>")
@limiter.limit(_limit("PORTAL_ADDRESS_RATE_LIMIT"))
def use_link(token: str) -> Any:
    """Spend the link and start a session with a new token of its own."""
    form = ButtonForm()
    link = services.link_for_token(db_session(), token, utcnow())
    if not form.validate_on_submit() or link is None:
        return render_template("portal/link_unusable.html"), 410
    row, session_token = services.sign_in(db_session(), link, client_hash(), utcnow())
    kept = {key: session[key] for key in _KEPT_ON_SIGN_IN if key in session}
    session.clear()  # nothing from before the sign-in survives it
    session.update(kept)
    session[TOKEN_KEY] = session_token
    log_each("portal.sign_in", services.donors_of(db_session(), row.email))
    return redirect(url_for(".home"))


@blueprint.post("/sign-out")
@requires_donor
def sign_out() -> Response:
    """End this browser's session."""
    signed = current()
    services.end_session(signed.row, utcnow())
    log_each("portal.sign_out", signed.donors)
    session.clear()
    flash(_("You are signed out."))
    return redirect(url_for(".sign_in"))


@blueprint.get("/")
@requires_donor
def home() -> str:
    """Giving history across offices: each gift, its payments and states."""
    signed = current()
    gifts = history.gifts_of(db_session(), signed.donor_ids)
    log_each("portal.view_history", signed.donors)
    return render_template(
        "portal/home.html",
        gifts=gifts,
        offices=current_app.extensions["checkout.offices"],
        signed=signed,
        button=ButtonForm(),
    )


__all__ = ["blueprint", "log"]
