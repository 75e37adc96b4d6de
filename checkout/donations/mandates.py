"""The direct-debit mandate a donor accepts on review: a versioned notice of the office.

Its text lives in config/offices.toml (`notices.direct_debit_mandate`), so it is versioned,
locked and recorded in the consent ledger like every other notice. The review page posts back
which version and language it showed; paying refuses a mismatch rather than record a text the
donor did not read.
"""

from __future__ import annotations

from checkout.offices import Notice, Office
from checkout.offices.models import DEBIT_METHODS


def mandate_notice(office: Office, method: str) -> Notice | None:
    """The mandate the donor accepts by paying with `method`, or None for cards and iDEAL."""
    if method not in DEBIT_METHODS:
        return None
    return office.notices["direct_debit_mandate"]


def mandate_reference(office: Office, method: str, language: str) -> str:
    """'OFFICE:VERSION:LANG' of the mandate shown for `method`; empty when there is none."""
    notice = mandate_notice(office, method)
    return f"{office.code}:{notice.version}:{language}" if notice else ""
