"""The donor's choices (notices, opt-ins, Gift Aid), contact details, and their own data
(the subject-access export, and erasure on request)."""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from checkout.consent import decisions
from checkout.consent.services import Evidence
from checkout.core.clock import utcnow
from checkout.db import db_session
from checkout.donations.models import Donor
from checkout.offices import OfficeRegistry
from checkout.portal import choices
from checkout.portal.access import (
    client_hash,
    current,
    forget,
    log,
    log_each,
    not_found,
    requires_donor,
)
from checkout.portal.forms import ButtonForm, ContactForm
from checkout.portal.views import blueprint
from checkout.retention import access, periods, requests
from checkout.retention.commands import erasure_settings
from checkout.site.i18n import current_language
from checkout.site.i18n import gettext as _
from checkout.staff.forms import error_list

_DETAILS = (
    "first_name",
    "middle_initial",
    "last_name",
    "address_line1",
    "address_line2",
    "postcode",
    "city",
    "phone",
)


def _offices() -> OfficeRegistry:
    registry: OfficeRegistry = current_app.extensions["checkout.offices"]
    return registry


def _hash_key() -> str:
    return str(current_app.config["EVIDENCE_HASH_KEY"])


def _own_donor(office_code: str) -> Donor:
    """The signed-in address's donor record at this office, or 404."""
    donor = next((d for d in current().donors if d.office_code == office_code), None)
    if donor is None:
        not_found()
    return donor


def _evidence(action: str) -> Evidence:
    return Evidence(
        form=f"portal.{action}",
        ip_hash=client_hash(),
        user_agent=request.headers.get("User-Agent"),
        url=request.path,
    )


# --- choices: notices, email opt-ins, Gift Aid ------------------------------------------------


@blueprint.get("/consent")
@requires_donor
def consent() -> str:
    """Each notice agreed to (the exact text and date), and the decisions the donor may make."""
    signed = current()
    found = choices.choices_of(db_session(), signed.donors, _offices(), _hash_key())
    log_each("portal.view_consent", signed.donors)
    return render_template("portal/consent.html", offices_choices=found, button=ButtonForm())


def _decide(office_code: str, action: str) -> Response:
    """Carry out one decision for the donor at `office_code`; back to the choices page."""
    donor = _own_donor(office_code)
    if not ButtonForm().validate_on_submit():
        return redirect(url_for(".consent"))
    office = _offices().get(office_code)
    evidence = _evidence(action)
    if action == "withdraw_email":
        outcome = decisions.withdraw_email_of(db_session(), office, donor, evidence, _hash_key())
    elif action == "confirm_email":
        outcome = decisions.confirm_email_of(db_session(), donor, evidence, _hash_key())
    elif action == "cancel_gift_aid":
        outcome = decisions.cancel_gift_aid_of(db_session(), donor, evidence)
    elif not donor.address_line1 or not donor.postcode:
        flash(_("A Gift Aid declaration needs your home address. Please add it first."))
        return redirect(url_for(".details"))
    else:
        outcome = decisions.declare_gift_aid(
            db_session(), office, donor, evidence, current_language()
        )
    log(f"portal.{action}", donor, "consent", office_code, detail=str(outcome))
    flash(_done(action) if outcome is decisions.Outcome.DONE else _("Nothing changed."))
    return redirect(url_for(".consent"))


ACTIONS = ("withdraw_email", "confirm_email", "cancel_gift_aid", "declare_gift_aid")


def _done(action: str) -> str:
    messages = {
        "withdraw_email": _("Done: this office will not email you about its work and giving."),
        "confirm_email": _("Thank you: your email subscription is confirmed."),
        "cancel_gift_aid": _("Done: your Gift Aid declaration is cancelled for gifts from today."),
        "declare_gift_aid": _("Thank you: your Gift Aid declaration is recorded."),
    }
    return messages[action]


