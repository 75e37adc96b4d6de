"""The payment gateway as the rest of the checkout sees it: small, typed, vendor-neutral.

`StripeGateway` implements it; tests and the demo point it at the local stand-in by
configuration, never by swapping code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from checkout.core.money import Money


class GatewayError(Exception):
    """The payment provider refused or failed; `code` is its machine-readable reason."""

    def __init__(
        self, message: str, code: str = "", status: int = 0, charge: str | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.charge = charge  # a declined card's failed charge


class EventVerificationError(GatewayError):
    """A webhook whose signature does not match the office's secret."""


@dataclass(frozen=True, slots=True)
class OneTimePaymentRequest:
    """Everything needed to create a PaymentIntent for one gift."""

    donation_id: int
    key: str  # idempotency prefix from our row, unique for ever: "donation-<public id>"
    amount: Money  # what is charged: the gift plus any covered fee
    method: str  # Stripe payment_method type
    email: str
    description: str
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RecurringPlanRequest:
    """Everything needed to create a Customer (if new) and a Subscription."""

    donation_id: int
    key: str  # idempotency prefix from our row, unique for ever: "donation-<public id>"
    donor_id: int
    amount: Money  # charged each period
    interval: str  # month or year
    method: str
    email: str
    name: str
    customer_id: str | None  # reuse the donor's Customer in this office's account
    product_name: str
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CreatedPayment:
    """A PaymentIntent waiting for the donor to confirm it in the browser."""

    payment_intent_id: str
    client_secret: str
    status: str


@dataclass(frozen=True, slots=True)
class CreatedPlan:
    """A Subscription whose first invoice waits for the donor to confirm it."""

    customer_id: str
    subscription_id: str
    client_secret: str
    status: str
    current_period_end: int | None
    first_payment_intent_id: str | None = None  # the first invoice's, confirmed by our server


@dataclass(frozen=True, slots=True)
class TokenPreview:
    """What a ConfirmationToken says about the payment details the donor typed."""

    id: str
    method_type: str  # card, sepa_debit, ...
    card_fingerprint: str | None  # the same card gives the same one within an account
    used: bool  # it confirmed an intent already


@dataclass(frozen=True, slots=True)
class ConfirmRequest:
    """One attempt to pay an existing PaymentIntent, made by our server."""

    payment_intent_id: str
    confirmation_token: str | None  # None: confirm again after 3-D Secure (manual intents)
    return_url: str
    key: str  # idempotency key from our attempt row


@dataclass(frozen=True, slots=True)
class Confirmation:
    """What one attempt came to."""

    status: str  # the PaymentIntent's status after it
    client_secret: str | None  # only when the donor must act (3-D Secure, a bank's page)
    decline_code: str | None  # set when the attempt was declined
    charge_id: str | None  # the charge the attempt made, if any
    #: The bank account must first be verified by micro-deposits (Canadian pre-authorised
    #: debit): when they should arrive, and the page where the donor confirms them.
    microdeposits: Microdeposits | None = None


@dataclass(frozen=True, slots=True)
class Microdeposits:
    """A pre-authorised debit waiting for the donor to confirm two small deposits."""

    arrival_date: int  # Unix time by which the deposits should be in the account
    verification_url: str  # Stripe's hosted page where the donor enters them


@dataclass(frozen=True, slots=True)
class PaymentIntentState:
    """What we read from a PaymentIntent."""

    id: str
    status: str  # Stripe's: requires_payment_method, processing, succeeded, canceled, ...
    amount: Money
    latest_charge_id: str | None
    error_code: str | None  # last_payment_error.decline_code or .code
    metadata: dict[str, str]


@dataclass(frozen=True, slots=True)
class BalanceState:
    """The balance transaction of a charge: what reached the office, after fees."""

    id: str
    fee_minor: int
    net_minor: int
    currency: str
    exchange_rate: str | None


