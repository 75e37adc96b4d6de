"""The words printed on receipts, per receipt kind and language.

Legal sentences are kept here, apart from the layout, so that an office's adviser can change
them in one place. Templates use str.format fields. German receipts follow the model of the
Federal Ministry of Finance (BMF) for Zuwendungsbestätigungen; its wording and order must not
change, so edit the DE_* texts only to follow a new official model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

# --- Germany: Zuwendungsbestätigung (BMF model; VERIFY against the current model) -----------

DE_TITLE: Final = (
    "Bestätigung über Geldzuwendungen/Mitgliedsbeitrag im Sinne des § 10b des "
    "Einkommensteuergesetzes an eine der in § 5 Abs. 1 Nr. 9 des Körperschaftsteuergesetzes "
    "bezeichneten Körperschaften, Personenvereinigungen oder Vermögensmassen"
)
DE_TITLE_STATEMENT: Final = (
    "Sammelbestätigung über Geldzuwendungen/Mitgliedsbeiträge im Sinne des § 10b des "
    "Einkommensteuergesetzes an eine der in § 5 Abs. 1 Nr. 9 des Körperschaftsteuergesetzes "
    "bezeichneten Körperschaften, Personenvereinigungen oder Vermögensmassen"
)
DE_ISSUER: Final = "Aussteller (Bezeichnung und Anschrift der steuerbegünstigten Einrichtung)"
DE_DONOR: Final = "Name und Anschrift des Zuwendenden"
DE_AMOUNT_FIGURES: Final = "Betrag der Zuwendung – in Ziffern –"
DE_AMOUNT_WORDS: Final = "– in Buchstaben –"
DE_TOTAL_FIGURES: Final = "Gesamtbetrag der Zuwendung – in Ziffern –"
DE_GIFT_DATE: Final = "Tag der Zuwendung"
DE_PERIOD: Final = "Zeitraum der Sammelbestätigung"
DE_NO_WAIVER: Final = "Es handelt sich um den Verzicht auf Erstattung von Aufwendungen: Nein"
#: The BMF model's sentence for a body exempted by notice (Freistellungsbescheid), in full.
#: Fields: purpose ("Förderung ..."), tax_office, tax_number, notice_date, assessment_period.
DE_EXEMPTION: Final = (
    "Wir sind wegen {purpose} nach dem Freistellungsbescheid bzw. nach der Anlage zum "
    "Körperschaftsteuerbescheid des {tax_office}, StNr. {tax_number}, vom {notice_date} für den "
    "letzten Veranlagungszeitraum {assessment_period} nach § 5 Abs. 1 Nr. 9 des "
    "Körperschaftsteuergesetzes von der Körperschaftsteuer und nach § 3 Nr. 6 des "
    "Gewerbesteuergesetzes von der Gewerbesteuer befreit."
)
DE_USE: Final = "Es wird bestätigt, dass die Zuwendung nur zur {purpose} verwendet wird."
DE_NO_OTHER_CONFIRMATIONS: Final = (
    "Es wird bestätigt, dass über die in der Gesamtsumme enthaltenen Zuwendungen keine weiteren "
    "Bestätigungen, weder formelle Zuwendungsbestätigungen noch Beitragsquittungen oder "
    "Ähnliches ausgestellt wurden und werden."
)
DE_WAIVER_IN_ANNEX: Final = (
    "Ob es sich um den Verzicht auf Erstattung von Aufwendungen handelt, ist der Anlage zur "
    "Sammelbestätigung zu entnehmen."
)
DE_SIGNATURE_CAPTION: Final = "(Ort, Datum und Unterschrift des Zuwendungsempfängers)"
#: Printed only once the office has told its tax office that it issues receipts by machine
#: (`machine_receipts_notified` in offices.toml); otherwise the receipt is signed by hand.
DE_MACHINE_MADE: Final = (
    "Diese Bestätigung wurde maschinell erstellt und ist ohne Unterschrift gültig."
)
DE_NOTE_TITLE: Final = "Hinweis:"
DE_LIABILITY: Final = (
    "Wer vorsätzlich oder grob fahrlässig eine unrichtige Zuwendungsbestätigung erstellt oder "
    "veranlasst, dass Zuwendungen nicht zu den in der Zuwendungsbestätigung angegebenen "
    "steuerbegünstigten Zwecken verwendet werden, haftet für die entgangene Steuer (§ 10b Abs. 4 "
    "EStG, § 9 Abs. 3 KStG, § 9 Nr. 5 GewStG)."
)
DE_NOTICE_AGE: Final = (
    "Diese Bestätigung wird nicht als Nachweis für die steuerliche Berücksichtigung der "
    "Zuwendung anerkannt, wenn das Datum des Freistellungsbescheides länger als 5 Jahre bzw. "
    "das Datum der Feststellung der Einhaltung der satzungsmäßigen Voraussetzungen nach § 60a "
    "Abs. 1 AO länger als 3 Jahre seit Ausstellung des Bescheides zurückliegt (§ 63 Abs. 5 AO)."
)
DE_ANNEX_TITLE: Final = "Anlage zur Sammelbestätigung Nr. {number}"
DE_ANNEX_COLUMNS: Final = (
    "Datum der Zuwendung",
    "Art der Zuwendung",
    "Verzicht auf Erstattung von Aufwendungen",
    "Betrag",
)
DE_GIFT_KIND: Final = "Geldzuwendung"
DE_NO: Final = "nein"
DE_TOTAL: Final = "Gesamtsumme"

# --- Texts every kind shares, per language -------------------------------------------------

COMMON: Final[Mapping[str, Mapping[str, str]]] = {
    "en": {
        "void_stamp": "VOID since {date}",
        "void_replaced_by": "replaced by receipt no. {number}",
        "number": "Receipt number",
        "issued_on": "Date of issue",
        "gift_date": "Date of gift",
        "amount": "Amount",
        "donor": "Donor",
        "period": "Period",
        "gifts": "Gifts in this period",
        "date": "Date",
        "reference": "Reference",
        "total": "Total",
        "replaces": "This receipt replaces receipt no. {number}, which is void.",
        "contact": "Questions? {email} · {phone}",
    },
    "de": {
        "void_stamp": "VOID – ungültig seit {date}",
        "void_replaced_by": "ersetzt durch Nr. {number}",
        "number": "Nr.",
        "issued_on": "Ausgestellt am",
        "gift_date": "Tag der Zuwendung",
        "amount": "Betrag",
        "donor": "Spender",
        "period": "Zeitraum",
        "gifts": "Zuwendungen im Zeitraum",
        "date": "Datum",
        "reference": "Referenz",
        "total": "Gesamtsumme",
        "replaces": "Diese Bestätigung ersetzt die Bestätigung Nr. {number}, die ungültig ist.",
        "contact": "Fragen? {email} · {phone}",
    },
    "nl": {
        "void_stamp": "VOID – ongeldig sinds {date}",
        "void_replaced_by": "vervangen door nr. {number}",
        "number": "Nummer",
        "issued_on": "Datum",
        "gift_date": "Datum van je gift",
        "amount": "Bedrag",
        "donor": "Gever",
        "period": "Periode",
        "gifts": "Je giften in deze periode",
        "date": "Datum",
        "reference": "Referentie",
        "total": "Totaal",
        "replaces": "Deze bevestiging vervangt bevestiging nr. {number}, die ongeldig is.",
        "contact": "Vragen? {email} · {phone}",
    },
    "fr": {
        "void_stamp": "VOID – annulé depuis le {date}",
        "void_replaced_by": "remplacé par le reçu no {number}",
        "number": "Numéro du reçu",
        "issued_on": "Date d'émission",
        "gift_date": "Date du don",
        "amount": "Montant",
        "donor": "Donateur",
        "period": "Période",
        "gifts": "Dons de la période",
        "date": "Date",
        "reference": "Référence",
        "total": "Total",
        "replaces": "Ce reçu remplace le reçu no {number}, qui est annulé.",
        "contact": "Questions? {email} · {phone}",
    },
}

# --- United Kingdom: thank-you receipt with the Gift Aid declaration -----------------------

UK_TITLE: Final = "Thank you for your gift"
UK_CHARITY_NUMBER: Final = "Registered charity number {number}"
UK_THANKS: Final = "Thank you for supporting the work of {charity}. This is your receipt."
UK_GIFT_AID_TITLE: Final = "Your Gift Aid declaration"
UK_GIFT_AID: Final = (
    "On {date} you declared that you want {charity} to treat this gift, all gifts you make in "
    "the future and those you made in the past 4 years as Gift Aid donations. You declared:"
)
UK_GIFT_AID_CANCEL: Final = (
    "You can cancel your declaration at any time: contact us at {email} or {phone}. Please also "
    "tell us if you change your name or home address, or no longer pay enough Income Tax or "
    "Capital Gains Tax to cover the Gift Aid on your gifts."
)

# --- Canada: official receipt for income tax purposes (CRA) ---------------------------------

CA: Final[Mapping[str, Mapping[str, str]]] = {
    "en": {
        "title": "Official receipt for income tax purposes",
        "registration": "Charity registration number (BN)",
        "serial": "Serial number",
        "place": "Place of issue",
        "received": "Date gift received",
        "received_period": "Gifts received",
        "amount": "Total amount of gift",
        "advantage_value": "Value of advantage",
        "advantage_description": "Description of advantage",
        "none": "None",
        "eligible": "Eligible amount of gift for tax purposes",
        "signature": "Authorized signature",
        "cra": "Canada Revenue Agency: canada.ca/charities-giving",
    },
    "fr": {
        "title": "Reçu officiel aux fins de l'impôt sur le revenu",
        "registration": "Numéro d'enregistrement de l'organisme de bienfaisance (NE)",
        "serial": "Numéro de série",
        "place": "Lieu de délivrance",
        "received": "Date de réception du don",
        "received_period": "Dons reçus",
        "amount": "Montant total du don",
        "advantage_value": "Valeur de l'avantage",
        "advantage_description": "Description de l'avantage",
        "none": "Aucun",
        "eligible": "Montant admissible du don aux fins de l'impôt",
        "signature": "Signature autorisée",
        "cra": "Agence du revenu du Canada : canada.ca/organismes-bienfaisance-dons",
    },
}

# --- Australia: receipt of a deductible gift recipient (DGR) ------------------------------

AU_TITLE: Final = "Receipt for your tax-deductible gift"
AU_ABN: Final = "ABN {abn}"
AU_GIFT: Final = (
    "{organisation} confirms that it received {amount} from you as a gift. You received "
    "nothing in return. Gifts of $2 or more to {organisation} are tax deductible."
)

AU_SUMMARY_TITLE: Final = "Summary of your gifts, {start} to {end}"
AU_SUMMARY_NOT_A_RECEIPT: Final = (
    "This is a summary for your records, not a receipt. Each gift listed here already has its "
    "own receipt, named in the list; keep those receipts for your tax return."
)
AU_SUMMARY_COLUMNS: Final = ("Date of gift", "Receipt", "Amount")
AU_SUMMARY_TOTAL: Final = "Total of the gifts receipted above"

# --- Netherlands: ANBI ----------------------------------------------------------------------

NL: Final[Mapping[str, Mapping[str, str]]] = {
    "nl": {
        "title": "Ontvangstbevestiging van je gift",
        "thanks": "Hartelijk dank voor je gift aan {anbi}.",
        "anbi": (
            "{anbi} is door de Belastingdienst aangemerkt als algemeen nut beogende instelling "
            "(ANBI). RSIN: {rsin}."
        ),
        "rsin": "RSIN",
        "recurring": (
            "Deze gift is een termijn van je terugkerende gift. Het is geen periodieke gift in de "
            "zin van de belastingwet: daarvoor is een schriftelijke overeenkomst van ten minste "
            "vijf jaar nodig."
        ),
    },
    "en": {
        "title": "Confirmation of your gift",
        "thanks": "Thank you for your gift to {anbi}.",
        "anbi": (
            "{anbi} is recognised by the Dutch Tax Administration as a public benefit "
            "organisation (ANBI). RSIN: {rsin}."
        ),
        "rsin": "RSIN",
        "recurring": (
            "This gift is an instalment of your recurring gift. It is not a periodic gift "
            "(periodieke gift) under Dutch tax law, which needs a written agreement of at least "
            "five years."
        ),
    },
}

# --- International office: United States 501(c)(3) acknowledgment -------------------------

US_TITLE: Final = "Acknowledgment of your contribution"
US_EXEMPT: Final = (
    "{organisation} is exempt from federal income tax under section 501(c)(3) of the Internal "
    "Revenue Code. EIN: {ein}."
)
US_THANKS: Final = "Thank you for your contribution of {amount} to {organisation}."
US_NO_GOODS: Final = "No goods or services were provided in exchange for this contribution."
