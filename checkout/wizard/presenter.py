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
        # The box "You give €50 once" on the steps between: the first step asks it, and the
        # review shows the gift itself.
        "gift_summary": gift_summary(assessment.context.gift, context.locale)
        if current.name in ("details", "method")
        else None,
    }
    values.update(current.page_values(form, assessment))
    return values


def progress(current: Step, assessment: Assessment) -> list[dict[str, Any]]:
    """Each step with its number and whether it is done, current, or still ahead."""
    items = []
    fixed = assessment.first_incomplete.name == "pay"
    for number, step in enumerate(STEPS, start=1):
        # Once "Donate" was pressed only the review (what is paid) and the payment can be shown.
        reachable = assessment.allows(step) and (not fixed or step.name in ("review", "pay"))
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
                {
                    "id": _target(field),
                    "label": str(field.label.text),
                    "message": str(field.errors[0]),
                }
            )
    return found


def _target(field: Any) -> str:
    """Where a summary link leads: a radio group's first option (a fieldset takes no focus;
    templates/macros/forms.html numbers the options from 1), else the field itself."""
    return f"{field.id}-1" if field.type == "RadioField" else str(field.id)


def gift_summary(gift: Gift | None, locale: str) -> str | None:
    """'You give €50.00 monthly.' for the box on every step after the first."""
    if gift is None:
        return None
    return str(FREQUENCY_SUMMARIES[gift.frequency] % {"amount": format_money(gift.total, locale)})
