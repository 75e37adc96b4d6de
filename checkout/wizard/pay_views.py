"""The pay step: start the donation and its Stripe object once, show the Payment Element, take
the ConfirmationToken it makes and let our server pay (checkout/payments/confirming.py), and
come back from Stripe.

`POST /donate/pay` comes from the review page; `GET /donate/pay` is the step's page;
`POST /donate/pay/confirm` is what the page's script (static/js/pay.js) posts, JSON with the
CSRF token in a header, and acts on: go to the return page, run 3-D Secure with the client
secret given, or show the message given (in the donor's language) beside the payment form.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_timedelta
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from checkout.consent.services import Evidence, MandateShown, keyed_ip_hash
from checkout.core.money import format_money
from checkout.counters import counters
from checkout.db import db_session
from checkout.donations.models import Donation
from checkout.donations.services import find_by_public_id
from checkout.donations.states import Status
from checkout.extensions import limiter
from checkout.payments import confirming, defences, sync
from checkout.payments import services as payments
from checkout.payments.confirming import Context, Outcome
from checkout.payments.gateway import GatewayError
from checkout.payments.messages import decline_messages
from checkout.payments.wiring import gateway
from checkout.site.contact import show_office
from checkout.site.links import public_url
from checkout.wizard import services
from checkout.wizard.flow import STEP_BY_NAME, STEPS, Assessment
from checkout.wizard.labels import PAY_BUTTONS
from checkout.wizard.models import CheckoutDraft
from checkout.wizard.presenter import progress
from checkout.wizard.thanks import remember_gift
from checkout.wizard.views import (
    REVIEW,
    assessment_of,
    current_draft,
    language,
    registry,
    step_url,
)

blueprint = Blueprint("pay", __name__, url_prefix="/donate")
confirm_blueprint = Blueprint("pay_confirm", __name__, url_prefix="/donate/pay")


@blueprint.post("/pay")
@limiter.limit(lambda: str(current_app.config["PAY_RATE_LIMIT"]))
def start() -> Response:
    """From review: our donation row (committed), then Stripe's object, then the pay page."""
    draft = services.lock_draft(db_session(), current_draft())
    existing = payments.donation_for_draft(db_session(), draft.id)
    if existing is None:
        if defences.start_needs_proof_of_work() and not defences.proof_of_work_accepted(
            request.form.get("altcha", "")
        ):
            # Card testing is going on: a new payment costs a solved challenge (review page).
            flash("challenge_needed")
            return redirect(step_url(REVIEW))
        assessment = assessment_of(draft)
        if assessment.first_incomplete is not REVIEW:
            return redirect(url_for("wizard.index"))
        try:
            existing = payments.start_donation(
                db_session(),
                _donation_start(draft, assessment),
                _evidence("wizard.details", url_for("wizard.step", name="details")),
                MandateShown(
                    language(), _evidence("wizard.review", url_for("wizard.step", name="review"))
                ),
                str(current_app.config["EVIDENCE_HASH_KEY"]),
            )
        except payments.TotalChanged:
            flash("total_changed")
            return redirect(step_url(REVIEW))
        except payments.MandateChanged:
            flash("mandate_changed")
            return redirect(step_url(REVIEW))
        services.freeze(draft)  # nothing typed may change once money can move
    db_session().commit()  # our row first: Stripe's idempotency key comes from its id
    remember_gift(existing.public_id)
    try:
        payments.open_at_stripe(db_session(), existing, gateway())
    except GatewayError:
        current_app.logger.exception("could not open donation %s at Stripe", existing.id)
        flash("stripe_unavailable")
    return redirect(url_for("pay.page"))


def _donation_start(draft: CheckoutDraft, assessment: Assessment) -> payments.DonationStart:
    """The gift as the review page showed it, and what the page says it showed."""
    context = assessment.context
    assert context.gift is not None
    assert context.donor is not None
    assert context.method is not None
    return payments.DonationStart(
        draft_id=draft.id,
        locale=draft.locale,
        language=language(),
        office=context.office,
        gift=context.gift,
        donor=context.donor,
        method=context.method,
        shown_total=request.form.get("shown_total", ""),
        shown_mandate=request.form.get("shown_mandate", ""),
    )


