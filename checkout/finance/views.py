"""The finance console under /staff/finance: the dashboard per office, payouts with their lines
and exceptions, marking an exception explained, and the exports for the books.

Every record is looked up within the signed-in person's offices, as in the support console:
another office's payout or exception answers 404 (audited as out of scope). Looking at a
payout, exporting and explaining are audited.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import get_locale
from sqlalchemy import select

from checkout.audit.services import Subject
from checkout.core.clock import utcnow
from checkout.core.currencies import exponent
from checkout.core.money import Money, format_money
from checkout.db import db_session
from checkout.finance import charts, exports, texts
from checkout.finance.dashboard import currencies_of, dashboard, total
from checkout.finance.forms import ExplainForm
from checkout.finance.models import BalanceTransaction, Payout, ReconciliationException
from checkout.finance.reconciliation import (
    currency_totals,
    explain,
    open_exceptions,
    payout_totals,
)
from checkout.payments.wiring import registry
from checkout.site.i18n import gettext as _
from checkout.staff.access import log, not_found, protect_response, requires, signed_in
from checkout.staff.forms import error_list
from checkout.staff.permissions import READ_FINANCE, RECONCILE

blueprint = Blueprint("finance", __name__, url_prefix="/staff/finance")
blueprint.after_request(protect_response)
PAGE_SIZE = 50


def _locale() -> str:
    locale = get_locale()
    return str(locale) if locale else "en"


def _money(minor: int, currency: str) -> str:
    return format_money(Money(minor, currency), _locale())


def _offices() -> list[str]:
    """The offices the signed-in person may see, in the registry's order."""
    scope = signed_in().scope
    return [code for code in registry().codes if scope.allows(code)]


def _office_asked() -> str:
    """The office named in the query (else the person's first); out of scope answers 404."""
    offices = _offices()
    code = (request.args.get("office") or (offices[0] if offices else "")).upper()
    if code not in offices:
        not_found(Subject(office_code=code[:8] or None, object_type="office"))
    return code


def _payout(payout_id: int) -> Payout:
    payout = db_session().get(Payout, payout_id)
    if payout is None or payout.office_code not in _offices():
        not_found(Subject(object_type="payout", object_id=payout_id))
    assert payout is not None
    return payout


def _exception(exception_id: int) -> ReconciliationException:
    found = db_session().get(ReconciliationException, exception_id)
    if found is None or found.office_code not in _offices():
        not_found(Subject(object_type="reconciliation_exception", object_id=exception_id))
    assert found is not None
    return found


# --- the dashboard -------------------------------------------------------------------------------


@blueprint.get("/")
@requires(READ_FINANCE)
def home() -> str:
    """The office's gifts, plans and failed debits, each chart with its table."""
    office = _office_asked()
    session = db_session()
    settings = registry().get(office)
    currencies = currencies_of(session, office) or [settings.default_currency]
    currency = (request.args.get("currency") or currencies[0]).upper()
    if currency not in currencies:
        currency = currencies[0]
    today = settings.local_date(utcnow())  # the office's date: its days, weeks and months
    figures = dashboard(session, office, currency, today, settings.zone)
    digits = exponent(currency)
    sections = [
        (_("Gifts per day, last 30 days"), figures.days, True),
        (_("Gifts per week, last 12 weeks"), figures.weeks, True),
        (_("Gifts per month"), figures.months, True),
        (_("Once and recurring"), figures.frequencies, True),
        (_("By payment method"), figures.methods, True),
        (_("Recurring plans started per month"), figures.plans_started, False),
        (_("Recurring plans ended per month"), figures.plans_ended, False),
        (_("Failed bank debits per month"), figures.failed_debits, True),
    ]
    charts_shown = [
        {
            "id": f"chart-{index}",
            "title": title,
            "rows": rows,
            "total": total(rows),
            "amounts": amounts,
            "image": charts.bar_chart(title, rows, amounts=amounts, exponent=digits)
            if rows
            else None,
        }
        for index, (title, rows, amounts) in enumerate(sections)
    ]
    log("finance.view_dashboard", Subject(office_code=office, object_type="dashboard"))
    return render_template(
        "finance/dashboard.html",
        office=office,
        offices=_offices(),
        currency=currency,
        currencies=currencies,
        figures=figures,
        charts=charts_shown,
        money=_money,
        exceptions=len(open_exceptions(session, [office])),
    )


# --- payouts -------------------------------------------------------------------------------------