@blueprint.post("/consent/<office_code>/<action>")
@requires_donor
def decide(office_code: str, action: str) -> Response:
    """Withdraw or confirm an email opt-in; make or cancel a Gift Aid declaration."""
    if action not in ACTIONS:
        not_found()
    return _decide(office_code, action)


# --- contact details ----------------------------------------------------------------------------


def _contact_form(donor: Donor, **kwargs: Any) -> ContactForm:
    office = _offices().get(donor.office_code)
    needed = office.donor.address == "required"
    return ContactForm(donor.country, needed, prefix=donor.office_code.lower(), **kwargs)


@blueprint.get("/details")
@requires_donor
def details() -> str:
    """Name, address and phone per office, as future receipts print them."""
    signed = current()
    forms = [(donor, _contact_form(donor, obj=donor)) for donor in signed.donors]
    log_each("portal.view_details", signed.donors)
    return _details_page(forms)


def _details_page(forms: list[tuple[Donor, ContactForm]]) -> str:
    errors = [error for _donor, form in forms for error in error_list(form)]
    return render_template("portal/details.html", forms=forms, offices=_offices(), errors=errors)


@blueprint.post("/details/<office_code>")
@requires_donor
def save_details(office_code: str) -> Any:
    """Keep the corrected details; issued receipts stay as they are unless asked for."""
    donor = _own_donor(office_code)
    form = _contact_form(donor)
    if not form.validate_on_submit():
        others = [(d, _contact_form(d, obj=d)) for d in current().donors if d.id != donor.id]
        return _details_page([(donor, form), *others])
    for name, value in form.cleaned().items():
        setattr(donor, name, value)
    log("portal.change_details", donor, "donor", donor.id)
    flash(
        _(
            "Saved: your next receipts use these details. Receipts issued this year can be "
            "corrected on the Receipts page."
        )
    )
    return redirect(url_for(".details"))


# --- your data: the export and erasure ----------------------------------------------------------


@blueprint.get("/data")
@requires_donor
def data() -> str:
    """What the donor may ask for: everything we hold, or its erasure (and what must stay)."""
    signed = current()
    previews = [(donor, _preview(donor)) for donor in signed.donors]
    log_each("portal.view_data", signed.donors)
    return render_template(
        "portal/data.html", previews=previews, offices=_offices(), button=ButtonForm()
    )


def _preview(donor: Donor) -> dict[str, Any]:
    """What an erasure request would do at the donor's office now (read only)."""
    office = _offices().get(donor.office_code)
    due = periods.still_due(db_session(), donor)
    if due is not None:
        return {"outcome": requests.KEPT, "reason": due}
    keep = periods.has_tax_records(db_session(), donor) and not periods.period_over(
        db_session(), donor, office.retention_years, utcnow()
    )
    if not keep:
        return {"outcome": requests.ERASED}
    return {
        "outcome": requests.RESTRICTED,
        "until": periods.kept_until(db_session(), donor, office.retention_years),
    }


@blueprint.get("/data/export.json")
@requires_donor
def export() -> Response:
    """Everything held about the signed-in address, as JSON (the subject-access export)."""
    signed = current()
    held = access.subject_access(db_session(), signed.email, erasure_settings(dry_run=True))
    log_each("portal.export", signed.donors)
    body = json.dumps(held, indent=2, ensure_ascii=False, sort_keys=True)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="my-data.json"'},
    )


@blueprint.post("/data/erase")
@requires_donor
def erase() -> Any:
    """Erase what may go now, restrict what tax law keeps (and say until when); sign out."""
    if not ButtonForm().validate_on_submit():
        return redirect(url_for(".data"))
    signed = current()
    email, now = signed.email, utcnow()
    log_each("portal.erase", signed.donors)
    answer = requests.erase_on_request(db_session(), email, erasure_settings(), now)
    answer.changes.apply()  # files first: a crash before the commit is redone next time
    db_session().commit()
    session.clear()
    forget()
    return render_template("portal/erased.html", answer=answer, offices=_offices())