@dataclass(frozen=True, slots=True)
class BalanceLine:
    """One balance transaction of a payout: what moved, for which source, after fees."""

    balance: BalanceState
    type: str  # charge, payment, refund, payment_failure_refund, refund_failure, adjustment, ...
    source_id: str | None  # the charge, refund, dispute or payout it comes from
    amount_minor: int  # in the settlement currency, like fee and net
    #: The charge behind the source: the charge itself, a refund's or a dispute's charge.
    charge_id: str | None = None
    created: int = 0  # Unix time
    reporting_category: str = ""  # Stripe's: charge, refund, dispute, dispute_reversal, ...


@dataclass(frozen=True, slots=True)
class PayoutState:
    """What we read from a Payout."""

    id: str
    status: str  # pending, in_transit, paid, failed, canceled
    #: `completed` once listing its balance transactions returns all of them.
    reconciliation_status: str
    amount: Money
    arrival_date: int
    created: int = 0  # Unix time
    failure_code: str | None = None  # a failed payout's reason (account_closed, ...)


@dataclass(frozen=True, slots=True)
class PayoutPage:
    """One page of an office's payouts, newest first; `has_more`: older ones follow."""

    payouts: list[PayoutState]
    has_more: bool


@dataclass(frozen=True, slots=True)
class ChargeState:
    """What we read from a Charge: refunds, disputes and the money that settled."""

    id: str
    payment_intent_id: str | None
    amount: Money
    #: Refunded and not failed: succeeded refunds and those still on their way (a bank
    #: debit's refund stays pending for days, and may fail, which gives the money back).
    amount_refunded_minor: int
    dispute_status: str | None  # Stripe's: needs_response, under_review, won, lost, ...
    #: Its balance transaction; None until an asynchronous capture completes
    #: (`charge.updated` brings it).
    balance: BalanceState | None
    paid_at: int
    #: Stripe's refund `reason` (duplicate, fraudulent, requested_by_customer); "fraudulent"
    #: when any refund of the charge says so, else the newest one given; None without one.
    refund_reason: str | None = None
    #: The card's (or debited account's) last four digits and the card brand, for support.
    last4: str | None = None
    brand: str | None = None
    #: Stripe's charge status: succeeded, pending (a debit submitted) or failed.
    status: str = "succeeded"
    #: A failed debit's reversal of what was booked at its submission.
    failure_balance_id: str | None = None
    #: True when the newest dispute took money out of the balance for good so far (its
    #: balance transactions sum below zero): how a `prevented` dispute is told apart.
    dispute_withdrawn: bool = False


@dataclass(frozen=True, slots=True)
class InvoiceState:
    """What we read from an Invoice: one instalment of a recurring gift."""

    id: str
    status: str  # draft, open, paid, uncollectible, void
    subscription_id: str | None
    customer_id: str | None
    amount_paid: Money
    payment_intent_id: str | None
    paid_at: int | None


@dataclass(frozen=True, slots=True)
class SubscriptionState:
    """What we read from a Subscription."""

    id: str
    status: str
    customer_id: str
    current_period_end: int | None
    canceled_at: int | None
    metadata: dict[str, str]
    #: While collection is paused: Stripe's pause behaviour ("void", ...); else None.
    pause_behavior: str | None = None
    #: Cancelled by request at the end of the period: it still debits until `cancel_at`
    #: (while `canceled_at` already says when that was asked for).
    cancel_at_period_end: bool = False
    cancel_at: int | None = None
    ended_at: int | None = None
    #: What each period charges now (all items), once read from Stripe.
    amount: Money | None = None
    #: While paused: when collection resumes by itself (Unix time), if it was given.
    resumes_at: int | None = None


