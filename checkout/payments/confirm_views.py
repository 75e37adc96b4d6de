"""POST /donate/pay/confirm: the pay page hands us a ConfirmationToken, our server pays.

The page's script (static/js/pay.js) posts JSON with the CSRF token in a header and shows the
answer: go to the return page, run 3-D Secure with the client secret given, or show the
message given (in the donor's language) next to the payment form.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, current_app, jsonify, request, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from checkout.db import db_session
from checkout.donations.models import Donation
from checkout.extensions import limiter
from checkout.payments import confirming, defences, services
from checkout.payments.confirming import Context, Outcome
from checkout.payments.gateway import GatewayError
from checkout.payments.messages import decline_messages
from checkout.payments.wiring import gateway
from checkout.site.links import public_url
from checkout.wizard.views import current_draft

blueprint = Blueprint("pay_confirm", __name__, url_prefix="/donate/pay")

#: HTTP status per outcome: a decline is an answer, not an error.
_STATUS = {"refused": 429, "invalid": 400, "unavailable": 503}


@blueprint.post("/confirm")
@limiter.limit(lambda: str(current_app.config["CONFIRM_RATE_LIMIT"]))
def confirm() -> tuple[Response, int]:
    """Confirm the draft's donation with the posted token, or again after 3-D Secure."""
    donation = services.donation_for_draft(db_session(), current_draft(create=False))
    body = request.get_json(silent=True)
    if donation is None or not isinstance(body, dict):
        return _answer(None, Outcome("invalid"))
    context = _context(donation)
    try:
        if body.get("after_action") is True:
            outcome = confirming.after_action(db_session(), donation, context)
        else:
            outcome = _with_token(donation, body.get("confirmation_token"), context)
    except GatewayError as error:
        current_app.logger.warning("donation %s: Stripe unavailable (%s)", donation.id, error.code)
        outcome = Outcome("unavailable")
    return _answer(donation, outcome)


def _with_token(donation: Donation, token: Any, context: Context) -> Outcome:
    """Our attempt row first (committed), then Stripe's confirm with a key from it."""
    if not isinstance(token, str):
        return Outcome("invalid")
    opened = confirming.open_attempt(db_session(), donation, token, context)
    db_session().commit()
    if isinstance(opened, Outcome):
        return opened
    return confirming.send_attempt(db_session(), donation, opened, context)


def _context(donation: Donation) -> Context:
    return Context(
        gateway=gateway(),
        guard=defences.guard(),
        breaker=defences.breaker(),
        address=request.remote_addr or "unknown",
        return_url=public_url("pay.back", public_id=donation.public_id),
    )


def _answer(donation: Donation | None, outcome: Outcome) -> tuple[Response, int]:
    """The JSON the pay page acts on."""
    body: dict[str, Any] = {"outcome": outcome.kind}
    if outcome.kind == "done" and donation is not None:
        body["redirect"] = url_for("pay.back", public_id=donation.public_id)
    elif outcome.kind == "action":
        body["client_secret"] = outcome.client_secret
    else:
        body["message"] = message_for(outcome)
    response = jsonify(body)
    if outcome.kind == "refused":
        response.headers["Retry-After"] = str(outcome.retry_after)
    return response, _STATUS.get(outcome.kind, 200)


def message_for(outcome: Outcome) -> str:
    """What the donor reads next to the payment form, in their language."""
    if outcome.kind == "declined":
        messages = decline_messages()
        return str(messages.get(outcome.decline_code or "", messages["default"]))
    if outcome.kind == "stopped":
        return str(
            _(
                "For your safety we stopped this payment after several declined attempts. Nothing "
                "was charged. You can start again with another card or payment method, or ask your "
                "bank why the card was declined."
            )
        )
    if outcome.kind == "refused":
        wait = format_timedelta(timedelta(seconds=max(outcome.retry_after, 60)), threshold=1)
        return str(
            _(
                "Too many payment attempts were declined. For your safety, please wait %(wait)s "
                "before trying again, or choose another payment method.",
                wait=wait,
            )
        )
    if outcome.kind == "unavailable":
        return str(
            _("We could not reach our payment provider. Nothing was charged; please try again.")
        )
    return str(_("Your payment details could not be used. Please enter them again."))
