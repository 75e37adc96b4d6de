"""What a step's template needs, computed once: progress, summary, errors, texts to show."""

from __future__ import annotations

from typing import Any

from checkout.core.money import format_money
from checkout.donations.values import Gift
from checkout.offices import OfficeRegistry
from checkout.wizard.context import StepContext
from checkout.wizard.flow import STEPS, Assessment, Step
from checkout.wizard.labels import FREQUENCY_SUMMARIES


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
    values.update(current.page_values(form, assessment))
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