@blueprint.get("/payouts")
@requires(READ_FINANCE)
def payouts() -> str:
    """The office's payouts, newest first, each with whether it adds up."""
    office = _office_asked()
    rows = payout_totals(db_session(), [office])
    today = utcnow().date()
    year = currency_totals(db_session(), [office], today - timedelta(days=365), today)
    log("finance.view_payouts", Subject(office_code=office, object_type="payout"))
    return render_template(
        "finance/payouts.html",
        office=office,
        offices=_offices(),
        payouts=rows,
        year=year,
        money=_money,
        exceptions=open_exceptions(db_session(), [office]),
        texts=texts,
    )


@blueprint.get("/payouts/<int:payout_id>")
@requires(READ_FINANCE)
def payout(payout_id: int) -> str:
    """One payout: its totals, its lines and the exceptions found in it."""
    found = _payout(payout_id)
    session = db_session()
    [totals] = payout_totals(session, None, [found.id])
    lines = session.scalars(
        select(BalanceTransaction)
        .where(BalanceTransaction.payout_id == found.id)
        .order_by(BalanceTransaction.stripe_created, BalanceTransaction.id)
    ).all()
    log("finance.view_payout", Subject(found.office_code, None, "payout", found.stripe_payout_id))
    return render_template(
        "finance/payout.html",
        payout=found,
        totals=totals,
        lines=lines,
        exceptions=open_exceptions(session, [found.office_code], found.id),
        money=_money,
        texts=texts,
    )


@blueprint.route("/exceptions/<int:exception_id>/explain", methods=["GET", "POST"])
@requires(RECONCILE)
def explain_exception(exception_id: int) -> Any:
    """Mark an exception explained, with a note (kept with it, and in the audit log)."""
    found, form = _exception(exception_id), ExplainForm()
    back = (
        url_for("finance.payout", payout_id=found.payout_id)
        if found.payout_id
        else url_for("finance.payouts", office=found.office_code)
    )
    if form.validate_on_submit():
        explain(db_session(), found, signed_in().account.id, form.note.data)
        log(
            "finance.explain_exception",
            Subject(found.office_code, None, "reconciliation_exception", found.id),
            reason=form.note.data,
            detail=found.kind,
        )
        flash(_("The exception is marked explained."))
        return redirect(back)
    return render_template(
        "finance/explain.html",
        exception=found,
        form=form,
        errors=error_list(form),
        back=back,
        money=_money,
        texts=texts,
    )


# --- exports -------------------------------------------------------------------------------------


def _streamed(rows: Any, name: str) -> Response:
    return Response(
        stream_with_context(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@blueprint.get("/payouts/<int:payout_id>/<any(lines, journal):kind>.csv")
@requires(READ_FINANCE)
def payout_export(payout_id: int, kind: str) -> Response:
    """The payout's lines, or its double-entry journal, as CSV."""
    found = _payout(payout_id)
    accounts = registry().get(found.office_code).accounts
    log(
        f"finance.export_{kind}",
        Subject(found.office_code, None, "payout", found.stripe_payout_id),
    )
    session = db_session()
    rows = (
        exports.lines_csv(session, found.office_code, payout_id=found.id)
        if kind == "lines"
        else exports.journal_csv(session, found.office_code, accounts, payout_id=found.id)
    )
    return _streamed(rows, f"{found.stripe_payout_id}-{kind}.csv")


def _period() -> tuple[date, date]:
    """The export's first and last day from the query (default: last month); 400 if wrong."""
    today = utcnow().date()
    last_month_end = today.replace(day=1) - timedelta(days=1)
    try:
        start = date.fromisoformat(request.args.get("start") or str(last_month_end.replace(day=1)))
        end = date.fromisoformat(request.args.get("end") or str(last_month_end))
    except ValueError:
        abort(400)
    if end < start or (end - start).days > 366:
        abort(400)
    return start, end


@blueprint.get("/exports/<any(lines, journal):kind>.csv")
@requires(READ_FINANCE)
def period_export(kind: str) -> Response:
    """Every line of the office's payouts arriving in the period, or their journal, as CSV."""
    office = _office_asked()
    start, end = _period()
    accounts = registry().get(office).accounts
    log(
        f"finance.export_{kind}",
        Subject(office_code=office, object_type="period", object_id=f"{start}..{end}"),
    )
    session = db_session()
    rows = (
        exports.lines_csv(session, office, start=start, end=end)
        if kind == "lines"
        else exports.journal_csv(session, office, accounts, start=start, end=end)
    )
    return _streamed(rows, f"{office}-{start}-{end}-{kind}.csv")
