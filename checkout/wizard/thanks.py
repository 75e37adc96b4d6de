"""The thank-you page: it reads the donation's state from our database, never from the URL."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, session, url_for

from checkout.core.money import format_money
from checkout.db import db_session
from checkout.donations.models import Donation
from checkout.donations.services import find_by_public_id
from checkout.donations.states import Status
from checkout.payments import confirming
from checkout.site.contact import show_office
from checkout.wizard import services
from checkout.wizard.flow import stored_fields
from checkout.wizard.labels import FREQUENCY_SUMMARIES
from checkout.wizard.views import DRAFT_KEY, language, registry

blueprint = Blueprint("thanks", __name__, url_prefix="/donate/thanks")

_OUTCOMES = {
    Status.DRAFT: "pending",
    Status.PENDING: "pending",
    Status.PROCESSING: "pending",
    Status.FAILED: "failed",
    Status.CANCELED: "failed",
}


def outcome_of(donation: Donation) -> str:
    """What the thank-you page says: thanks, pending (a debit settling) or failed."""
    return _OUTCOMES.get(Status(donation.status), "thanks")


def _donation(public_id: str) -> Donation:
    return find_by_public_id(db_session(), public_id) or abort(404)


GIFTS_KEY = "gifts"
#: How many gifts a browser session remembers as its own (ids only, never personal data).
KEPT_GIFTS = 10


def remember_gift(public_id: str) -> None:
    """Mark the donation as made in this browser: only this session sees its thank-you page."""
    kept = [g for g in session.get(GIFTS_KEY, []) if isinstance(g, str) and g != public_id]
    session[GIFTS_KEY] = [*kept, public_id][-KEPT_GIFTS:]


def made_here(public_id: str) -> bool:
    """True when this browser session made the donation."""
    gifts = session.get(GIFTS_KEY)
    return isinstance(gifts, list) and public_id in gifts


def _own_donation(public_id: str) -> Donation:
    """The donation, only for the browser that made it (404 for anyone else)."""
    if not made_here(public_id):
        abort(404)
    return _donation(public_id)


@blueprint.get("/<public_id>")
def show(public_id: str) -> str:
    """Thank you, pending (a debit settles in days) or failed (try again).

    Another browser (a shared link, a guessed address) gets a neutral page with nothing about
    the donor or the gift.
    """
    if not made_here(public_id):
        return render_template("wizard/thanks_elsewhere.html")
    donation = _donation(public_id)
    office = registry().get(donation.office_code)
    show_office(office)
    outcome = outcome_of(donation)
    if outcome == "pending" and confirming.awaiting_microdeposits(db_session(), donation):
        outcome = "verify"  # a pre-authorised debit waits for the donor's bank verification
    email = stored_fields(services.draft_of(db_session(), donation.draft_id).data, "details").get(
        "email", ""
    )
    feedback = current_app.config["FEEDBACK_URL"] or f"mailto:{office.support.email}"
    return render_template(
        "wizard/thanks.html",
        donation=donation,
        outcome=outcome,
        email=email,
        office=office,
        summary=FREQUENCY_SUMMARIES[donation.frequency]
        % {"amount": format_money(donation.total, language())},
        feedback_url=feedback,
        can_go_monthly=_can_go_monthly(donation, outcome),
        # Monthly gifts to offices that send one annual statement get no receipt each month.
        annual_statement=donation.is_recurring and not office.receipt_per_instalment,
    )


def _can_go_monthly(donation: Donation, outcome: str) -> bool:
    """Offer a one-time donor who gave (or is giving) to make it monthly, where offered."""
    if donation.frequency != "once" or outcome == "failed":
        return False
    return "monthly" in registry().get(donation.office_code).frequencies


@blueprint.post("/<public_id>/again")
def give_again(public_id: str) -> Any:
    """After a failure: a new draft with everything typed before, straight to review."""
    donation = _own_donation(public_id)
    if outcome_of(donation) != "failed":
        abort(400)  # a gift that went through (or is going through) is not given twice this way
    draft = services.draft_of(db_session(), donation.draft_id)
    return _continue_with(services.copy_draft(db_session(), draft))


@blueprint.post("/<public_id>/monthly")
def make_monthly(public_id: str) -> Any:
    """A one-time donor turns the same gift into a monthly one."""
    donation = _own_donation(public_id)
    if not _can_go_monthly(donation, outcome_of(donation)):
        abort(400)
    draft = services.draft_of(db_session(), donation.draft_id)
    return _continue_with(services.copy_draft(db_session(), draft, frequency="monthly"))


def _continue_with(draft: Any) -> Any:
    session[DRAFT_KEY] = draft.public_id
    return redirect(url_for("wizard.index"))
