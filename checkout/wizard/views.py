"""The wizard's pages: a dispatcher, one URL per step, and the thank-you page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as WerkzeugResponse

from checkout.core.languages import SUPPORTED_LANGUAGES
from checkout.counters import limit_per_address
from checkout.db import db_session
from checkout.offices import OfficeRegistry
from checkout.site.contact import show_office
from checkout.site.i18n import current_language
from checkout.wizard import remembered, services
from checkout.wizard.flow import (
    STEP_BY_NAME,
    Assessment,
    Step,
    assess,
    context_for,
    stored_fields,
)
from checkout.wizard.forms import StepForm, field_names
from checkout.wizard.models import CheckoutDraft
from checkout.wizard.presenter import page_values

blueprint = Blueprint("wizard", __name__, url_prefix="/donate")
DRAFT_KEY = "draft"
SWITCH_LANGUAGE = "_lang"
REVIEW = STEP_BY_NAME["review"]


def registry() -> OfficeRegistry:
    """The offices registry loaded at start-up."""
    return current_app.extensions["checkout.offices"]  # type: ignore[no-any-return]


def language() -> str:
    """The page's language code."""
    return current_language()


def country_guess() -> str:
    """A first guess at the donor's country from the browser's language ("de-AT" -> AT)."""
    for tag, _quality in request.accept_languages:
        parts = tag.replace("_", "-").split("-")
        if len(parts) > 1 and len(parts[1]) == 2 and parts[1].isalpha():
            return parts[1].upper()
    by_language = {"de": "DE", "nl": "NL", "fr": "FR"}
    return by_language.get(language(), "")


def current_draft(*, create: bool = True) -> CheckoutDraft:
    """This visitor's live draft, or a new one; the cookie keeps only its random id.

    With `create=False` (page views) a visitor without a draft gets a blank one that is not
    stored: a row is made on the first submission, so a crawler or a cookie-less client
    cannot fill the drafts table by loading pages.
    """
    idle = timedelta(minutes=int(current_app.config["DRAFT_IDLE_MINUTES"]))
    public_id = session.get(DRAFT_KEY)
    draft = None
    if isinstance(public_id, str):
        draft = services.find_live_draft(db_session(), public_id, idle)
    if draft is None and not create:
        return services.blank_draft(language(), country_guess())
    if draft is None:
        draft = services.start_draft(db_session(), language(), country_guess())
        session[DRAFT_KEY] = draft.public_id
    return draft


def assessment_of(draft: CheckoutDraft, until: Step | None = None) -> Assessment:
    """Where `draft` stands now, assessed from what was typed; `until` stops before that step.

    The contexts it finds are remembered in the draft's own row (no process-wide cache holds
    what donors typed) and taken as known while nothing they depend on changed, so only the
    steps after them are validated: see remembered.py.
    """
    frozen = draft.frozen_at is not None
    offices, page_language = registry(), language()
    recalled = remembered.recall(draft.data, offices, page_language, frozen)
    assessment = assess(draft.data, offices, page_language, frozen, until, recalled.known)
    if until is None and draft.id is not None and not frozen and recalled.outdated_by(assessment):
        memo = recalled.memo_for(assessment)
        services.keep_with_draft(db_session(), draft, services.MEMO_KEY, memo)
    return assessment


def step_url(step: Step) -> str:
    """The URL of `step`."""
    if step.endpoint == "wizard.step":
        return url_for("wizard.step", name=step.name)
    return url_for(step.endpoint)


@blueprint.get("")
def index() -> WerkzeugResponse:
    """Send the donor to the first step that is not complete."""
    return redirect(step_url(assessment_of(current_draft(create=False)).first_incomplete))


@blueprint.post("/restart")
@limit_per_address("WIZARD_RATE_LIMIT", "wizard-submissions")
def restart() -> WerkzeugResponse:
    """Start a new payment with everything this draft holds: after "Donate" the details are
    fixed for that payment, so changing anything (another method after a decline) starts
    afresh from a copy."""
    draft = current_draft(create=False)
    if draft.id is not None and draft.frozen_at is not None:
        session[DRAFT_KEY] = services.copy_draft(db_session(), draft).public_id
    return redirect(url_for("wizard.index"))


@blueprint.get("/<name>")
def step(name: str) -> Any:
    """Show a step; steps cannot be skipped."""
    return _step(name)


# Only submissions are rate-limited, so a page view does not pay for the limiter's check.
@blueprint.post("/<name>")
@limit_per_address("WIZARD_RATE_LIMIT", "wizard-submissions")
def submit(name: str) -> Any:
    """Take a step's submission (url_for("wizard.step") is the same address)."""
    return _step(name)


def _step(name: str) -> Any:
    """Show a step, or take its submission; steps cannot be skipped."""
    current = STEP_BY_NAME.get(name)
    if current is None or current.endpoint != "wizard.step":
        abort(404)
    draft = current_draft(create=request.method == "POST")
    switch_to = request.form.get(SWITCH_LANGUAGE) if request.method == "POST" else None
    if draft.frozen_at is not None and switch_to in SUPPORTED_LANGUAGES:
        return redirect(url_for("wizard.step", name=current.name, lang=switch_to))
    if draft.frozen_at is not None and (current is not REVIEW or request.method == "POST"):
        # Payment has started: nothing may change; the review page shows what is being paid.
        return redirect(step_url(REVIEW))
    # A submission needs only the steps before it; a page also shows which steps are done.
    assessment = assessment_of(draft, until=current if request.method == "POST" else None)
    if not assessment.allows(current):
        return redirect(url_for("wizard.index"))
    if request.method == "POST":
        return _submit(current, draft, assessment)
    return _render(current, _shown_form(current, draft, assessment), assessment)


def _shown_form(current: Step, draft: CheckoutDraft, assessment: Assessment) -> StepForm:
    """The step's form with what was stored, validated (to show why) if it was submitted:
    the one the assessment validated on its way, or one of a step known to be complete."""
    kept = assessment.forms.get(current.name)
    if kept is not None:
        return kept
    context = context_for(current, assessment, draft.data, registry(), language())
    return current.form(context, stored_fields(draft.data, current.name))


def _submit(current: Step, draft: CheckoutDraft, assessment: Assessment) -> Any:
    """Keep what was typed, then move on when it is valid or show the errors beside the fields."""
    fields = _posted_fields(current)
    kept = remembered.kept_before(draft.data, current)
    try:
        services.save_step_input(db_session(), draft, current.name, fields, language(), kept)
    except services.DraftFrozen:
        return redirect(step_url(REVIEW))  # "Donate" in another tab won: see what is paid
    switch_to = request.form.get(SWITCH_LANGUAGE)
    if switch_to in SUPPORTED_LANGUAGES:
        return redirect(url_for("wizard.step", name=current.name, lang=switch_to))
    if current is REVIEW:
        return redirect(url_for("wizard.index"))
    assert current.form_class is not None
    form = current.form_class(context_for(current, assessment, draft.data, registry(), language()))
    if form.validate():
        return redirect(url_for("wizard.index"))
    return _render(current, form, assessment)


def _posted_fields(current: Step) -> dict[str, str]:
    """The submitted values of this step's own fields only (never the CSRF token)."""
    if current.form_class is None:
        return {}
    posted: MultiDict[str, str] = request.form
    return {name: posted[name] for name in field_names(current.form_class) if name in posted}


def _render(current: Step, form: Any, assessment: Assessment) -> str:
    """Render `current` with the progress and summary every step shows."""
    show_office(form.context.office)
    values = page_values(current, form, assessment, registry())
    return render_template(current.template, **values)
