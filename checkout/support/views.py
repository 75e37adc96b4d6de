"""The support console under /staff/support: search, the donor page, the stored PDFs, and the
actions, each with a reason and a confirmation page that works without JavaScript.

Every record is looked up within the signed-in person's offices; another office's record
answers 404. Every search, every view of a donor's data and every action is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale

from checkout.audit.services import Subject
from checkout.core.clock import utcnow
from checkout.core.money import Money, format_money
from checkout.db import db_session
from checkout.donations.models import Donor, Payment, RecurringPlan
from checkout.outbox.models import OutboxMessage
from checkout.payments import wiring
from checkout.receipts.handlers import context as receipt_context
from checkout.receipts.models import Receipt
from checkout.site.i18n import gettext as _
from checkout.staff.access import log, not_found, protect_response, requires, signed_in
from checkout.staff.forms import error_list
from checkout.staff.permissions import READ_DONORS, REFUND, SUPPORT_DONORS
from checkout.support import search as finder
from checkout.support import services, timeline
from checkout.support.forms import (
    OTHER_ADDRESS,
    ActionForm,
    CorrectForm,
    NoteForm,
    RefundForm,
    ResendForm,
    SearchForm,
)
from checkout.support.ownership import owner_of_message

blueprint = Blueprint("support", __name__, url_prefix="/staff/support")
blueprint.after_request(protect_response)


def _refusal(code: str) -> str:
    messages = {
        "receipt_void": _("This receipt is void; act on its replacement."),
        "receipt_not_rendered": _("This receipt is not rendered yet; try again in a minute."),
        "plan_ended": _("This recurring gift has ended already."),
        "gateway": _("Stripe did not accept this. Nothing changed; try again later."),
        "not_refundable": _("Nothing of this payment can be refunded."),
        "too_much": _("That is more than is left to refund."),
        "not_dead": _("This message is not dead; the worker still tries it."),
    }
    return messages.get(code, code)


def _locale() -> str:
    locale = get_locale()
    return str(locale) if locale else "en"


# --- finding records within the person's offices ------------------------------------------------


def _in_scope(office_code: str | None, subject: Subject) -> None:
    if office_code is None or not signed_in().scope.allows(office_code):
        not_found(subject)


def _donor(donor_id: int) -> Donor:
    donor = db_session().get(Donor, donor_id)
    subject = Subject(object_type="donor", object_id=donor_id)
    _in_scope(donor.office_code if donor else None, subject)
    assert donor is not None
    return donor


def _receipt(receipt_id: int) -> Receipt:
    receipt = db_session().get(Receipt, receipt_id)
    _in_scope(
        receipt.office_code if receipt else None,
        Subject(object_type="receipt", object_id=receipt_id),
    )
    assert receipt is not None
    return receipt


def _plan(plan_id: int) -> RecurringPlan:
    plan = db_session().get(RecurringPlan, plan_id)
    office = plan.donation.office_code if plan else None
    _in_scope(office, Subject(object_type="plan", object_id=plan_id))
    assert plan is not None
    return plan


def _payment(payment_id: int) -> Payment:
    payment = db_session().get(Payment, payment_id)
    office = payment.donation.office_code if payment else None
    _in_scope(office, Subject(object_type="payment", object_id=payment_id))
    assert payment is not None
    return payment


def _subject(donor: Donor, kind: str, ident: object) -> Subject:
    return Subject(donor.office_code, donor.id, kind, str(ident))


def _donor_url(donor_id: int) -> str:
    return url_for(".donor", donor_id=donor_id)


# --- search and reading -------------------------------------------------------------------------


@blueprint.get("/")
@requires(READ_DONORS)
def search() -> str:
    """The search box and, when something was asked, a page of donors."""
    form = SearchForm(request.args)
    results: list[Donor] | None = None
    more, page = False, max(1, request.args.get("page", 1, type=int) or 1)
    if form.has_query() and form.validate():
        query = finder.Query((form.q.data or "").strip(), form.last4.data or "", form.charge_day)
        results, more = finder.search(db_session(), query, signed_in().scope, page)
        log("support.search", _search_subject(), detail=query.describe())
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "support/search.html",
        form=form,
        errors=error_list(form) if form.has_query() else [],
        results=results,
        more=more,
        page=page,
        args=args,
    )


def _search_subject() -> Subject | None:
    """A search belongs to the person's office when they hold one (admins see it there)."""
    codes = signed_in().scope.codes
    return Subject(office_code=next(iter(codes))) if codes and len(codes) == 1 else None


