"""Who may do what: the one table of permissions by role, and office scopes.

Views never test role names themselves: they name a permission here (through
`staff.access.requires`), so the table below is the whole of the rules, and the permission
matrix test walks every route against it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, true
from sqlalchemy.orm import InstrumentedAttribute

from checkout.staff.models import ALL_OFFICES

#: Find donors and read everything about them (their receipts' PDFs included).
READ_DONORS = "donors.read"
#: Resend and correct receipts, pause and cancel plans, add notes, retry dead messages.
SUPPORT_DONORS = "donors.support"
#: Refund payments.
REFUND = "payments.refund"
#: Invite, change and deactivate staff accounts.
MANAGE_STAFF = "staff.manage"
#: Read and export the audit log.
READ_AUDIT = "audit.read"
#: See payouts, reconciliation and the finance dashboard; export for the books.
READ_FINANCE = "finance.read"
#: Mark a reconciliation exception explained.
RECONCILE = "finance.reconcile"

PERMISSIONS: dict[str, frozenset[str]] = {
    READ_DONORS: frozenset({"support", "finance"}),
    SUPPORT_DONORS: frozenset({"support"}),
    REFUND: frozenset({"finance"}),
    MANAGE_STAFF: frozenset({"admin"}),
    READ_AUDIT: frozenset({"admin"}),
    READ_FINANCE: frozenset({"finance"}),
    RECONCILE: frozenset({"finance"}),
}


def allows(roles: Iterable[str], permission: str) -> bool:
    """True when any of `roles` carries `permission`."""
    return bool(PERMISSIONS[permission] & set(roles))


@dataclass(frozen=True, slots=True)
class Scope:
    """The offices an account may see; `codes` None means every office."""

    codes: frozenset[str] | None

    @classmethod
    def of(cls, granted: Iterable[str]) -> Scope:
        """The scope of an account's granted office codes (ALL grants every office)."""
        codes = frozenset(granted)
        return cls(None if ALL_OFFICES in codes else codes)

    def allows(self, office_code: str | None) -> bool:
        """True when a record of `office_code` is within the scope."""
        return self.codes is None or office_code in self.codes

    def covers(self, granted: Iterable[str]) -> bool:
        """True when every office in `granted` is within this scope (ALL only under ALL)."""
        if self.codes is None:
            return True
        codes = frozenset(granted)
        return ALL_OFFICES not in codes and codes <= self.codes

    def where(self, column: InstrumentedAttribute[str]) -> ColumnElement[bool]:
        """A filter keeping the rows of `column`'s office within the scope."""
        return true() if self.codes is None else column.in_(sorted(self.codes))
