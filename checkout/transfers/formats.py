"""The files of a batch, rendered from plain rows: same rows in, same bytes out.

Everything that could vary is fixed: rows sorted by id, columns in a fixed order, UTF-8 without
a byte-order mark, CRLF line ends in CSV (RFC 4180), JSON with sorted keys, money as integer
minor units beside its currency, moments as ISO 8601 UTC to the second with a "Z". The columns
are documented in checkout/transfers/README.md; a test keeps that page and these tuples in step.

CSV files are opened in spreadsheets, which run a cell that starts with `=`, `+`, `-` or `@`
(or a tab or carriage return before one) as a formula: every such text cell is written with
a leading apostrophe, which spreadsheets read as "this is text". JSON keeps values as they are.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

FORMAT = "checkout.office-export"
FORMAT_VERSION = 2

DONOR_COLUMNS = (
    "donor_id",
    "first_name",
    "middle_initial",
    "last_name",
    "email",
    "phone",
    "address_line1",
    "address_line2",
    "postcode",
    "city",
    "region",
    "country",
    "postal_address",
    "language",
)
#: Donor columns holding personal data: blanked when a donor is redacted from a kept batch.
PERSONAL_COLUMNS = tuple(c for c in DONOR_COLUMNS if c not in ("donor_id", "country", "language"))
GIFT_COLUMNS = (
    "donation_id",
    "payment_id",
    "paid_at",
    "amount_minor",
    "refunded_minor",
    "currency",
    "frequency",
    "method",
    "status",
    "receipt_number",
    "gift_aid_declared_at",
    "gift_aid_cancelled_at",
    "gift_aid_claimable",
)
#: The latest decision sent so far for each topic (empty when there is none).
SUMMARY_COLUMNS = (
    "consent_transfer_notice",
    "consent_email_fundraising",
    "consent_sms_fundraising",
)
CONSENT_COLUMNS = (
    "consent_id",
    "donor_id",
    "donation_id",
    "email",
    "purpose",
    "decision",
    "channel",
    "legal_basis",
    "notice_version",
    "notice_language",
    "notice_sha256",
    "recorded_at",
    "form",
    "implied_consent_lapses_at",
)
BATCH_COLUMNS = ("office", "batch")
GIFTS_CSV_COLUMNS = BATCH_COLUMNS + DONOR_COLUMNS + GIFT_COLUMNS + SUMMARY_COLUMNS
CONSENTS_CSV_COLUMNS = BATCH_COLUMNS + CONSENT_COLUMNS


@dataclass(frozen=True, slots=True)
class DonorRow:
    """A donor's details as they stand when the batch is made."""

    donor_id: int
    first_name: str
    middle_initial: str
    last_name: str
    email: str
    phone: str
    address_line1: str
    address_line2: str
    postcode: str
    city: str
    region: str
    country: str
    postal_address: tuple[str, ...]  # the lines in the country's postal order
    language: str


@dataclass(frozen=True, slots=True)
class GiftRow:
    """One kept payment: a one-time gift, or one instalment of a recurring one."""

    donor_id: int
    donation_id: str
    payment_id: int
    paid_at: datetime | None
    amount_minor: int
    refunded_minor: int
    currency: str
    frequency: str
    method: str
    status: str
    receipt_number: str | None
    gift_aid_declared_at: datetime | None
    gift_aid_cancelled_at: datetime | None
    gift_aid_claimable: bool  # declared, and made before any cancellation


@dataclass(frozen=True, slots=True)
class ConsentRow:
    """One consent ledger row, with the notice it cites."""

    consent_id: int
    donor_id: int
    donation_id: str | None
    email: str
    purpose: str
    decision: str
    channel: str | None
    legal_basis: str
    notice_version: str
    notice_language: str
    notice_sha256: str
    recorded_at: datetime
    form: str
    implied_consent_lapses_at: datetime | None


@dataclass(frozen=True, slots=True)
class NoticeText:
    """The exact text a consent row cites, by its hash."""

    sha256: str
    purpose: str
    language: str
    version: str
    text: str


@dataclass(frozen=True, slots=True)
class BatchContent:
    """Everything one batch says, before it becomes bytes."""

    office: str
    number: int
    created_at: datetime
    paid_before: datetime
    donors: tuple[DonorRow, ...]
    gifts: tuple[GiftRow, ...]
    consents: tuple[ConsentRow, ...]
    summaries: Mapping[int, Mapping[str, str]]  # donor id -> SUMMARY_COLUMNS -> decision
    notices: tuple[NoticeText, ...]