@blueprint.get("/donors/<int:donor_id>")
@requires(READ_DONORS)
def donor(donor_id: int) -> str:
    """Everything about one donor, on one page."""
    found = _donor(donor_id)
    domain = str(current_app.config["MAIL_MESSAGE_DOMAIN"])
    page = timeline.donor_page(db_session(), found, signed_in().scope, domain)
    log("support.view_donor", _subject(found, "donor", found.id))
    return render_template(
        "support/donor.html",
        page=page,
        donor=found,
        user=signed_in(),
        money=lambda minor, currency: _money(minor, currency),
        refundable=services.refundable,
    )


def _money(minor: int, currency: str) -> str:
    return format_money(Money(minor, currency), _locale())


@blueprint.get("/receipts/<int:receipt_id>.pdf")
@requires(READ_DONORS)
def receipt_pdf(receipt_id: int) -> Response:
    """The stored PDF, byte for byte as it was sent."""
    receipt = _receipt(receipt_id)
    if receipt.pdf is None:
        not_found(Subject(receipt.office_code, receipt.donor_id, "receipt", receipt.number))
    log(
        "support.download_receipt",
        Subject(receipt.office_code, receipt.donor_id, "receipt", receipt.number),
    )
    return Response(
        receipt.pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{receipt.number}.pdf"'},
    )


# --- actions: a form, then a confirmation page, then the act --------------------------------------


def _two_steps(
    form: Any,
    template: str,
    summary: Callable[[], list[tuple[str, str]]],
    act: Callable[[], str],
    back: str,
    **values: Any,
) -> Any:
    """Show the form; once valid, a page repeating what will happen; once confirmed, act."""
    editing = request.form.get("edit") == "yes"
    if not editing and form.validate_on_submit():
        if request.form.get("confirmed") == "yes":
            try:
                flash(act())
            except services.ActionRefused as refusal:
                flash(_refusal(refusal.code))
            return redirect(back)
        return render_template(
            "support/confirm.html", form=form, summary=summary(), back=back, **values
        )
    errors = [] if editing else error_list(form)
    return render_template(template, form=form, errors=errors, back=back, **values)


@blueprint.route("/donors/<int:donor_id>/notes", methods=["GET", "POST"])
@requires(SUPPORT_DONORS)
def add_note(donor_id: int) -> Any:
    """A note on the donor's page."""
    found, form = _donor(donor_id), NoteForm()

    def act() -> str:
        note = services.add_note(db_session(), found, signed_in().account.id, form.text.data)
        log("support.note", _subject(found, "note", note.id), reason=form.text.data)
        return _("The note is saved.")

    return _two_steps(
        form,
        "support/note.html",
        lambda: [(_("Note"), form.text.data)],
        act,
        _donor_url(found.id),
        donor=found,
        title=_("Add a note"),
    )


@blueprint.route("/receipts/<int:receipt_id>/resend", methods=["GET", "POST"])
@requires(SUPPORT_DONORS)
def resend(receipt_id: int) -> Any:
    """Send the stored PDF again, to the donor or (once confirmed) to another address."""
    receipt = _receipt(receipt_id)
    found, form = _donor(receipt.donor_id), ResendForm()
    other = form.target.data == OTHER_ADDRESS

    def act() -> str:
        subject = _subject(found, "receipt", receipt.number)
        if not other:
            services.resend_receipt(db_session(), receipt)
            log("support.resend_receipt", subject, reason=form.reason.data)
            return _("Receipt %(number)s will be sent again.", number=receipt.number)
        hours = int(current_app.config["SUPPORT_ADDRESS_LINK_HOURS"])
        services.request_copy(
            db_session(),
            receipt,
            form.address.data,
            signed_in().account.id,
            utcnow(),
            timedelta(hours=hours),
        )
        log("support.request_copy", subject, reason=form.reason.data, detail=form.address.data)
        return _("The donor will get an email asking to confirm the other address.")

    def summary() -> list[tuple[str, str]]:
        where = form.address.data if other else found.email
        return [
            (_("Receipt"), receipt.number),
            (_("Send it to"), where),
            (_("Reason"), form.reason.data),
        ]

    return _two_steps(
        form,
        "support/resend.html",
        summary,
        act,
        _donor_url(found.id),
        donor=found,
        receipt=receipt,
        title=_("Resend receipt %(number)s", number=receipt.number),
    )


