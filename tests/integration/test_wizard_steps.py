"""The wizard's rules, step by step, parametrized from config/offices.toml.

A new office in the file is covered by these tests without new test code.
"""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from checkout.core.money import format_amount
from checkout.offices import load_registry
from checkout.paths import CONFIG_DIR
from checkout.wizard.flow import base_context
from checkout.wizard.forms import AmountForm
from tests.wizard_driver import (
    WizardDriver,
    amount_data,
    details_data,
    field_errors,
    reach_details,
    reach_review,
    sample_country,
)

REGISTRY = load_registry(CONFIG_DIR / "offices.toml")
OFFICES = list(REGISTRY)
OFFICE_IDS = [office.code for office in OFFICES]


@pytest.fixture
def donor(client: FlaskClient) -> WizardDriver:
    return WizardDriver(client)


# --- dispatcher and order -------------------------------------------------------------------


def test_an_empty_draft_starts_at_the_amount_step(donor: WizardDriver) -> None:
    assert donor.get("/donate").headers["Location"] == "/donate/amount"


@pytest.mark.parametrize("step", ["details", "method", "review"])
def test_no_step_can_be_skipped(donor: WizardDriver, step: str) -> None:
    assert donor.get(f"/donate/{step}").headers["Location"] == "/donate"


def test_an_unknown_step_is_404(donor: WizardDriver) -> None:
    assert donor.get("/donate/nowhere").status_code == 404


@pytest.mark.parametrize("office", OFFICES, ids=OFFICE_IDS)
def test_every_office_can_reach_review(donor: WizardDriver, office) -> None:
    page = reach_review(donor, office)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert office.legal.legal_name in html
    assert 'aria-current="step"' in html


# --- amount ---------------------------------------------------------------------------------


@pytest.mark.parametrize("office", OFFICES, ids=OFFICE_IDS)
def test_amount_step_offers_the_offices_presets_and_frequencies(donor, office) -> None:
    donor.headers["Accept-Language"] = f"en-{sample_country(office)}"
    html = donor.get("/donate/amount").get_data(as_text=True)
    for preset in REGISTRY.presets(office.code, office.default_currency):
        assert f'value="{preset.currency}:{preset.minor}"' in html
    offered = set(re.findall(r'name="frequency" value="(\w+)"', html))
    assert offered == set(office.frequencies)


@pytest.mark.parametrize("office", OFFICES, ids=OFFICE_IDS)
@pytest.mark.parametrize("currency", ["default", "all"])
def test_amounts_outside_the_limits_are_refused_next_to_the_field(donor, office, currency):
    donor.headers["Accept-Language"] = f"en-{sample_country(office)}"
    codes = [office.default_currency] if currency == "default" else list(office.currencies)
    for code in codes:
        minimum, maximum = REGISTRY.limits(office.code, code)
        for amount, expected in (
            (minimum - minimum.zero(code).__class__(1, code), "smallest"),
            (maximum + minimum.__class__(1, code), "up to"),
        ):
            typed = format_amount(amount, "en")
            response = donor.post(
                "amount", amount_data(office, currency=code, amount="other", other_amount=typed)
            )
            assert response.status_code == 200
            assert expected in field_errors(response)["other_amount"]
            assert f'value="{typed}"' in response.get_data(as_text=True)  # nothing lost


@pytest.mark.parametrize("office", OFFICES, ids=OFFICE_IDS)
def test_the_limits_themselves_are_accepted(donor, office) -> None:
    donor.headers["Accept-Language"] = f"en-{sample_country(office)}"
    for amount in REGISTRY.limits(office.code, office.default_currency):
        response = donor.post(
            "amount", amount_data(office, amount="other", other_amount=format_amount(amount, "en"))
        )
        assert response.status_code == 302, field_errors(response)


@pytest.mark.parametrize(
    ("typed", "language", "message"),
    [
        ("", "en", "Please enter an amount."),
        ("abc", "en", "as a number"),
        ("-5", "en", "above zero"),
        ("10.555", "en", "2 decimal places"),
        ("50.00", "de", "als Zahl"),  # German reads '.' as a thousands separator: refused
    ],
)
def test_typed_amounts_are_parsed_in_the_donors_language(client, typed, language, message):
    donor = WizardDriver(client, language=language, headers={"Accept-Language": f"{language}-DE"})
    response = donor.post(
        "amount", amount_data(REGISTRY.get("DE"), amount="other", other_amount=typed)
    )
    assert message in field_errors(response)["other_amount"]