def _evidence(form: str, url: str) -> Evidence:
    """How the donor's choices reached us: the step they were made on, from this browser."""
    key = str(current_app.config["EVIDENCE_HASH_KEY"])
    return Evidence(
        form=form,
        ip_hash=keyed_ip_hash(request.remote_addr, key),
        user_agent=request.headers.get("User-Agent"),
        url=url,
    )


@blueprint.get("/pay")
def page() -> Any:
    """The Payment Element for the draft's donation."""
    draft = current_draft(create=False)
    donation = payments.donation_for_draft(db_session(), draft.id)
    if donation is None:
        return redirect(url_for("wizard.index"))
    if donation.status not in (Status.PENDING.value, Status.FAILED.value):
        return redirect(url_for("thanks.show", public_id=donation.public_id))
    if not donation.stripe_client_secret:
        return render_template("wizard/pay_unavailable.html", donation=donation), 503
    return render_template("wizard/pay.html", **_pay_values(donation), **_where(draft))


def _where(draft: CheckoutDraft) -> dict[str, Any]:
    """The pay step's place among the steps, for the same progress line every step shows."""
    pay = STEP_BY_NAME["pay"]
    return {
        "step": pay,
        "step_number": STEPS.index(pay) + 1,
        "step_count": len(STEPS),
        "progress": progress(pay, assessment_of(draft)),
    }


def _pay_values(donation: Donation) -> dict[str, Any]:
    """What the pay page's Payment Element needs: no client secret, our server confirms."""
    show_office(registry().get(donation.office_code))
    total = format_money(donation.total, language())
    donor = donation.donor
    return {
        "donation": donation,
        "office": registry().get(donation.office_code),
        "pay_label": PAY_BUTTONS[donation.frequency] % {"amount": total},
        "publishable_key": gateway().publishable_key(donation.office_code),
        "stripe_js_url": current_app.config["STRIPE_JS_URL"],
        "return_url": public_url("pay.back", public_id=donation.public_id),
        "element_options": json.dumps(
            {
                "mode": "subscription" if donation.is_recurring else "payment",
                "amount": donation.total.minor,
                "currency": donation.currency.lower(),
                "paymentMethodTypes": [donation.method],
                "billingDetails": {
                    "name": donor.full_name if donor else "",
                    "email": donor.email if donor else "",
                },
            }
        ),
    }


@blueprint.get("/return/<public_id>")
def back(public_id: str) -> Response:
    """Where Stripe.js sends the donor: look at Stripe once if no webhook came yet."""
    donation = find_by_public_id(db_session(), public_id) or abort(404)
    waiting = donation.status in (Status.PENDING.value, Status.FAILED.value)
    # A reload loop must not become a loop of calls to Stripe: a few looks per minute at most,
    # the webhook brings the rest.
    limit = str(current_app.config["RETURN_SYNC_LIMIT"])
    if waiting and donation.stripe_payment_intent_id and counters().hit(limit, "return", public_id):
        try:
            sync.sync_one_time(db_session(), donation, gateway())
        except GatewayError:
            current_app.logger.warning("could not read donation %s at Stripe", donation.id)
    return redirect(url_for("thanks.show", public_id=donation.public_id))


#: HTTP status per outcome: a decline is an answer, not an error.
_STATUS = {"refused": 429, "invalid": 400, "unavailable": 503}


@confirm_blueprint.post("/confirm")
@limiter.limit(lambda: str(current_app.config["CONFIRM_RATE_LIMIT"]))
def confirm() -> tuple[Response, int]:
    """Confirm the draft's donation with the posted token, or again after 3-D Secure."""
    draft = current_draft(create=False)
    donation = payments.donation_for_draft(db_session(), draft.id)
    body = request.get_json(silent=True)
    if donation is None or not isinstance(body, dict):
        return _answer(None, Outcome("invalid"))
    context = _context(donation, draft)
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


def _context(donation: Donation, draft: CheckoutDraft) -> Context:
    return Context(
        gateway=gateway(),
        guard=defences.guard(),
        breaker=defences.breaker(),
        address=request.remote_addr or "unknown",
        draft=draft.public_id,
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
