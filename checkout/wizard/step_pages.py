"""What each step's page shows besides its form: notices, hints, the review's summary.

Named by the step objects in flow.py (`Step.page_values`); presenter.py adds what every step's
page shows (progress, errors, the gift so far).
"""

from __future__ import annotations

from typing import Any

from babel.numbers import get_currency_name
from markupsafe import Markup

from checkout.addresses import PostalAddress, format_lines
from checkout.core.money import format_money
from checkout.donations.mandates import mandate_notice, mandate_reference
from checkout.donations.values import total_token
from checkout.wizard.context import StepContext
from checkout.wizard.countries import country_choices, option_tag
from checkout.wizard.details import data_notice
from checkout.wizard.labels import (
    FREQUENCY_LABELS,
    METHOD_HINTS,
    METHOD_LABELS,
    PAY_BUTTONS,
)


def amount_values(form: Any, assessment: Any) -> dict[str, Any]:
    """The currency's name, for the sentence that says the gift moved."""
    context: StepContext = form.context
    name = get_currency_name(str(form.currency.data), count=2, locale=context.locale)
    return {"currency_name": name}  # "euros", "British pounds": said of an amount


def details_values(form: Any, assessment: Any) -> dict[str, Any]:
    """The notice the office shows, its opt-ins, and which address parts it needs."""
    context: StepContext = form.context
    notices = context.office.notices
    opt_in = notices.get("email_fundraising")
    gift_aid = notices.get("gift_aid_declaration")
    regions = form.region_choices()
    return {
        "country_name": dict(country_choices(context.locale)).get(context.country, context.country),
        "region_choices": regions,
        "region_options": region_options(regions, form.region.data),
        "asks_region": form.asks_region(),
        "data_notice": data_notice(context).text(context.locale),
        "email_opt_in_text": opt_in.text(context.locale) if opt_in else None,
        "gift_aid_text": gift_aid.text(context.locale) if gift_aid else None,
        "address_rule": context.office.donor.address,
        "asks_middle_initial": context.office.donor.middle_initial,
    }


def method_values(form: Any, assessment: Any) -> dict[str, Any]:
    """One line on what happens with each method offered."""
    return {"hints": {method: METHOD_HINTS[method] for method in form.offered()}}


def review_values(form: Any, assessment: Any) -> dict[str, Any]:
    """The gift once, who gives, how, the mandate for a debit, and the pay button."""
    context = assessment.context
    gift, method = context.gift, assessment.method or ""
    assert gift is not None
    total = format_money(gift.total, context.locale)
    mandate = mandate_notice(context.office, method)
    return {
        "gift": gift,
        "donor": context.donor,
        "address_lines": address_lines(context.donor),
        "method_label": METHOD_LABELS.get(method, method),
        "frequency_text": FREQUENCY_LABELS[gift.frequency],
        "amount_text": format_money(gift.amount, context.locale),
        "fee_text": format_money(gift.fee, context.locale) if gift.cover_fee else None,
        "total_text": total,
        "pay_label": PAY_BUTTONS[gift.frequency] % {"amount": total},
        "total_token": total_token(gift.total),
        # "Donate" was pressed: what the review shows is what is being paid, and stays so.
        "fixed": assessment.first_incomplete.name == "pay",
        "mandate_text": mandate.text(context.locale) if mandate else None,
        "mandate_reference": mandate_reference(context.office, method, context.locale),
    }


def region_options(choices: tuple[tuple[str, str], ...], selected: object) -> Markup:
    """<option>s of a country's states or provinces, after a prompt to choose one."""
    tags = [option_tag("", "—", selected=not selected)]
    tags += [option_tag(code, name, selected=code == selected) for code, name in choices]
    return Markup("\n".join(tags))  # noqa: S704 - every part escaped in option_tag


def address_lines(donor: Any) -> list[str]:
    """The donor's address as their country writes it (Google's address data), if given."""
    if donor is None or not (donor.address_line1 or donor.postcode or donor.city):
        return []
    street = tuple(line for line in (donor.address_line1, donor.address_line2) if line)
    address = PostalAddress(donor.country, street, donor.city, donor.postcode, donor.region)
    return format_lines(address)
