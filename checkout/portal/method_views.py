"""The page that replaces a recurring gift's card or bank account, and the JSON endpoint its
script (static/js/pay.js, the pay step's, in "setup" mode) posts the ConfirmationToken to."""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, flash, jsonify, render_template, request, session, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from checkout.db import db_session
from checkout.extensions import limiter
from checkout.payments.confirming import TOKEN_ID
from checkout.payments.gateway import GatewayError, SetupState
from checkout.payments.messages import decline_messages
from checkout.payments.wiring import gateway
from checkout.portal import methods, plans
from checkout.portal.access import current, log, requires_donor
from checkout.portal.gift_views import own_plan
from checkout.portal.models import PlanChange
from checkout.portal.views import blueprint
from checkout.site.i18n import gettext as _
from checkout.site.links import public_url

#: The session key naming the attempt that waits for 3-D Secure in the page.
WAITING_KEY = "portal_setup"


@blueprint.get("/gifts/<public_id>/payment-method")
@requires_donor
def payment_method(public_id: str) -> Any:
    """The Payment Element for a new card (or bank account) of the plan's own kind."""
    plan = own_plan(public_id)
    if not plans.changeable(plan):
        return render_template("portal/gift_ended.html", donation=plan.donation), 409
    donation, signed = plan.donation, current()
    donor = signed.donor_of(donation.donor_id)
    log("portal.view_payment_method", donor, "plan", plan.id)
    options = {
        "mode": "setup",
        "currency": donation.currency.lower(),
        "paymentMethodTypes": [donation.method],
        "billingDetails": {
            "name": donor.full_name if donor else "",
            "email": donor.email if donor else "",
        },
    }
    return render_template(
        "portal/payment_method.html",
        plan=plan,
        donation=donation,
        publishable_key=gateway().publishable_key(donation.office_code),
        stripe_js_url=current_app.config["STRIPE_JS_URL"],
        element_options=json.dumps(options),
        return_url=public_url("portal.gift", public_id=public_id),
    )


def _setup_limit() -> str:
    return str(current_app.config["PORTAL_SETUP_RATE_LIMIT"])


@blueprint.post("/gifts/<public_id>/payment-method")
@limiter.limit(_setup_limit)
@requires_donor
def confirm_payment_method(public_id: str) -> tuple[Response, int]:
    """Save the new method from the page's ConfirmationToken, or again after 3-D Secure."""
    plan = own_plan(public_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _answer(public_id, None, "invalid")
    try:
        if body.get("after_action") is True:
            return _after_action(public_id)
        token = body.get("confirmation_token")
        if not isinstance(token, str) or not TOKEN_ID.fullmatch(token):
            return _answer(public_id, None, "invalid")
        change = methods.start(db_session(), plan)
        db_session().commit()  # our row first: Stripe's idempotency key comes from it
        state = methods.send(
            db_session(), change, gateway(), token, public_url("portal.gift", public_id=public_id)
        )
    except plans.ChangeRefused:
        return _answer(public_id, None, "ended")
    except GatewayError as error:
        current_app.logger.warning("plan %s: Stripe refused the setup (%s)", plan.id, error.code)
        return _answer(public_id, None, "unavailable")
    session[WAITING_KEY] = change.public_id
    return _answer(public_id, state, _outcome(state), change)


def _after_action(public_id: str) -> tuple[Response, int]:
    """The attempt that waited for 3-D Secure in this browser, read again at Stripe."""
    waiting = session.get(WAITING_KEY)
    found = (
        db_session().scalar(select(PlanChange).where(PlanChange.public_id == waiting))
        if isinstance(waiting, str)
        else None
    )
    if found is None or found.plan.donation.public_id != public_id or not found.setup_intent_id:
        return _answer(public_id, None, "invalid")
    state = methods.after_action(db_session(), found, gateway())
    return _answer(public_id, state, _outcome(state), found)


def _outcome(state: SetupState) -> str:
    if state.status == "succeeded":
        return "done"
    if state.status == "requires_action" and state.client_secret:
        return "action"
    return "declined"


def _answer(
    public_id: str, state: SetupState | None, outcome: str, change: PlanChange | None = None
) -> tuple[Response, int]:
    """The JSON pay.js acts on: go to the gift's page, run 3-D Secure, or show a message."""
    body: dict[str, Any] = {"outcome": outcome}
    if change is not None:
        donor = current().donor_of(change.plan.donation.donor_id)
        failed = "ok" if outcome in ("done", "action") else "failed"
        log("portal.method_gift", donor, "plan", change.plan_id, outcome=failed, detail=outcome)
    if outcome == "done":
        flash(
            _(
                "Done: your gift is debited from the new details from now on. We have emailed "
                "you a confirmation."
            )
        )
        body["redirect"] = url_for(".gift", public_id=public_id)
    elif outcome == "action" and state is not None:
        body["client_secret"] = state.client_secret
    else:
        body["message"] = _message(outcome, state)
    status = {"invalid": 400, "ended": 409, "unavailable": 503}.get(outcome, 200)
    return jsonify(body), status


def _message(outcome: str, state: SetupState | None) -> str:
    if outcome == "ended":
        return _("This gift has ended already; it cannot be changed.")
    if outcome == "unavailable":
        return _("We could not reach our payment provider. Nothing changed; please try again.")
    if outcome == "declined" and state is not None:
        messages = decline_messages()
        return str(messages.get(state.decline_code or "", messages["default"]))
    return _("Your payment details could not be used. Please enter them again.")
