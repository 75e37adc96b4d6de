"""The wizard as an ordered tuple of step objects, and the assessment that walks them in order.

What the donor typed is the single source of truth: each step's stored input is validated again,
against the office of the donor's country, every time the wizard is assessed. So a change of
country that moves the gift to another office re-checks the amount, the details and the method
without any bookkeeping, and no step can be skipped.

A step knows its form, its template, whether it is complete for a draft, and what it adds to
the context the later steps are validated against. `assess` is a loop over them: adding a step
(a separate Gift Aid page, say) means adding one object to `STEPS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from werkzeug.datastructures import MultiDict

from checkout.offices import OfficeRegistry
from checkout.site.i18n import lazy_gettext as _l
from checkout.wizard import step_pages
from checkout.wizard.context import StepContext
from checkout.wizard.details import DetailsForm
from checkout.wizard.forms import AmountForm, MethodForm, ReviewForm, StepForm


@dataclass(frozen=True, slots=True)
class DraftView:
    """What assessing needs of a draft: what was typed, and whether payment has started."""

    data: Mapping[str, Any]
    frozen: bool = False


@dataclass(frozen=True, slots=True)
class Step:
    """One page of the wizard.

    `form_class` is None for a page with nothing to type (the pay step). `adds` turns a valid
    form into the context the next steps see. `complete_when_frozen` marks the step that is
    done once payment has started (review), whatever its form says.
    """

    name: str  # also the URL segment: /donate/<name>
    title: Any  # lazy, translated when shown
    template: str
    form_class: type[StepForm] | None = None
    adds: Callable[[Any, StepContext], StepContext] = lambda form, context: context
    complete_when_frozen: bool = False
    endpoint: str = "wizard.step"  # where its page is served (the pay step has its own view)
    page_values: Callable[[Any, Any], dict[str, Any]] = field(default=lambda form, assessment: {})

    def form(self, context: StepContext, fields: Mapping[str, str] | None = None) -> StepForm:
        """The step's form for `context`, filled with `fields` (stored input, no CSRF)."""
        assert self.form_class is not None, f"the {self.name} step has no form"
        return self.form_class(context, formdata=MultiDict(fields or {}))

    def check(
        self, draft: DraftView, context: StepContext
    ) -> tuple[StepContext | None, StepForm | None]:
        """The context with this step's outcome (None while the step is not done), and the
        form of what was stored, validated (None when nothing was stored)."""
        if self.form_class is None:
            return None, None  # a page to act on (pay): never "complete" from what was typed
        fields = stored_fields(draft.data, self.name)
        form = self.form(context, fields) if fields or not self.complete_when_frozen else None
        if self.complete_when_frozen:
            return (context if draft.frozen else None), form
        assert form is not None
        if not form.validate():
            return None, (form if fields else None)
        return self.adds(form, context), form


def _with_gift(form: AmountForm, context: StepContext) -> StepContext:
    return replace(
        context, gift=form.gift(), country=form.chosen_country(), office=form.context.office
    )


def _with_donor(form: DetailsForm, context: StepContext) -> StepContext:
    return replace(context, donor=form.details())


def _with_method(form: MethodForm, context: StepContext) -> StepContext:
    return replace(context, method=str(form.method.data))


STEPS: tuple[Step, ...] = (
    Step(
        "amount",
        _l("Your gift"),
        "wizard/amount.html",
        AmountForm,
        _with_gift,
        page_values=step_pages.amount_values,
    ),
    Step(
        "details",
        _l("Your details"),
        "wizard/details.html",
        DetailsForm,
        _with_donor,
        page_values=step_pages.details_values,
    ),
    Step(
        "method",
        _l("Payment method"),
        "wizard/method.html",
        MethodForm,
        _with_method,
        page_values=step_pages.method_values,
    ),
    Step(
        "review",
        _l("Review and donate"),
        "wizard/review.html",
        ReviewForm,
        complete_when_frozen=True,
        page_values=step_pages.review_values,
    ),
    Step("pay", _l("Payment"), "wizard/pay.html", endpoint="pay.page"),
)
STEP_BY_NAME: Mapping[str, Step] = {step.name: step for step in STEPS}


