"""Receipts in the portal: the list, the stored PDF (the same bytes as emailed; a void one
stamped VOID), a corrected receipt on request, and annual statements for ended periods."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from checkout.core.clock import utcnow
from checkout.db import db_session
from checkout.offices import OfficeRegistry
from checkout.portal import history, statements
from checkout.portal.access import current, log, log_each, not_found, requires_donor
from checkout.portal.forms import ButtonForm
from checkout.portal.views import blueprint
from checkout.receipts import services as receipt_services
from checkout.receipts.annual import PeriodNotOver
from checkout.receipts.handlers import context as receipt_context
from checkout.receipts.models import ISSUED, Receipt
from checkout.site.i18n import gettext as _

#: The reason a corrected receipt's original carries.
CORRECTION_REASON = "the donor asked for a corrected receipt in the portal"


def _offices() -> OfficeRegistry:
    registry: OfficeRegistry = current_app.extensions["checkout.offices"]
    return registry


def correctable(receipt: Receipt) -> bool:
    """A standing receipt of the office's current year may be voided and issued again."""
    office = _offices().get(receipt.office_code)
    return receipt.status == ISSUED and receipt.year == office.local_date(utcnow()).year


@blueprint.get("/receipts")
@requires_donor
def receipts() -> str:
    """Every receipt and statement, and the statements the donor may ask for."""
    signed = current()
    found = history.receipts_of(db_session(), signed.donor_ids)
    offers = statements.offers(db_session(), signed.donors, _offices(), utcnow())
    log_each("portal.view_receipts", signed.donors)
    return render_template(
        "portal/receipts.html",
        receipts=found,
        offers=offers,
        offices=_offices(),
        correctable=correctable,
        button=ButtonForm(),
    )


def _own_receipt(number: str) -> Receipt:
    found = history.receipt_of(db_session(), current().donor_ids, number)
    if found is None:
        not_found()
    return found


@blueprint.get("/receipts/<number>.pdf")
@requires_donor
def receipt_pdf(number: str) -> Response:
    """The receipt's PDF as it was emailed (a void one stamped VOID)."""
    receipt = _own_receipt(number)
    if receipt.pdf is None:
        not_found()
    pdf = receipt_services.pdf_to_show(db_session(), receipt, _offices())
    log("portal.download_receipt", current().donor_of(receipt.donor_id), "receipt", number)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{number}.pdf"'},
    )


@blueprint.post("/receipts/<number>/correct")
@requires_donor
def correct_receipt(number: str) -> Any:
    """Void a receipt of this year and issue a replacement with the contact details now."""
    receipt = _own_receipt(number)
    if not ButtonForm().validate_on_submit() or not correctable(receipt):
        flash(_("This receipt cannot be corrected here. Please write to us."))
        return redirect(url_for(".receipts"))
    try:
        replacement = receipt_services.void_and_reissue(
            db_session(), receipt, CORRECTION_REASON, receipt_context()
        )
    except receipt_services.ReceiptRefused:
        return _refused()
    log("portal.correct_receipt", current().donor_of(receipt.donor_id), "receipt", number)
    flash(
        _(
            "Receipt %(number)s is now void. Its replacement %(new)s will be emailed to you "
            "in a few minutes and appear here.",
            number=number,
            new=replacement.number if replacement else "",
        )
    )
    return redirect(url_for(".receipts"))


@blueprint.post("/statements/<office_code>/<int:year>")
@requires_donor
def request_statement(office_code: str, year: int) -> Any:
    """Issue the donor's annual statement for an ended period."""
    signed = current()
    donor = next((d for d in signed.donors if d.office_code == office_code), None)
    if donor is None or not 2000 <= year <= 9999:
        not_found()
    if not ButtonForm().validate_on_submit():
        return redirect(url_for(".receipts"))
    office = _offices().get(office_code)
    try:
        issued = statements.request_statement(db_session(), donor, office, year, receipt_context())
    except PeriodNotOver:
        flash(_("A statement can be issued only once its year has ended."))
        return redirect(url_for(".receipts"))
    except receipt_services.ReceiptRefused:
        return _refused()
    log("portal.request_statement", donor, "statement", issued.number if issued else year)
    if issued is None:
        flash(_("There is nothing left to confirm for that year."))
    else:
        flash(
            _(
                "Your statement %(number)s will be emailed to you in a few minutes and appear "
                "here.",
                number=issued.number,
            )
        )
    return redirect(url_for(".receipts"))


def _refused() -> Response:
    """The office may not issue receipts now (staff must act): nothing changed."""
    db_session().rollback()
    flash(_("We cannot issue this receipt right now. Please write to us and we will help."))
    return redirect(url_for(".receipts"))
