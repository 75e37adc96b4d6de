"""The files of a batch, rendered from plain rows: same rows in, same bytes out.

Everything that could vary is fixed: rows sorted by id, columns in a fixed order, UTF-8 without
a byte-order mark, CRLF line ends in CSV (RFC 4180), JSON with sorted keys, money as integer
minor units beside its currency, moments as ISO 8601 UTC to the second with a "Z". The columns
are documented in checkout/transfers/README.md; a test keeps that page and these tuples in step.
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
FORMAT_VERSION = 1

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
    "country",
    "language",
)
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
    country: str
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
    """A JSON value: moments as text, everything else as it is."""
    return moment(value) if isinstance(value, datetime) else value


def _record(row: Any, skip: Iterable[str] = ()) -> dict[str, Any]:
    return {key: _plain(value) for key, value in asdict(row).items() if key not in skip}


def render(content: BatchContent) -> BatchFiles:
    """The three files of a batch."""
    return BatchFiles(_gifts_csv(content), _consents_csv(content), _batch_json(content))


def _csv(columns: tuple[str, ...], rows: Iterable[Mapping[str, Any]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n", extrasaction="raise")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: "" if value is None else value for key, value in row.items()})
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
    text = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True)
    return (text + "\n").encode("utf-8")


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