def test_a_german_amount_with_thousands_is_understood(client) -> None:
    donor = WizardDriver(client, language="de", headers={"Accept-Language": "de-DE"})
    response = donor.post(
        "amount", amount_data(REGISTRY.get("DE"), amount="other", other_amount="1.234,50")
    )
    assert response.status_code == 302
    notice = donor.shown_notice()
    donor.post("details", details_data(REGISTRY.get("DE"), notice))
    html = donor.get("/donate/method").get_data(as_text=True)
    assert "1.234,50" in html  # the chosen amount stays visible on later steps


def test_a_preset_of_another_currency_is_refused(donor) -> None:
    office = REGISTRY.get("INT")
    donor.headers["Accept-Language"] = "en-US"
    response = donor.post("amount", amount_data(office, currency="USD", amount="EUR:5000"))
    assert "choose an amount" in field_errors(response)["amount"]


def test_covering_the_fee_adds_a_visible_line(donor) -> None:
    office = REGISTRY.get("DE")
    donor.headers["Accept-Language"] = "en-DE"
    donor.post("amount", amount_data(office, amount="EUR:5000", cover_fee="y"))
    notice = donor.shown_notice()
    donor.post("details", details_data(office, notice))
    donor.post("method", {"method": "card"})
    html = donor.get("/donate/review").get_data(as_text=True)
    # 50.00 + 0.25 grossed up at 1.5 %: ceil(5025 / 0.985) = 5102, so the fee is 1.02.
    assert "Processing fee you cover" in html
    assert "€1.02" in html
    assert "Donate €51.02" in html


# --- details --------------------------------------------------------------------------------


REQUIRED_ALWAYS = ["first_name", "last_name", "email"]


@pytest.mark.parametrize("office", OFFICES, ids=OFFICE_IDS)
@pytest.mark.parametrize("missing", REQUIRED_ALWAYS)
def test_each_required_detail_is_asked_for(donor, office, missing) -> None:
    notice = reach_details(donor, office)
    response = donor.post("details", details_data(office, notice, **{missing: ""}))
    assert response.status_code == 200
    errors = field_errors(response)
    assert set(errors) == {missing}
    html = response.get_data(as_text=True)
    assert f'aria-describedby="{missing}-error"' in html or f'{missing}-error"' in html
    assert f'<a href="#{missing}">' in html  # the summary links to the field
    assert 'value="alex@example.org"' in html or missing == "email"  # nothing typed is lost


ADDRESS_FIELDS = ["address_line1", "postcode", "city"]


@pytest.mark.parametrize("office", OFFICES, ids=OFFICE_IDS)
@pytest.mark.parametrize("missing", ADDRESS_FIELDS)
def test_the_address_is_required_only_where_the_receipt_needs_it(donor, office, missing):
    notice = reach_details(donor, office)
    response = donor.post("details", details_data(office, notice, **{missing: ""}))
    if office.donor.address == "required":
        assert missing in field_errors(response)
    else:
        assert response.status_code == 302, field_errors(response)


@pytest.mark.parametrize("office", [o for o in OFFICES if o.donor.gift_aid], ids=lambda o: o.code)
def test_gift_aid_needs_the_home_address(donor, office) -> None:
    notice = reach_details(donor, office)
    html = donor.get("/donate/details").get_data(as_text=True)
    assert office.notices["gift_aid_declaration"].text("en")[:60] in html
    response = donor.post("details", details_data(office, notice, gift_aid="y", postcode=""))
    assert "postcode" in field_errors(response)
    response = donor.post("details", details_data(office, notice, gift_aid="y"))
    assert response.status_code == 302


@pytest.mark.parametrize(
    "office", [o for o in OFFICES if not o.donor.gift_aid], ids=lambda o: o.code
)
def test_gift_aid_is_not_offered_and_a_forged_tick_is_ignored_outside_the_uk(donor, office):
    notice = reach_details(donor, office)
    assert 'name="gift_aid"' not in donor.get("/donate/details").get_data(as_text=True)
    response = donor.post("details", details_data(office, notice, gift_aid="y"))
    assert response.status_code == 302, field_errors(response)
    donor.post("method", {"method": "card"})
    assert "Gift Aid" not in donor.get("/donate/review").get_data(as_text=True)


