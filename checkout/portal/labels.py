"""Donor-facing names of states in the portal, translated when shown."""

from __future__ import annotations

from typing import Any

from checkout.site.i18n import lazy_gettext as _l

PAYMENT_STATES = {
    "draft": _l("Not started"),
    "pending": _l("Waiting for payment"),
    "processing": _l("Being processed"),
    "succeeded": _l("Paid"),
    "failed": _l("Did not go through"),
    "canceled": _l("Cancelled"),
    "partially_refunded": _l("Partly refunded"),
    "refunded": _l("Refunded"),
    "disputed": _l("Disputed"),
    "won": _l("Paid"),
    "lost": _l("Charged back"),
}

PLAN_STATES = {
    "active": _l("Active"),
    "past_due": _l("Payment overdue"),
    "unpaid": _l("Payment overdue"),
    "incomplete": _l("Waiting for the first payment"),
    "incomplete_expired": _l("Never started"),
    "canceled": _l("Stopped"),
    "paused": _l("Paused"),
    "trialing": _l("Active"),
}

RECEIPT_STATES = {"issued": _l("Valid"), "void": _l("Void")}

CONSENT_DECISIONS = {
    "acknowledged": _l("Acknowledged"),
    "granted": _l("Agreed"),
    "confirmed": _l("Confirmed"),
    "withdrawn": _l("Withdrawn"),
    "implied": _l("Implied by a gift"),
}

CONSENT_PURPOSES = {
    "data_transfer": _l("Where your data goes"),
    "privacy": _l("Privacy notice"),
    "email_fundraising": _l("Emails about our work and giving"),
    "sms_fundraising": _l("Text messages about our work and giving"),
    "gift_aid_declaration": _l("Gift Aid declaration"),
    "direct_debit_mandate": _l("Direct debit mandate"),
}


def plan_state(plan: Any) -> str:
    """A recurring plan's state as the donor reads it (paused collection included)."""
    if plan.pause_collection and plan.status in ("active", "past_due"):
        return str(PLAN_STATES["paused"])
    return str(PLAN_STATES.get(plan.status, plan.status))
