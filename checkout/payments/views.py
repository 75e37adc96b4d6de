"""The pay step: create the donation and its Stripe object once, mount Stripe.js, come back."""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from checkout.consent.services import Evidence, MandateShown, keyed_ip_hash
from checkout.core.money import format_money
from checkout.counters import counters
from checkout.db import db_session
from checkout.donations.models import Donation
from checkout.donations.services import find_by_public_id
from checkout.donations.states import Status
from checkout.extensions import limiter
from checkout.payments import defences, services, sync
from checkout.payments.gateway import GatewayError
from checkout.payments.wiring import gateway, registry
from checkout.site.links import public_url
from checkout.wizard.flow import REVIEW, assess
from checkout.wizard.labels import PAY_BUTTONS
from checkout.wizard.mandates import mandate_reference
from checkout.wizard.thanks import remember_gift
from checkout.wizard.views import current_draft, language

blueprint = Blueprint("pay", __name__, url_prefix="/donate")


def total_token(currency: str, minor: int) -> str:
    """How the review page states the total it showed, to compare on submit."""
    return f"{currency}:{minor}"


@blueprint.post("/pay")
@limiter.limit(lambda: str(current_app.config["PAY_RATE_LIMIT"]))
def start() -> Response:
    """From review: our donation row (committed), then Stripe's object, then the pay page."""
    draft = current_draft()
    existing = services.donation_for_draft(db_session(), draft)
    if existing is None:
        if defences.start_needs_proof_of_work() and not defences.proof_of_work_accepted(
            request.form.get("altcha", "")
        ):
            # Card testing is going on: a new payment costs a solved challenge (review page).
            flash("challenge_needed")
            return redirect(url_for("wizard.step", name="review"))
        assessment = assess(draft.data, registry(), language())
        context = assessment.context
        if (
            assessment.first_incomplete is not REVIEW
            or context.gift is None
            or context.donor is None
            or assessment.method is None
        ):
            return redirect(url_for("wizard.index"))
        shown = request.form.get("shown_total", "")
        if shown != total_token(context.gift.currency, context.gift.total.minor):
            flash("total_changed")
            return redirect(url_for("wizard.step", name="review"))
        mandate = mandate_reference(context.office, assessment.method, language())
        if request.form.get("shown_mandate", "") != mandate:
            flash("mandate_changed")
            return redirect(url_for("wizard.step", name="review"))
        existing = services.create_donation(
            db_session(),
            draft,
            context.office,
            context.gift,
            context.donor,
            assessment.method,
            _evidence("wizard.details", url_for("wizard.step", name="details")),
            str(current_app.config["EVIDENCE_HASH_KEY"]),
            mandate=MandateShown(
                language(), _evidence("wizard.review", url_for("wizard.step", name="review"))
            ),
        )
    db_session().commit()  # our row first: Stripe's idempotency key comes from its id
    remember_gift(existing.public_id)
    try:
        services.open_at_stripe(db_session(), existing, gateway())
    except GatewayError:
        current_app.logger.exception("could not open donation %s at Stripe", existing.id)
        flash("stripe_unavailable")
    return redirect(url_for("pay.page"))


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
    donation = services.donation_for_draft(db_session(), current_draft(create=False))
    if donation is None:
        return redirect(url_for("wizard.index"))
    if donation.status not in (Status.PENDING.value, Status.FAILED.value):
        return redirect(url_for("thanks.show", public_id=donation.public_id))
    if not donation.stripe_client_secret:
        return render_template("wizard/pay_unavailable.html", donation=donation), 503
    return render_template("wizard/pay.html", **_pay_values(donation))


def _pay_values(donation: Donation) -> dict[str, Any]:
    """What the pay page's Payment Element needs: no client secret, our server confirms."""
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