@blueprint.route("/receipts/<int:receipt_id>/correct", methods=["GET", "POST"])
@requires(SUPPORT_DONORS)
def correct(receipt_id: int) -> Any:
    """Correct the donor's name or address: void the receipt and issue a replacement."""
    receipt = _receipt(receipt_id)
    found = _donor(receipt.donor_id)
    form = CorrectForm(obj=found if request.method == "GET" else None)

    def act() -> str:
        correction = services.DonorCorrection(
            **{name: getattr(form, name).data or "" for name in services.DonorCorrection.__slots__}
        )
        replacement = services.correct_receipt(
            db_session(), receipt, correction, form.reason.data, receipt_context()
        )
        number = replacement.number if replacement else "-"
        log(
            "support.correct_receipt",
            _subject(found, "receipt", receipt.number),
            reason=form.reason.data,
            detail=f"replaced by {number}",
        )
        return _(
            "Receipt %(old)s is void; %(new)s replaces it and goes to the donor.",
            old=receipt.number,
            new=number,
        )

    def summary() -> list[tuple[str, str]]:
        return [
            (str(getattr(form, name).label.text), getattr(form, name).data or "")
            for name in services.DonorCorrection.__slots__
        ] + [(_("Reason"), form.reason.data)]

    return _two_steps(
        form,
        "support/correct.html",
        summary,
        act,
        _donor_url(found.id),
        donor=found,
        receipt=receipt,
        title=_("Correct the name or address on %(number)s", number=receipt.number),
    )


@blueprint.route(
    "/plans/<int:plan_id>/<any(cancel, pause, resume):change>", methods=["GET", "POST"]
)
@requires(SUPPORT_DONORS)
def change_plan(plan_id: int, change: str) -> Any:
    """Cancel a recurring gift, or pause or resume its collection, through Stripe."""
    plan = _plan(plan_id)
    found, form = _donor(int(plan.donation.donor_id or 0)), ActionForm()
    titles = {
        "cancel": _("Cancel the recurring gift"),
        "pause": _("Pause the recurring gift"),
        "resume": _("Resume the recurring gift"),
    }

    def act() -> str:
        if change == "cancel":
            services.cancel_plan(plan, wiring.gateway())
        else:
            services.pause_plan(plan, wiring.gateway(), pause=change == "pause")
        log(
            f"support.{change}_plan",
            _subject(found, "plan", plan.stripe_subscription_id),
            reason=form.reason.data,
        )
        return _("Done: Stripe confirmed the change.")

    return _two_steps(
        form,
        "support/action.html",
        lambda: [
            (_("Recurring gift"), plan.stripe_subscription_id),
            (_("Reason"), form.reason.data),
        ],
        act,
        _donor_url(found.id),
        donor=found,
        title=titles[change],
    )


@blueprint.route("/payments/<int:payment_id>/refund", methods=["GET", "POST"])
@requires(REFUND, fresh=True)
def refund(payment_id: int) -> Any:
    """Refund all that is left of a payment, or part of it (finance only)."""
    payment = _payment(payment_id)
    found = _donor(int(payment.donation.donor_id or 0))
    left = services.refundable(payment)
    form = RefundForm(left, _locale())

    def act() -> str:
        planned = services.plan_refund(
            db_session(), payment, form.money, form.reason.data, signed_in().account.id
        )
        amount = _money(planned.amount_minor, planned.currency)
        subject = _subject(found, "payment", payment.id)
        log(
            "support.refund",
            subject,
            reason=form.reason.data,
            detail=f"{amount} ({planned.public_id})",
        )
        db_session().commit()  # our row first: a retry re-uses its idempotency key
        try:
            services.send_refund(planned, payment, wiring.gateway())
        except services.ActionRefused:
            log("support.refund", subject, outcome="failed", detail=planned.error or "")
            raise
        return _(
            "The refund of %(amount)s is on its way; the receipt follows by itself.", amount=amount
        )

    def summary() -> list[tuple[str, str]]:
        amount = form.money or left
        return [
            (_("Payment"), f"P-{payment.id}"),
            (_("Amount to refund"), format_money(amount, _locale())),
            (_("Reason"), form.reason.data),
        ]

    return _two_steps(
        form,
        "support/refund.html",
        summary,
        act,
        _donor_url(found.id),
        donor=found,
        payment=payment,
        left=format_money(left, _locale()),
        title=_("Refund payment P-%(id)s", id=payment.id),
    )


@blueprint.route("/outbox/<int:message_id>/retry", methods=["GET", "POST"])
@requires(SUPPORT_DONORS)
def retry(message_id: int) -> Any:
    """Give a dead email (or other message) of a donor's another set of tries."""
    message = db_session().get(OutboxMessage, message_id)
    office, donor_id = owner_of_message(db_session(), message) if message else (None, None)
    _in_scope(office, Subject(object_type="outbox", object_id=message_id))
    assert message is not None
    assert donor_id is not None
    found, form = _donor(donor_id), ActionForm()

    def act() -> str:
        services.retry_dead(message, utcnow())
        log(
            "support.retry_message",
            _subject(found, "outbox", message.id),
            reason=form.reason.data,
            detail=message.name,
        )
        return _("The message will be tried again now.")

    return _two_steps(
        form,
        "support/action.html",
        lambda: [
            (_("Message"), f"{message.id} {message.name}"),
            (_("Last error"), message.last_error or ""),
            (_("Reason"), form.reason.data),
        ],
        act,
        _donor_url(found.id),
        donor=found,
        title=_("Retry a dead message"),
    )
