"""What a donor chose, office by office: the notices they were shown (the exact text and
when), their email opt-in, a UK Gift Aid declaration, and what they may decide now.
Services take a Session; no Flask here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from checkout.consent.decisions import EMAIL, GIFT_AID, latest, suppressed_since
from checkout.consent.models import ConsentRecord
from checkout.donations.models import Donor
from checkout.offices import Office, OfficeRegistry


@dataclass(frozen=True, slots=True)
class OfficeChoices:
    """One office's notices and decisions for one donor, and what may be decided now."""

    donor: Donor
    office: Office
    records: list[ConsentRecord]
    email: str | None  # the latest email opt-in decision, or None
    suppressed: bool  # the address is on the office's suppression list
    gift_aid: str | None  # the latest Gift Aid decision (UK), or None

    @property
    def awaiting_confirmation(self) -> bool:
        """An email opt-in that counts only once confirmed (double opt-in), not yet confirmed."""
        notice = self.office.notices.get(EMAIL)
        return bool(notice and notice.double_opt_in) and self.email == "granted"

    @property
    def may_withdraw(self) -> bool:
        """An opt-in that stands (granted, confirmed, or implied by a gift)."""
        return self.email in ("granted", "confirmed", "implied") and not self.suppressed

    @property
    def gift_aid_offered(self) -> bool:
        """The office claims Gift Aid (UK)."""
        return GIFT_AID in self.office.notices

    @property
    def gift_aid_declared(self) -> bool:
        """A Gift Aid declaration stands."""
        return self.gift_aid == "granted"


def choices_of(
    session: Session, donors: Sequence[Donor], offices: OfficeRegistry, hash_key: str
) -> list[OfficeChoices]:
    """Per donor record (office), every ledger row with its notice, and the latest decisions."""
    found = []
    for donor in donors:
        records = list(
            session.scalars(
                select(ConsentRecord)
                .where(ConsentRecord.donor_id == donor.id)
                .options(selectinload(ConsentRecord.notice))
                .order_by(ConsentRecord.recorded_at, ConsentRecord.id)
            )
        )
        email = latest(session, donor.id, donor.office_code, EMAIL)
        aid = latest(session, donor.id, donor.office_code, GIFT_AID)
        found.append(
            OfficeChoices(
                donor=donor,
                office=offices.get(donor.office_code),
                records=records,
                email=email.decision if email else None,
                suppressed=suppressed_since(session, donor.office_code, donor.email, hash_key)
                is not None,
                gift_aid=aid.decision if aid else None,
            )
        )
    return found
