"""What a step's form needs to know: the office, the locale, and what earlier steps decided."""

from __future__ import annotations

from dataclasses import dataclass

from checkout.donations.values import DonorDetails, Gift
from checkout.offices import Office


@dataclass(frozen=True, slots=True)
class StepContext:
    """Everything a step's form is validated against."""

    office: Office
    locale: str  # the page's language, for labels and for parsing what is typed now
    input_locale: str  # the language the stored input was typed in (amounts depend on it)
    country: str  # chosen country, or the guess from the browser before the details step
    gift: Gift | None = None
    donor: DonorDetails | None = None
    method: str | None = None
