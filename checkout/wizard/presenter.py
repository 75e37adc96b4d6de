"""What a step's template needs, computed once: progress, summary, errors, texts to show."""

from __future__ import annotations

from typing import Any

from checkout.core.money import format_money
from checkout.offices import OfficeRegistry
from checkout.wizard.context import Gift, StepContext
from checkout.wizard.details import data_notice
from checkout.wizard.flow import STEPS, Assessment, Step
from checkout.wizard.labels import (
    FREQUENCY_LABELS,
    FREQUENCY_SUMMARIES,
    METHOD_HINTS,
    METHOD_LABELS,
    PAY_BUTTONS,
)
from checkout.wizard.mandates import mandate_notice, mandate_reference


def page_values(
    current: Step, form: Any, assessment: Assessment, registry: OfficeRegistry
) -> dict[str, Any]:
    """The template values for `current` rendered with `form`."""
    context: StepContext = form.context
    values: dict[str, Any] = {
        "step": current,
        "step_number": STEPS.index(current) + 1,
        "step_count": len(STEPS),
        "progress": progress(current, assessment),
        "form": form,
        "office": context.office,
        "errors": error_list(form),
        "gift_summary": gift_summary(assessment.context.gift, context.locale)
        if current is not STEPS[0]
        else None,
    }
    values.update(_STEP_VALUES.get(current.name, _nothing)(form, assessment))
    return values


def progress(current: Step, assessment: Assessment) -> list[dict[str, Any]]:
    """Each step with its number and whether it is done, current, or still ahead."""
    items = []
    for number, step in enumerate(STEPS, start=1):
        reachable = assessment.allows(step)
        items.append(
            {
                "number": number,
                "step": step,
                "current": step is current,
                "reachable": reachable and step is not current,
            }
        )
    return items


def error_list(form: Any) -> list[dict[str, str]]:
    """The first error of each field, in page order, for the summary at the top."""
    found = []
    for field in form:
        if field.errors:
            found.append(
                {"id": field.id, "label": str(field.label.text), "message": str(field.errors[0])}
            )
    return found


def gift_summary(gift: Gift | None, locale: str) -> str | None:
    """'You give €50.00 monthly.' for the box on every step after the first."""
    if gift is None:
        return None
    return str(FREQUENCY_SUMMARIES[gift.frequency] % {"amount": format_money(gift.total, locale)})


def _details_values(form: Any, assessment: Assessment) -> dict[str, Any]:
    context: StepContext = form.context
    notices = context.office.notices
    opt_in = notices.get("email_fundraising")
    gift_aid = notices.get("gift_aid_declaration")
    return {
        "data_notice": data_notice(context).text(context.locale),
        "email_opt_in_text": opt_in.text(context.locale) if opt_in else None,
        "gift_aid_text": gift_aid.text(context.locale) if gift_aid else None,
        "address_rule": context.office.donor.address,
        "asks_middle_initial": context.office.donor.middle_initial,
    }


def _method_values(form: Any, assessment: Assessment) -> dict[str, Any]:
    return {"hints": {method: METHOD_HINTS[method] for method in form.offered()}}


def _review_values(form: Any, assessment: Assessment) -> dict[str, Any]:
    context = assessment.context
    gift, method = context.gift, assessment.method or ""
    assert gift is not None
    total = format_money(gift.total, context.locale)
    mandate = mandate_notice(context.office, method)
    return {
        "gift": gift,
        "donor": context.donor,
        "method_label": METHOD_LABELS.get(method, method),
        "frequency_text": FREQUENCY_LABELS[gift.frequency],
        "amount_text": format_money(gift.amount, context.locale),
        "fee_text": format_money(gift.fee, context.locale) if gift.cover_fee else None,
        "total_text": total,
        "pay_label": PAY_BUTTONS[gift.frequency] % {"amount": total},
        "total_token": f"{gift.total.currency}:{gift.total.minor}",
        "mandate_text": mandate.text(context.locale) if mandate else None,
        "mandate_reference": mandate_reference(context.office, method, context.locale),
    }


def _nothing(form: Any, assessment: Assessment) -> dict[str, Any]:
    return {}


_STEP_VALUES = {
    "details": _details_values,
    "method": _method_values,
    "review": _review_values,
}