@pytest.mark.parametrize("office", OFFICES, ids=OFFICE_IDS)
def test_a_postcode_of_the_wrong_shape_is_refused(donor, office) -> None:
    notice = reach_details(donor, office)
    response = donor.post("details", details_data(office, notice, postcode="!!"))
    assert "postcode" in field_errors(response)


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Field cannot be longer than 100 characters."),
        ("de", "Feld kann nicht länger als 100 Zeichen sein."),
        ("nl", "Veld mag niet langer zijn dan 100 karakters."),
        ("fr", "Le champ ne peut pas contenir plus de 100 caractères."),
    ],
)
def test_wtforms_own_messages_are_in_the_donors_language(client, language, message) -> None:
    donor = WizardDriver(client, language=language)
    office = REGISTRY.get("DE")
    notice = reach_details(donor, office)
    response = donor.post("details", details_data(office, notice, city="x" * 101))
    assert field_errors(response)["city"] == message


@pytest.mark.parametrize("language", ["en", "de", "nl", "fr"])
@pytest.mark.parametrize("typed", [None, "", "DE", "GB", "de", "ZZ", 'x"><b>'])
def test_the_kept_country_options_are_what_the_select_macro_writes(app, language, typed) -> None:
    macro = '{% from "macros/forms.html" import select_field %}'
    generic = app.jinja_env.from_string(macro + "{{ select_field(form.country) }}")
    kept = app.jinja_env.from_string(
        macro + "{{ select_field(form.country, options=form.country_option_tags()) }}"
    )
    with app.test_request_context(f"/donate/amount?lang={language}"):
        context = base_context({"country_guess": "DE"}, REGISTRY, language)
        formdata = MultiDict({} if typed is None else {"country": typed})
        form = AmountForm(context, formdata=formdata, meta={"csrf": False})
        expected, html = generic.render(form=form), kept.render(form=form)
    assert re.sub(r">\s+<", "><", html) == re.sub(r">\s+<", "><", expected)
    assert html.count(" selected") == (0 if typed in ("de", "ZZ", 'x"><b>') else 1)


def test_a_canadian_without_middle_initial_is_stopped(donor) -> None:
    office = REGISTRY.get("CA")
    notice = reach_details(donor, office)
    response = donor.post("details", details_data(office, notice, middle_initial=""))
    assert "middle initial" in field_errors(response)["middle_initial"]
    response = donor.post(
        "details", details_data(office, notice, middle_initial="", no_middle_name="y")
    )
    assert response.status_code == 302


def test_a_middle_initial_must_be_one_letter(donor) -> None:
    office = REGISTRY.get("CA")
    notice = reach_details(donor, office)
    response = donor.post("details", details_data(office, notice, middle_initial="Jo"))
    assert "one letter" in field_errors(response)["middle_initial"]


@pytest.mark.parametrize("email", ["no-at-sign", "a@b", "two@@example.org", "x@exa mple.org"])
def test_bad_email_addresses_are_refused(donor, email) -> None:
    office = REGISTRY.get("DE")
    notice = reach_details(donor, office)
    response = donor.post("details", details_data(office, notice, email=email))
    assert "email" in field_errors(response)


def test_a_bad_phone_number_is_refused_and_a_good_one_kept_in_e164(donor, db_session) -> None:
    office = REGISTRY.get("DE")
    notice = reach_details(donor, office)
    response = donor.post("details", details_data(office, notice, phone="12"))
    assert "phone" in field_errors(response)
    response = donor.post("details", details_data(office, notice, phone="030 1234567"))
    assert response.status_code == 302
    donor.post("method", {"method": "card"})
    html = donor.get("/donate/review").get_data(as_text=True)
    assert "+49301234567" in html


@pytest.mark.parametrize("name", ["\x00Alex", "1234", "Al\u202eex"])
def test_names_must_be_printable_letters(donor, name) -> None:
    office = REGISTRY.get("DE")
    notice = reach_details(donor, office)
    response = donor.post("details", details_data(office, notice, first_name=name))
    assert "first_name" in field_errors(response)


@pytest.mark.parametrize("office", OFFICES, ids=OFFICE_IDS)
def test_the_details_page_shows_the_offices_notice_and_unticked_opt_ins(donor, office) -> None:
    reach_details(donor, office)
    html = donor.get("/donate/details").get_data(as_text=True)
    notice = office.notices.get("data_transfer") or office.notices["privacy"]
    assert notice.text("en")[:50] in html
    if "email_fundraising" in office.notices:
        opt_in = re.search(r'<input type="checkbox" id="email_opt_in"[^>]*>', html)
        assert opt_in is not None
        assert "checked" not in opt_in.group(0)


# --- country decides the office ---------------------------------------------------------------


def shown_on(html: str) -> str:
    found = re.search(r'name="shown" value="([^"]*)"', html)
    assert found, html
    return found.group(1)