@dataclass(frozen=True, slots=True)
class Assessment:
    """Where a draft stands: the context built so far and the first step still to do.

    `forms` holds each step's form of what was stored, as validated on the way (a page shows
    it again rather than build and validate it a second time); steps taken as known from a
    remembered assessment have none (see remembered.py). `contexts` holds the context each
    step was validated against, from the first step to `first_incomplete`.
    """

    context: StepContext
    first_incomplete: Step
    submitted: frozenset[str] = frozenset()
    forms: Mapping[str, StepForm] = field(default_factory=dict)
    contexts: tuple[StepContext, ...] = ()

    def allows(self, step: Step) -> bool:
        """A step may be shown when every step before it is complete."""
        return STEPS.index(step) <= STEPS.index(self.first_incomplete)

    def reached(self, name: str) -> bool:
        """True when the step called `name` and every one before it are complete."""
        return STEPS.index(STEP_BY_NAME[name]) < STEPS.index(self.first_incomplete)

    def context_before(self, step: Step) -> StepContext:
        """The context `step` is validated against: every earlier step's outcome."""
        index = STEPS.index(step)
        return self.contexts[index] if index < len(self.contexts) else self.context

    @property
    def method(self) -> str | None:
        """The payment method chosen, once the method step is complete."""
        return self.context.method


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


def chosen_country(data: Mapping[str, Any]) -> str:
    """The country chosen on the first step, or the guess made when the draft began."""
    country = stored_fields(data, "amount").get("country", "")
    if isinstance(country, str) and len(country) == 2 and country.isalpha():
        return country.upper()
    guess = data.get("country_guess", "")
    return guess if isinstance(guess, str) else ""


def base_context(data: Mapping[str, Any], registry: OfficeRegistry, locale: str) -> StepContext:
    """The context before any step: the office of the chosen (or guessed) country."""
    country = chosen_country(data)
    office = registry.office_for_country(country) if country else registry.fallback
    amount_locale = stored_locale(data, "amount", locale)
    return StepContext(
        office=office,
        locale=locale,
        input_locale=amount_locale,
        country=country,
    )


def submitted_steps(data: Mapping[str, Any]) -> frozenset[str]:
    """The steps the donor has submitted something on, valid or not."""
    return frozenset(step.name for step in STEPS if stored_fields(data, step.name))


def assess(
    data: Mapping[str, Any],
    registry: OfficeRegistry,
    locale: str,
    frozen: bool = False,
    until: Step | None = None,
    known: Sequence[StepContext] = (),
) -> Assessment:
    """Validate the stored steps in order; the context so far and the first step not done.

    With `until`, stop there: what a submission of that step is validated against, without
    validating the step itself or those after it. `known` are contexts vouched for by a
    remembered assessment (remembered.py): the base context, then the one after each step
    before the last; only the steps from there on are validated.
    """
    draft = DraftView(data, frozen)
    submitted = submitted_steps(data)
    contexts = list(known[: len(STEPS)]) or [base_context(data, registry, locale)]
    if until is not None:
        del contexts[STEPS.index(until) + 1 :]
    forms: dict[str, StepForm] = {}
    for step in STEPS[len(contexts) - 1 :]:
        if step is until:
            break
        advanced, form = step.check(draft, contexts[-1])
        if form is not None:
            forms[step.name] = form
        if advanced is None:
            return Assessment(contexts[-1], step, submitted, forms, tuple(contexts))
        contexts.append(advanced)
    first_incomplete = until or STEPS[-1]
    return Assessment(contexts[-1], first_incomplete, submitted, forms, tuple(contexts))


def context_for(
    step: Step,
    assessment: Assessment,
    data: Mapping[str, Any],
    registry: OfficeRegistry,
    locale: str,
) -> StepContext:
    """The context `step`'s form is validated against: every earlier step's outcome.

    The first step is validated against the office of the country typed on it, as stored
    now: choosing another country is what that step is for.
    """
    if step is STEPS[0]:
        return base_context(data, registry, locale)
    return assessment.context_before(step)