@dataclass(frozen=True, slots=True)
class SetupRequest:
    """Save a new card or bank account for a customer's recurring gift (a SetupIntent that
    our server confirms with the ConfirmationToken the page made)."""

    key: str  # idempotency key from our row
    customer_id: str
    method: str  # the payment_method type: the plan's own
    confirmation_token: str
    return_url: str
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SetupState:
    """What a SetupIntent came to."""

    id: str
    status: str  # succeeded, requires_action, requires_payment_method, processing, canceled
    client_secret: str | None  # only while the donor must act (3-D Secure in the page)
    payment_method_id: str | None
    method_type: str | None
    last4: str | None  # the card's (or account's) last four digits
    brand: str | None
    decline_code: str | None  # set when the card was declined or authentication failed
    mandate_reference: str | None = None  # a bank debit's new mandate, told to the donor


@dataclass(frozen=True, slots=True)
class VerifiedEvent:
    """A webhook event whose signature matched."""

    id: str
    type: str
    object_id: str
    created: int
    payload: dict[str, Any]


class PaymentGateway(Protocol):
    """The operations the checkout needs from a payment provider, per office."""

    def create_one_time_payment(
        self, office: str, request: OneTimePaymentRequest
    ) -> CreatedPayment: ...

    def create_recurring_plan(self, office: str, request: RecurringPlanRequest) -> CreatedPlan: ...

    def confirmation_token(self, office: str, token_id: str) -> TokenPreview: ...

    def confirm_payment(self, office: str, request: ConfirmRequest) -> Confirmation: ...

    def cancel_payment(self, office: str, payment_intent_id: str) -> None: ...

    def refund(
        self, office: str, payment_intent_id: str, amount: Money | None, key: str
    ) -> str: ...

    def cancel_recurring(self, office: str, subscription_id: str) -> SubscriptionState: ...

    def delete_customer(self, office: str, customer_id: str) -> bool:
        """Delete the Customer and what the provider holds on it (its subscriptions end too);
        False when it was deleted before. For erasure, once nothing is still due."""
        ...

    def pause_recurring(
        self, office: str, subscription_id: str, resumes_at: int | None = None
    ) -> SubscriptionState:
        """Void each period's invoice until collection resumes (by itself at `resumes_at`,
        Unix time, when given)."""
        ...

    def change_recurring_amount(
        self, office: str, subscription_id: str, amount: Money, key: str
    ) -> SubscriptionState:
        """Charge `amount` each period from the next one on (no proration); `key` from our row."""
        ...

    def create_setup(self, office: str, request: SetupRequest) -> SetupState:
        """A SetupIntent confirmed with the page's ConfirmationToken; a decline is an answer."""
        ...

    def setup(self, office: str, setup_intent_id: str) -> SetupState:
        """The SetupIntent as Stripe has it now (after 3-D Secure in the page)."""
        ...

    def use_payment_method(
        self, office: str, subscription_id: str, payment_method_id: str
    ) -> SubscriptionState:
        """Debit the recurring gift from this (saved) payment method from now on."""
        ...

    def resume_recurring(self, office: str, subscription_id: str) -> SubscriptionState: ...

    def payment_intent(self, office: str, payment_intent_id: str) -> PaymentIntentState: ...

    def charge(self, office: str, charge_id: str) -> ChargeState: ...

    def invoice(self, office: str, invoice_id: str) -> InvoiceState: ...

    def invoice_of_payment_intent(self, office: str, payment_intent_id: str) -> str | None: ...

    def subscription(self, office: str, subscription_id: str) -> SubscriptionState: ...

    def payout(self, office: str, payout_id: str) -> PayoutState: ...

    def payout_lines(self, office: str, payout_id: str) -> list[BalanceLine]: ...

    def payouts_page(
        self,
        office: str,
        *,
        created_since: int | None = None,
        starting_after: str | None = None,
        limit: int = 100,
    ) -> PayoutPage:
        """The office's payouts created at or after `created_since` (Unix time), newest
        first, after the payout `starting_after` (Stripe's cursor)."""
        ...

    def verify_event(self, office: str, payload: bytes, signature: str) -> VerifiedEvent: ...

    def mandate_reference(self, office: str, charge_id: str) -> str | None: ...

    def publishable_key(self, office: str) -> str: ...