def test_changing_country_moves_the_gift_and_says_so_in_one_sentence(donor) -> None:
    germany, uk = REGISTRY.get("DE"), REGISTRY.get("UK")
    notice = reach_details(donor, germany)
    donor.post("details", details_data(germany, notice))
    assert donor.get("/donate").headers["Location"] == "/donate/method"
    # Back on the first step, the donor says they live in the UK and presses Continue.
    moved = donor.post(
        "amount", amount_data(germany, country="GB", frequency="monthly", shown="DE:EUR")
    )
    assert moved.status_code == 200
    html = moved.get_data(as_text=True)
    assert f"Your gift now goes to {uk.name} and is given in British pounds" in html
    assert "error-summary" not in html  # a sentence, not an error the donor cannot explain
    assert 'value="GBP:' in html and 'value="EUR:' not in html
    assert re.search(r'value="monthly"\s+checked', html)  # what can be kept is kept
    assert shown_on(html) == "UK:GBP"
    preset = uk.currencies["GBP"].presets[0]
    chosen = amount_data(uk, frequency="monthly", amount=f"GBP:{preset.minor}", shown="UK:GBP")
    assert donor.post("amount", chosen).status_code == 302
    # The details were given for Germany's office: the page says why it asks again.
    assert donor.get("/donate").headers["Location"] == "/donate/details"
    details = donor.get("/donate/details").get_data(as_text=True)
    assert f"Your gift goes to {uk.name}. Please check the details below" in details
    assert 'value="Alex"' in details  # nothing typed is lost
    response = donor.post("details", details_data(uk, donor.shown_notice()))
    assert response.status_code == 302
    assert donor.get("/donate").headers["Location"] == "/donate/method"


@pytest.mark.parametrize(
    ("browser", "office", "currency"),
    [
        ("en-GB", "UK", "GBP"),
        ("fr-FR", "INT", "EUR"),
        ("de-DE", "DE", "EUR"),
        ("en-US", "INT", "USD"),
    ],
)
def test_the_first_step_starts_in_the_browsers_country_and_its_currency(
    client, browser: str, office: str, currency: str
) -> None:
    html = client.get("/donate/amount", headers={"Accept-Language": browser}).get_data(as_text=True)
    assert shown_on(html) == f"{office}:{currency}"
    assert re.search(rf'value="{browser[-2:]}" selected', html)
    assert f'value="{currency}:' in html


def test_choosing_another_currency_shows_its_amounts_before_continuing(client) -> None:
    donor = WizardDriver(client, headers={"Accept-Language": "en-US"})
    office = REGISTRY.get("INT")
    response = donor.post(
        "amount", amount_data(office, currency="EUR", amount="USD:2500", shown="INT:USD")
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "is given in euros" in html
    assert 'value="EUR:' in html and 'value="USD:' not in html
    assert shown_on(html) == "INT:EUR"


# --- method ---------------------------------------------------------------------------------


@pytest.mark.parametrize("office", OFFICES, ids=OFFICE_IDS)
def test_only_the_offices_methods_are_offered(donor, office) -> None:
    notice = reach_details(donor, office)
    donor.post("details", details_data(office, notice))
    html = donor.get("/donate/method").get_data(as_text=True)
    offered = set(re.findall(r'name="method" value="(\w+)"', html))
    rules = office.currencies[office.default_currency]
    assert offered == set(rules.methods_for(office.frequencies[0]))
    response = donor.post("method", {"method": "paypal"})
    assert "method" in field_errors(response)


def test_ideal_is_offered_once_but_not_monthly(donor) -> None:
    office = REGISTRY.get("NL")
    donor.headers["Accept-Language"] = "nl-NL"
    donor.post("amount", amount_data(office, frequency="once"))
    notice = donor.shown_notice()
    donor.post("details", details_data(office, notice))
    assert 'value="ideal"' in donor.get("/donate/method").get_data(as_text=True)
    donor.post("amount", amount_data(office, frequency="monthly"))
    assert 'value="ideal"' not in donor.get("/donate/method").get_data(as_text=True)


def test_review_shows_the_mandate_for_a_debit(donor) -> None:
    office = REGISTRY.get("DE")
    html = reach_review(donor, office, method="sepa_debit").get_data(as_text=True)
    assert "Direct debit mandate" in html
    assert office.legal.legal_name in html
    html = reach_review(WizardDriver(donor.client), office, method="card").get_data(as_text=True)
    assert "Direct debit mandate" not in html


def test_review_has_a_change_link_per_step(donor) -> None:
    html = reach_review(donor, REGISTRY.get("UK")).get_data(as_text=True)
    for step in ("amount", "details", "method"):
        assert f'href="/donate/{step}"' in html
