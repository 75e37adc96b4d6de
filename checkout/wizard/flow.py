"""The wizard as an ordered tuple of steps, and the assessment that finds the first unfinished one.

What the donor typed is the single source of truth: each step's stored input is validated again,
against the office of the donor's country, every time the wizard is assessed. So a change of
country that moves the gift to another office re-checks the amount and the method without any
bookkeeping, and no step can be skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from werkzeug.datastructures import MultiDict

from checkout.offices import OfficeRegistry
from checkout.site.i18n import lazy_gettext as _l
from checkout.wizard.context import StepContext
from checkout.wizard.details import DetailsForm
from checkout.wizard.forms import AmountForm, MethodForm, ReviewForm, StepForm


@dataclass(frozen=True, slots=True)
class Step:
    """One page of the wizard."""

    name: str  # also the URL segment: /donate/<name>
    title: Any  # lazy, translated when shown
    template: str
    form_class: type[StepForm]
    # The details step holds the country, which can invalidate the amount (another office,
    # another currency). It stays open while the amount is fixed, since it does not need it.
    independent: bool = False


STEPS: tuple[Step, ...] = (
    Step("amount", _l("Amount"), "wizard/amount.html", AmountForm),
    Step("details", _l("Your details"), "wizard/details.html", DetailsForm, independent=True),
    Step("method", _l("Payment method"), "wizard/method.html", MethodForm),
    Step("review", _l("Review and donate"), "wizard/review.html", ReviewForm),
)
STEP_BY_NAME: Mapping[str, Step] = {step.name: step for step in STEPS}
REVIEW = STEPS[-1]


@dataclass(frozen=True, slots=True)
class Assessment:
    """Where a draft stands: the context built so far and the first step still to do."""

    context: StepContext
    first_incomplete: Step
    submitted: frozenset[str] = frozenset()
    method: str | None = None

    def allows(self, step: Step) -> bool:
        """A step may be shown when every step before it is complete (or, for an independent
        step, at least submitted once)."""
        earlier = STEPS[: STEPS.index(step)]
        if step.independent and all(s.name in self.submitted for s in earlier):
            return True
        return STEPS.index(step) <= STEPS.index(self.first_incomplete)


def stored_fields(data: Mapping[str, Any], step: str) -> dict[str, str]:
    """What the donor last submitted on `step` ({} if nothing)."""
    entry = data.get(step) or {}
    fields = entry.get("fields") if isinstance(entry, dict) else None
    return dict(fields) if isinstance(fields, dict) else {}


def stored_locale(data: Mapping[str, Any], step: str, default: str) -> str:
    """The language `step`'s input was typed in (amounts are read in that locale)."""
    entry = data.get(step) or {}
    locale = entry.get("locale") if isinstance(entry, dict) else None
    return locale if isinstance(locale, str) and locale else default


def chosen_country(data: Mapping[str, Any], registry: OfficeRegistry) -> str:
    """The country from the details step, or the guess made when the draft began."""
    country = stored_fields(data, "details").get("country", "")
    if isinstance(country, str) and len(country) == 2 and country.isalpha():
        return country.upper()
    guess = data.get("country_guess", "")
    return guess if isinstance(guess, str) else ""


def base_context(
    data: Mapping[str, Any], registry: OfficeRegistry, locale: str, country: str | None = None
) -> StepContext:
    """The context before any step: the office of the chosen (or given) country."""
    country = chosen_country(data, registry) if country is None else country
    office = registry.office_for_country(country) if country else registry.fallback
    amount_locale = stored_locale(data, "amount", locale)
    return StepContext(office=office, locale=locale, input_locale=amount_locale, country=country)


def stored_form(step: Step, context: StepContext, data: Mapping[str, Any]) -> StepForm:
    """`step`'s form filled with the stored input, without CSRF (it is not a request)."""
    formdata = MultiDict(stored_fields(data, step.name))
    return step.form_class(context, formdata=formdata, meta={"csrf": False})


def assess(data: Mapping[str, Any], registry: OfficeRegistry, locale: str) -> Assessment:
    """Validate the stored steps in order and return the first one that is not complete."""
    submitted = frozenset(step.name for step in STEPS if stored_fields(data, step.name))
    context = base_context(data, registry, locale)
    amount = stored_form(STEPS[0], context, data)
    if not amount.validate():
        return Assessment(context, STEPS[0], submitted)
    assert isinstance(amount, AmountForm)
    context = replace(context, gift=amount.gift())
    details = stored_form(STEPS[1], context, data)
    if not details.validate():
        return Assessment(context, STEPS[1], submitted)
    assert isinstance(details, DetailsForm)
    context = replace(context, donor=details.details())
    method = stored_form(STEPS[2], context, data)
    if not method.validate():
        return Assessment(context, STEPS[2], submitted)
    return Assessment(context, REVIEW, submitted, method=str(method.data["method"]))
