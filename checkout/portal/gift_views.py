"""A recurring gift in the portal: its page, a new amount, a pause, resuming, and stopping
after an offer to lower the amount or pause instead. Each change goes through the gateway
(our row committed first) and is confirmed by email."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from checkout.core.money import format_money
from checkout.db import db_session
from checkout.donations.models import RecurringPlan
from checkout.extensions import limiter
from checkout.offices import OfficeRegistry
from checkout.payments.wiring import gateway
from checkout.portal import history, plans
from checkout.portal.access import current, log, not_found, requires_donor
from checkout.portal.forms import AmountForm, ButtonForm, PauseForm
from checkout.portal.models import PlanChange
from checkout.portal.views import blueprint
from checkout.site.i18n import current_language
from checkout.site.i18n import gettext as _
from checkout.staff.forms import error_list


def _offices() -> OfficeRegistry:
    registry: OfficeRegistry = current_app.extensions["checkout.offices"]
    return registry


def _change_limit() -> str:
    return str(current_app.config["PORTAL_CHANGE_RATE_LIMIT"])


def own_plan(public_id: str) -> RecurringPlan:
    """The signed-in donor's recurring plan, or 404 (another donor's, or none)."""
    plan = history.plan_of(db_session(), current().donor_ids, public_id)
    if plan is None:
        not_found()
    return plan


def _amount_form(plan: RecurringPlan) -> AmountForm:
    limits = _offices().limits(plan.donation.office_code, plan.donation.currency)
    return AmountForm(limits, current_language())


def _refusal(code: str) -> str:
    messages = {
        "ended": _("This gift has ended already; it cannot be changed."),
        "paused": _("This gift is paused already."),
        "not_paused": _("This gift is not paused."),
        "months": _("Please choose how long to pause."),
        "gateway": _("We could not reach our payment provider. Nothing changed; please try again."),
    }
    return messages.get(code, messages["gateway"])


def _page(plan: RecurringPlan, template: str = "portal/gift.html", **forms: Any) -> str:
    amount = forms.get("amount_form") or _amount_form(plan)
    pause = forms.get("pause_form") or PauseForm()
    office = _offices().get(plan.donation.office_code)
    low, high = _offices().limits(office.code, plan.donation.currency)
    return render_template(
        template,
        plan=plan,
        donation=plan.donation,
        office=office,
        amount_form=amount,
        pause_form=pause,
        button=ButtonForm(),
        errors=error_list(amount) + error_list(pause),
        limits=(format_money(low, current_language()), format_money(high, current_language())),
        changeable=plans.changeable(plan),
        paused=plans.paused(plan),
        method=latest_method(plan),
    )


def latest_method(plan: RecurringPlan) -> tuple[str, str | None]:
    """The plan's payment method type and last four digits, as last replaced or charged."""
    replaced = db_session().scalar(
        select(PlanChange)
        .where(
            PlanChange.plan_id == plan.id,
            PlanChange.kind == "method",
            PlanChange.finished_at.is_not(None),
        )
        .order_by(PlanChange.id.desc())
        .limit(1)
    )
    if replaced is not None:
        return replaced.method_type or plan.donation.method, replaced.last4
    charged = [p.card_last4 for p in plan.donation.payments if p.card_last4]
    return plan.donation.method, charged[-1] if charged else None


@blueprint.get("/gifts/<public_id>")
@requires_donor
def gift(public_id: str) -> str:
    """The recurring gift: what it charges, when, with what; and what the donor may change."""
    plan = own_plan(public_id)
    log("portal.view_gift", current().donor_of(plan.donation.donor_id), "plan", plan.id)
    return _page(plan)


@blueprint.get("/gifts/<public_id>/cancel")
@requires_donor
def cancel_offer(public_id: str) -> Any:
    """Before stopping: a lower amount or a pause instead, then the button that stops it."""
    plan = own_plan(public_id)
    if not plans.changeable(plan):
        return redirect(url_for(".gift", public_id=public_id))
    log("portal.view_cancel", current().donor_of(plan.donation.donor_id), "plan", plan.id)
    return _page(plan, "portal/cancel.html")


def _change(plan: RecurringPlan, kind: str, success: str, **values: Any) -> Response:
    """Our row (committed), then Stripe; the gift's page with what happened."""
    back = redirect(url_for(".gift", public_id=plan.donation.public_id))
    try:
        change = plans.start(db_session(), plan, kind, **values)
    except plans.ChangeRefused as refused:
        flash(_refusal(refused.code))
        return back
    db_session().commit()
    donor = current().donor_of(plan.donation.donor_id)
    try:
        plans.send(db_session(), change, gateway())
    except plans.ChangeRefused as refused:
        log(f"portal.{kind}_gift", donor, "plan", plan.id, outcome="failed")
        db_session().commit()
        flash(_refusal(refused.code))
        return back
    log(f"portal.{kind}_gift", donor, "plan", plan.id, detail=_detail(change))
    flash(success)
    return back


def _detail(change: PlanChange) -> str:
    if change.kind == "amount":
        return f"amount_minor={change.amount_minor}"
    if change.kind == "pause" and change.resumes_at is not None:
        return f"resumes_at={change.resumes_at.isoformat()}"
    return ""


@blueprint.post("/gifts/<public_id>/amount")
@limiter.limit(_change_limit)
@requires_donor
def change_amount(public_id: str) -> Any:
    """A new amount from the next debit on, within the office's limits."""
    plan = own_plan(public_id)
    form = _amount_form(plan)
    if not form.validate_on_submit():
        return _page(plan, "portal/gift.html", amount_form=form)
    rules = _offices().rules(plan.donation.office_code, plan.donation.currency)
    total = plans.per_period(form.chosen, plan, rules)
    done = _(
        "Done: from your next debit on you give %(amount)s. We have emailed you a confirmation.",
        amount=format_money(total, current_language()),
    )
    return _change(plan, "amount", done, amount=total)


@blueprint.post("/gifts/<public_id>/pause")
@limiter.limit(_change_limit)
@requires_donor
def pause(public_id: str) -> Any:
    """Pause for one to three months: the debits in that time are skipped."""
    plan = own_plan(public_id)
    form = PauseForm()
    if not form.validate_on_submit():
        return _page(plan, "portal/gift.html", pause_form=form)
    done = _("Done: your gift is paused. We have emailed you a confirmation.")
    return _change(plan, "pause", done, months=int(form.months.data))


@blueprint.post("/gifts/<public_id>/resume")
@limiter.limit(_change_limit)
@requires_donor
def resume(public_id: str) -> Any:
    """Collect again from the next debit on."""
    plan = own_plan(public_id)
    if not ButtonForm().validate_on_submit():
        return redirect(url_for(".gift", public_id=public_id))
    done = _("Done: your gift continues with the next debit. We have emailed you a confirmation.")
    return _change(plan, "resume", done)


@blueprint.post("/gifts/<public_id>/cancel")
@limiter.limit(_change_limit)
@requires_donor
def cancel(public_id: str) -> Any:
    """Stop the gift now: no further debits."""
    plan = own_plan(public_id)
    if not ButtonForm().validate_on_submit():
        return redirect(url_for(".cancel_offer", public_id=public_id))
    done = _("Your gift is stopped: there will be no further debits. Thank you for all you gave.")
    return _change(plan, "cancel", done)
