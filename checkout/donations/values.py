"""What a donor chose and told us, as the wizard hands it on: plain values, no Flask, no rows."""

from __future__ import annotations

from dataclasses import dataclass

from checkout.core.money import Money


@dataclass(frozen=True, slots=True)
class Gift:
    """The amount step's outcome."""

    amount: Money  # the gift itself
    frequency: str  # once, monthly, yearly
    cover_fee: bool
    fee: Money  # the covered fee (zero unless cover_fee)

    @property
    def total(self) -> Money:
        """What the donor is charged each time."""
        return self.amount + self.fee

    @property
    def currency(self) -> str:
        """The gift's currency."""
        return self.amount.currency


@dataclass(frozen=True, slots=True)
class DonorDetails:
    """The details step's outcome, normalised (postcode upper-cased, phone in E.164)."""

    country: str
    first_name: str
    middle_initial: str  # "" when the office does not ask or the donor has no middle name
    last_name: str
    email: str
    phone: str  # E.164 or ""
    address_line1: str
    address_line2: str
    postcode: str
    city: str
    region: str  # state, province, county where the country has them ("" otherwise)
    email_opt_in: bool
    gift_aid: bool
    notice_office: str  # the office whose notice the donor saw and acknowledged
    notice_version: str
    notice_language: str

    @property
    def full_name(self) -> str:
        """The name as a receipt prints it."""
        middle = f" {self.middle_initial}." if self.middle_initial else ""
        return f"{self.first_name}{middle} {self.last_name}"


def total_token(total: Money) -> str:
    """How the review page states the total it showed, compared when "Donate" is pressed."""
    return f"{total.currency}:{total.minor}"
