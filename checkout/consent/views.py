"""The pages behind the links in our emails: confirm an opt-in, withdraw it, cancel Gift Aid.

Opening a link only shows a page with one button: mail scanners open links too, and a GET
must not decide anything for the donor. The button POSTs (with CSRF) and writes the ledger row.
Mail clients that support RFC 8058 one-click unsubscribe POST to /consent/unsubscribe/<token>
instead, without a CSRF token: the signed token is the proof.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from sqlalchemy import select

from checkout.consent import decisions
from checkout.consent.links import LinkAction, LinkExpired, LinkInvalid, link_signer
from checkout.consent.services import Evidence, keyed_ip_hash
from checkout.db import db_session
from checkout.donations.models import Donation
from checkout.extensions import csrf
from checkout.offices import Office, OfficeRegistry
from checkout.site.contact import show_office

blueprint = Blueprint("consent", __name__, url_prefix="/consent")


class _Unusable(Exception):
    """The link cannot be used; carries the page that says why."""

    def __init__(self, problem: str, status: int) -> None:
        super().__init__(problem)
        self.problem, self.status = problem, status


def _action(name: str) -> LinkAction:
    try:
        return LinkAction(name)
    except ValueError:
        abort(404)


def _donation(action: LinkAction, token: str) -> Donation:
    """The donation a genuine, unexpired link names."""
    try:
        public_id = link_signer(current_app.config).read(action, token)
    except LinkExpired as error:
        raise _Unusable("expired", 410) from error
    except LinkInvalid as error:
        raise _Unusable("invalid", 400) from error
    donation = db_session().scalar(select(Donation).where(Donation.public_id == public_id))
    if donation is None or donation.donor is None:  # erased meanwhile
        raise _Unusable("invalid", 400)
    return donation


def _office(donation: Donation) -> Office:
    registry: OfficeRegistry = current_app.extensions["checkout.offices"]
    office = registry.get(donation.office_code)
    show_office(office)  # the footer names this office's contact, privacy notice and imprint
    return office


def _evidence(action: LinkAction, how: str = "email_link") -> Evidence:
    return Evidence(
        form=f"{how}.{action}",
        ip_hash=keyed_ip_hash(request.remote_addr, str(current_app.config["EVIDENCE_HASH_KEY"])),
        user_agent=request.headers.get("User-Agent"),
        url=f"{blueprint.url_prefix}/{action}",  # the token stays out of the evidence
    )


def _problem_page(action: LinkAction, unusable: _Unusable) -> tuple[str, int]:
    page = render_template(
        "consent/link_problem.html", action=str(action), problem=unusable.problem
    )
    return page, unusable.status


@blueprint.get("/<name>/<token>")
def show(name: str, token: str) -> Any:
    """The page with the one button that carries out the link's action."""
    action = _action(name)
    try:
        donation = _donation(action, token)
    except _Unusable as unusable:
        return _problem_page(action, unusable)
    return render_template(
        "consent/link.html", action=str(action), office=_office(donation), token=token
    )


@blueprint.post("/<name>/<token>")
def decide(name: str, token: str) -> Any:
    """Carry out the link's action, once; repeating it adds nothing."""
    action = _action(name)
    try:
        donation = _donation(action, token)
    except _Unusable as unusable:
        return _problem_page(action, unusable)
    outcome = _carry_out(action, donation, _evidence(action))
    db_session().commit()
    return render_template(
        "consent/done.html", action=str(action), outcome=str(outcome), office=_office(donation)
    )


@blueprint.post("/unsubscribe/<token>")
def one_click(token: str) -> Any:
    """RFC 8058: the mail client unsubscribes for the donor, with no page in between."""
    try:
        donation = _donation(LinkAction.WITHDRAW, token)
    except _Unusable as unusable:
        return "", unusable.status
    _carry_out(LinkAction.WITHDRAW, donation, _evidence(LinkAction.WITHDRAW, "one_click"))
    db_session().commit()
    return "", 204


csrf.exempt(one_click)


def _carry_out(action: LinkAction, donation: Donation, evidence: Evidence) -> decisions.Outcome:
    session = db_session()
    key = str(current_app.config["EVIDENCE_HASH_KEY"])
    if action is LinkAction.CONFIRM:
        return decisions.confirm_email(session, donation, evidence, key)
    if action is LinkAction.WITHDRAW:
        return decisions.withdraw_email(session, _office(donation), donation, evidence, key)
    return decisions.cancel_gift_aid(session, donation, evidence)
