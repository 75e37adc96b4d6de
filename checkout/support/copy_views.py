"""The donor's side of a receipt copy for another address: the link from the email shows one
button (mail scanners open links too); pressing it sends the stored PDF there, once."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request

from checkout.audit.services import Actor, Subject, record
from checkout.core.clock import utcnow
from checkout.db import db_session
from checkout.receipts.models import Receipt
from checkout.staff.access import client_hash, protect_response
from checkout.support import services

blueprint = Blueprint("receipt_copy", __name__, url_prefix="/receipt-copy")
blueprint.after_request(protect_response)


@blueprint.route("/<token>", methods=["GET", "POST"])
def confirm(token: str) -> Any:
    """GET: what will be sent where, and a button. POST: send it."""
    session = db_session()
    confirmation = services.copy_for_token(session, token, utcnow())
    if confirmation is None:
        return render_template("support/copy_link_problem.html"), 404
    receipt = session.get(Receipt, confirmation.receipt_id)
    assert receipt is not None
    if request.method == "GET":
        return render_template(
            "support/copy_confirm.html", receipt=receipt, address=confirmation.address
        )
    try:
        services.confirm_copy(session, confirmation, utcnow())
    except services.ActionRefused:
        abort(410)
    record(
        session,
        Actor("donor", ip_hash=client_hash()),
        "donor.confirm_copy",
        Subject(receipt.office_code, receipt.donor_id, "receipt", receipt.number),
        detail=confirmation.address,
    )
    return render_template("support/copy_done.html", receipt=receipt, address=confirmation.address)