@dataclass(frozen=True, slots=True)
class BatchFiles:
    """The bytes of a batch's three files."""

    gifts_csv: bytes
    consents_csv: bytes
    batch_json: bytes


def moment(value: datetime | None) -> str | None:
    """2026-11-29T10:15:00Z; None stays None."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime in an export")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _plain(value: Any) -> Any:
    """A JSON value: moments as text, tuples as lists, everything else as it is."""
    if isinstance(value, tuple):
        return list(value)
    return moment(value) if isinstance(value, datetime) else value


def _record(row: Any, skip: Iterable[str] = ()) -> dict[str, Any]:
    return {key: _plain(value) for key, value in asdict(row).items() if key not in skip}


def render(content: BatchContent) -> BatchFiles:
    """The three files of a batch."""
    return BatchFiles(_gifts_csv(content), _consents_csv(content), _batch_json(content))


#: What makes a spreadsheet read a cell as a formula (OWASP's list for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """`value`, with an apostrophe before it if a spreadsheet would run it as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):  # address lines: one cell, one line each
        value = "\n".join(value)
    return spreadsheet_safe(value) if isinstance(value, str) else value


def _csv(columns: Iterable[str], rows: Iterable[Mapping[str, Any]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(value) for key, value in row.items()})
    return out.getvalue().encode("utf-8")


def _gifts_csv(content: BatchContent) -> bytes:
    donors = {donor.donor_id: _record(donor) for donor in content.donors}
    batch = {"office": content.office, "batch": content.number}
    rows = [
        {
            **batch,
            **donors[gift.donor_id],
            **_record(gift, skip={"donor_id"}),
            **content.summaries.get(gift.donor_id, {}),
        }
        for gift in content.gifts
    ]
    return _csv(GIFTS_CSV_COLUMNS, rows)


def _consents_csv(content: BatchContent) -> bytes:
    batch = {"office": content.office, "batch": content.number}
    return _csv(CONSENTS_CSV_COLUMNS, ({**batch, **_record(row)} for row in content.consents))


def _batch_json(content: BatchContent) -> bytes:
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "office": content.office,
        "batch": content.number,
        "created_at": moment(content.created_at),
        "paid_before": moment(content.paid_before),
        "counts": {
            "donors": len(content.donors),
            "gifts": len(content.gifts),
            "consents": len(content.consents),
        },
        "donors": _donor_documents(content),
        "notices": [_record(notice) for notice in content.notices],
    }
    return _json_bytes(document)


def _donor_documents(content: BatchContent) -> list[dict[str, Any]]:
    gifts: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for gift in content.gifts:
        gifts[gift.donor_id].append(_record(gift, skip={"donor_id"}))
    consents: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in content.consents:
        consents[row.donor_id].append(_record(row, skip={"donor_id"}))
    documents = []
    for donor in content.donors:
        summary = content.summaries.get(donor.donor_id, {})
        documents.append(
            {
                **_record(donor),
                "consent_summary": {column: summary.get(column, "") for column in SUMMARY_COLUMNS},
                "gifts": gifts[donor.donor_id],
                "consents": consents[donor.donor_id],
            }
        )
    return documents


def redact(files: BatchFiles, donor_ids: set[int]) -> BatchFiles:
    """The same files with the personal data of `donor_ids` blanked (ids, gifts, consent
    decisions and notice texts stay): what erasure leaves of a batch still kept."""
    return BatchFiles(
        _redact_csv(files.gifts_csv, donor_ids, PERSONAL_COLUMNS),
        _redact_csv(files.consents_csv, donor_ids, ("email",)),
        _redact_json(files.batch_json, donor_ids),
    )


def _redact_csv(data: bytes, donor_ids: set[int], columns: tuple[str, ...]) -> bytes:
    reader = csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""))
    rows = []
    for row in reader:
        if row.get("donor_id", "").isdigit() and int(row["donor_id"]) in donor_ids:
            row.update({column: "" for column in columns if column in row})
        rows.append(row)
    return _csv(reader.fieldnames or (), rows)  # cells stay safe: "'" is no formula start


def _redact_json(data: bytes, donor_ids: set[int]) -> bytes:
    document = json.loads(data.decode("utf-8"))
    for donor in document.get("donors", []):
        if donor.get("donor_id") in donor_ids:
            donor.update({column: None for column in PERSONAL_COLUMNS if column in donor})
            for row in donor.get("consents", []):
                row["email"] = None
    return _json_bytes(document)


def _json_bytes(document: Mapping[str, Any]) -> bytes:
    text = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True)
    return (text + "\n").encode("utf-8")
