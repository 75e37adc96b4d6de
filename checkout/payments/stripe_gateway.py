"""The gateway on Stripe: the only module that imports `stripe`.

One `StripeClient` per office (each office is its own Stripe account), with the base address
from configuration so the same code talks to Stripe in production and to the local stand-in in
the demo and tests. Every create call carries an idempotency key derived from our own row.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any, Literal

import stripe
from stripe.params import (
    PaymentIntentConfirmParams,
    PaymentIntentCreateParams,
    PaymentIntentCreateParamsPaymentMethodOptionsAcssDebit,
    PayoutListParams,
    RefundCreateParams,
    SetupIntentCreateParams,
    SubscriptionCreateParams,
    SubscriptionCreateParamsPaymentSettingsPaymentMethodOptionsAcssDebit,
    SubscriptionUpdateParams,
    SubscriptionUpdateParamsPauseCollection,
)

from checkout.core.money import Money
from checkout.payments.credentials import OfficeKeys
from checkout.payments.gateway import (
    BalanceLine,
    BalanceState,
    ChargeState,
    Confirmation,
    ConfirmRequest,
    CreatedPayment,
    CreatedPlan,
    EventVerificationError,
    GatewayError,
    InvoiceState,
    Microdeposits,
    OneTimePaymentRequest,
    PaymentIntentState,
    PayoutPage,
    PayoutState,
    RecurringPlanRequest,
    SetupRequest,
    SetupState,
    SubscriptionState,
    TokenPreview,
    VerifiedEvent,
)

#: How far a webhook signature's timestamp may lie from now, either way (Stripe's default).
WEBHOOK_TOLERANCE_SECONDS = 300
#: The Product every recurring gift's price belongs to, created once per account.
RECURRING_PRODUCT_ID = "recurring_gift"
#: A Canadian pre-authorised debit needs the mandate's terms: a gift once is a `sporadic`
#: payment, a donor a `personal` account; the bank account is verified instantly where it can
#: be, by micro-deposits otherwise (`automatic`). The SDK's
#: PaymentIntentCreateParamsPaymentMethodOptionsAcssDebit(MandateOptions) and
#: https://docs.stripe.com/payments/acss-debit/accept-a-payment.
ONE_TIME_PAD: PaymentIntentCreateParamsPaymentMethodOptionsAcssDebit = {
    "mandate_options": {"payment_schedule": "sporadic", "transaction_type": "personal"},
    "verification_method": "automatic",
}
#: A subscription's mandate takes only the transaction type; its schedule is the
#: subscription's (SubscriptionCreateParamsPaymentSettingsPaymentMethodOptionsAcssDebit).
RECURRING_PAD: SubscriptionCreateParamsPaymentSettingsPaymentMethodOptionsAcssDebit = {
    "mandate_options": {"transaction_type": "personal"},
    "verification_method": "automatic",
}


class StripeGateway:
    """PaymentGateway implemented with the stripe SDK, one client per office."""

    def __init__(self, keys: Mapping[str, OfficeKeys], api_base: str, retries: int = 2) -> None:
        """Build one StripeClient per office code."""
        self._keys = dict(keys)
        self._clients = {
            code: stripe.StripeClient(
                office_keys.secret_key,
                base_addresses={"api": api_base},
                max_network_retries=retries,
            )
            for code, office_keys in keys.items()
        }

    def _client(self, office: str) -> stripe.StripeClient:
        return self._clients[office]

    def publishable_key(self, office: str) -> str:
        """The key the browser uses for this office's account."""
        return self._keys[office].publishable_key

    # --- creating --------------------------------------------------------------------------

    def create_one_time_payment(
        self, office: str, request: OneTimePaymentRequest
    ) -> CreatedPayment:
        """A PaymentIntent for the server-computed amount, keyed by our donation id."""
        params: PaymentIntentCreateParams = {
            "amount": request.amount.minor,
            "currency": request.amount.currency.lower(),
            "allowed_payment_method_types": [request.method],
            "receipt_email": request.email,
            "description": request.description,
            # Card attempts only ever come from our server (after our card-testing limits):
            # a manual intent refuses confirmation with the publishable key, so its client
            # secret, once shown for 3-D Secure, cannot be used to try other cards.
            "confirmation_method": "manual" if request.method == "card" else "automatic",
            "metadata": {
                "donation_id": str(request.donation_id),
                "office": office,
                **request.metadata,
            },
        }
        if request.method == "acss_debit":
            params["payment_method_options"] = {"acss_debit": ONE_TIME_PAD}
        with _translated_errors():
            intent = self._client(office).v1.payment_intents.create(
                params=params, options={"idempotency_key": f"{request.key}-pi"}
            )
        return CreatedPayment(intent.id, intent.client_secret or "", intent.status)

    def create_recurring_plan(self, office: str, request: RecurringPlanRequest) -> CreatedPlan:
        """Customer (reused per donor and office), then a default_incomplete Subscription."""
        with _translated_errors():
            customer_id = request.customer_id or self._create_customer(office, request)
            self._ensure_product(office, request.product_name)
            subscription = self._client(office).v1.subscriptions.create(
                params=_subscription_params(customer_id, request),
                options={"idempotency_key": f"{request.key}-sub"},
            )
        invoice = subscription.latest_invoice
        secret, first_intent = "", None
        if isinstance(invoice, stripe.Invoice):
            if invoice.confirmation_secret is not None:
                secret = invoice.confirmation_secret.client_secret
            first_intent = _invoice_payment_intent(invoice)
        return CreatedPlan(
            customer_id,
            subscription.id,
            secret,
            subscription.status,
            _period_end(subscription),
            first_intent,
        )

    def _create_customer(self, office: str, request: RecurringPlanRequest) -> str:
        customer = self._client(office).v1.customers.create(
            params={
                "email": request.email,
                "name": request.name,
                "metadata": {"donor_id": str(request.donor_id), "office": office},
            },
            options={"idempotency_key": f"{request.key}-customer"},
        )
        return customer.id

    def _ensure_product(self, office: str, name: str) -> None:
        """The product recurring prices point at; created with a fixed id the first time."""
        try:
            self._client(office).v1.products.retrieve(RECURRING_PRODUCT_ID)
        except stripe.InvalidRequestError as error:
            if error.http_status != 404:
                raise
            self._client(office).v1.products.create(
                params={"id": RECURRING_PRODUCT_ID, "name": name},
                options={"idempotency_key": f"product-{RECURRING_PRODUCT_ID}"},
            )

    def confirmation_token(self, office: str, token_id: str) -> TokenPreview:
        """The payment details behind a ConfirmationToken the browser made (secret key only)."""
        with _translated_errors():
            token = self._client(office).v1.confirmation_tokens.retrieve(token_id)
        preview = token.payment_method_preview
        card = getattr(preview, "card", None) if preview is not None else None
        fingerprint = getattr(card, "fingerprint", None) if card is not None else None
        return TokenPreview(
            token.id,
            preview.type if preview is not None else "",
            str(fingerprint) if fingerprint else None,
            bool(token.payment_intent or token.setup_intent),
        )

    def confirm_payment(self, office: str, request: ConfirmRequest) -> Confirmation:
        """Confirm a PaymentIntent from our server; a decline is an answer, not an error."""
        params: PaymentIntentConfirmParams = {"return_url": request.return_url}
        if request.confirmation_token:
            params["confirmation_token"] = request.confirmation_token
        try:
            with _translated_errors():
                intent = self._client(office).v1.payment_intents.confirm(
                    request.payment_intent_id,
                    params=params,
                    options={"idempotency_key": request.key},
                )
        except GatewayError as error:
            if error.status != 402:
                raise
            return Confirmation(
                "requires_payment_method", None, error.code or "declined", error.charge
            )
        microdeposits = _microdeposits(intent)
        waiting = intent.status == "requires_action" and microdeposits is None
        return Confirmation(
            intent.status,
            intent.client_secret if waiting else None,
            _declined_code(intent),
            _id_of(intent.latest_charge),
            microdeposits,
        )

    def cancel_payment(self, office: str, payment_intent_id: str) -> None:
        """Cancel a PaymentIntent nobody may pay any more (too many declined attempts)."""
        with _translated_errors():
            self._client(office).v1.payment_intents.cancel(
                payment_intent_id, params={"cancellation_reason": "abandoned"}
            )

    def refund(self, office: str, payment_intent_id: str, amount: Money | None, key: str) -> str:
        """Refund all or part of a payment; `key` comes from our refund row."""
        params: RefundCreateParams = {"payment_intent": payment_intent_id}
        if amount is not None:
            params["amount"] = amount.minor
        with _translated_errors():
            refund = self._client(office).v1.refunds.create(
                params=params, options={"idempotency_key": key}
            )
        return refund.id

    def cancel_recurring(self, office: str, subscription_id: str) -> SubscriptionState:
        """Stop a recurring gift now."""
        with _translated_errors():
            subscription = self._client(office).v1.subscriptions.cancel(subscription_id)
        return _subscription_state(subscription)

    def delete_customer(self, office: str, customer_id: str) -> bool:
        """Delete the Customer at Stripe (name, email, address, saved methods); Stripe ends its
        subscriptions. False when Stripe no longer knows it (deleted before): erasure repeats."""
        try:
            with _translated_errors():
                self._client(office).v1.customers.delete(customer_id)
        except GatewayError as error:
            if error.status == 404 and error.code == "resource_missing":
                return False
            raise
        return True

    def pause_recurring(
        self, office: str, subscription_id: str, resumes_at: int | None = None
    ) -> SubscriptionState:
        """Pause collection: each period's invoice is voided until collection resumes (by
        itself at `resumes_at`, when given)."""
        pause: SubscriptionUpdateParamsPauseCollection = {"behavior": "void"}
        if resumes_at is not None:
            pause["resumes_at"] = resumes_at
        with _translated_errors():
            subscription = self._client(office).v1.subscriptions.update(
                subscription_id, params={"pause_collection": pause}
            )
        return _subscription_state(subscription)

    def change_recurring_amount(
        self, office: str, subscription_id: str, amount: Money, key: str
    ) -> SubscriptionState:
        """A new price for the subscription's item, charged from the next period on: the
        period already paid is not prorated (Stripe's `proration_behavior=none`)."""
        client = self._client(office)
        with _translated_errors():
            current = client.v1.subscriptions.retrieve(subscription_id)
            item = current.items.data[0]
            params: SubscriptionUpdateParams = {
                "items": [
                    {
                        "id": item.id,
                        "price_data": {
                            "currency": amount.currency.lower(),
                            "product": str(_id_of(item.price.product)),
                            "unit_amount": amount.minor,
                            "recurring": {"interval": _interval(item.price)},
                        },
                    }
                ],
                "proration_behavior": "none",
            }
            subscription = client.v1.subscriptions.update(
                subscription_id, params=params, options={"idempotency_key": key}
            )
        return _subscription_state(subscription)

    def create_setup(self, office: str, request: SetupRequest) -> SetupState:
        """Save a card or bank account for the customer: a SetupIntent our server confirms
        with the page's ConfirmationToken, for payments without the donor later."""
        params: SetupIntentCreateParams = {
            "customer": request.customer_id,
            "allowed_payment_method_types": [request.method],
            "usage": "off_session",
            "confirm": True,
            "confirmation_token": request.confirmation_token,
            "return_url": request.return_url,
            # 3-D Secure stays in the page, where Stripe.js's handleNextAction runs it.
            "use_stripe_sdk": True,
            "metadata": request.metadata,
            "expand": ["payment_method", "mandate"],
        }
        try:
            with _translated_errors():
                intent = self._client(office).v1.setup_intents.create(
                    params=params, options={"idempotency_key": request.key}
                )
        except GatewayError as error:
            if error.status != 402:
                raise
            declined = error.code or "declined"
            return SetupState("", "requires_payment_method", None, None, None, None, None, declined)
        return _setup_state(intent)

    def setup(self, office: str, setup_intent_id: str) -> SetupState:
        """The SetupIntent with its payment method, as Stripe has it now."""
        with _translated_errors():
            intent = self._client(office).v1.setup_intents.retrieve(
                setup_intent_id, params={"expand": ["payment_method", "mandate"]}
            )
        return _setup_state(intent)

    def use_payment_method(
        self, office: str, subscription_id: str, payment_method_id: str
    ) -> SubscriptionState:
        """The subscription's invoices are paid with this payment method from now on."""
        with _translated_errors():
            subscription = self._client(office).v1.subscriptions.update(
                subscription_id, params={"default_payment_method": payment_method_id}
            )
        return _subscription_state(subscription)

    def resume_recurring(self, office: str, subscription_id: str) -> SubscriptionState:
        """Collect again from the next period on."""
        with _translated_errors():
            subscription = self._client(office).v1.subscriptions.update(
                subscription_id, params={"pause_collection": ""}
            )
        return _subscription_state(subscription)

    # --- reading ----------------------------------------------------------------------------

    def payment_intent(self, office: str, payment_intent_id: str) -> PaymentIntentState:
        """The PaymentIntent as Stripe has it now."""
        with _translated_errors():
            intent = self._client(office).v1.payment_intents.retrieve(payment_intent_id)
        error = intent.last_payment_error
        # Stripe omits the fields an error lacks (a failed debit has no decline_code), and
        # the SDK raises AttributeError for an absent field.
        code = (
            (getattr(error, "decline_code", None) or getattr(error, "code", None))
            if error is not None
            else None
        )
        return PaymentIntentState(
            intent.id,
            intent.status,
            Money(intent.amount, intent.currency.upper()),
            _id_of(intent.latest_charge),
            code,
            _metadata(intent.metadata),
        )

    def charge(self, office: str, charge_id: str) -> ChargeState:
        """The Charge with its balance transaction (fees, net), refunds and dispute state."""
        with _translated_errors():
            charge = self._client(office).v1.charges.retrieve(
                charge_id, params={"expand": ["balance_transaction"]}
            )
            dispute = self._dispute(office, charge) if charge.disputed else None
            refunds = self._refunds(office, charge) if charge.amount_refunded else []
        return ChargeState(
            charge.id,
            _id_of(charge.payment_intent),
            Money(charge.amount, charge.currency.upper()),
            sum(refund.amount for refund in refunds),
            dispute.status if dispute is not None else None,
            _balance_state(charge.balance_transaction),
            charge.created,
            _refund_reason(refunds),
            *_method_digits(charge),
            status=charge.status,
            failure_balance_id=_id_of(charge.failure_balance_transaction),
            dispute_withdrawn=dispute is not None and _withdrawn(dispute),
        )

    def _refunds(self, office: str, charge: stripe.Charge) -> list[stripe.Refund]:
        """The charge's refunds that took or are taking money back (newest first).

        A charge no longer embeds its refunds, so they are listed; a failed or cancelled one
        returned nothing ("failed refunds": https://docs.stripe.com/refunds#failed-refunds),
        whatever the charge's `amount_refunded` still says.
        """
        listed = self._client(office).v1.refunds.list(params={"charge": charge.id, "limit": 100})
        return [r for r in listed.auto_paging_iter() if r.status not in ("failed", "canceled")]

    def _dispute(self, office: str, charge: stripe.Charge) -> stripe.Dispute | None:
        """The newest dispute (a charge object no longer embeds its dispute)."""
        disputes = self._client(office).v1.disputes.list(params={"charge": charge.id, "limit": 1})
        return disputes.data[0] if disputes.data else None

    def invoice(self, office: str, invoice_id: str) -> InvoiceState:
        """The Invoice, its subscription and the PaymentIntent that paid it."""
        with _translated_errors():
            invoice = self._client(office).v1.invoices.retrieve(
                invoice_id, params={"expand": ["payments"]}
            )
        return InvoiceState(
            invoice.id or "",
            invoice.status or "",
            _invoice_subscription(invoice),
            _id_of(invoice.customer),
            Money(invoice.amount_paid, invoice.currency.upper()),
            _invoice_payment_intent(invoice),
            invoice.status_transitions.paid_at,
        )

    def invoice_of_payment_intent(self, office: str, payment_intent_id: str) -> str | None:
        """The invoice a PaymentIntent pays (a plan's instalment), or None for a one-time one."""
        with _translated_errors():
            found = self._client(office).v1.invoice_payments.list(
                params={
                    "payment": {"type": "payment_intent", "payment_intent": payment_intent_id},
                    "limit": 1,
                }
            )
        return _id_of(found.data[0].invoice) if found.data else None

    def subscription(self, office: str, subscription_id: str) -> SubscriptionState:
        """The Subscription as Stripe has it now."""
        with _translated_errors():
            subscription = self._client(office).v1.subscriptions.retrieve(subscription_id)
        return _subscription_state(subscription)

    def payout(self, office: str, payout_id: str) -> PayoutState:
        """The Payout: its status, arrival date and whether it can be reconciled yet."""
        with _translated_errors():
            payout = self._client(office).v1.payouts.retrieve(payout_id)
        return _payout_state(payout)

    def payouts_page(
        self,
        office: str,
        *,
        created_since: int | None = None,
        starting_after: str | None = None,
        limit: int = 100,
    ) -> PayoutPage:
        """One page of the office's payouts, newest first (Stripe's list order)."""
        params: PayoutListParams = {"limit": limit}
        if created_since is not None:
            params["created"] = {"gte": created_since}
        if starting_after is not None:
            params["starting_after"] = starting_after
        with _translated_errors():
            listed = self._client(office).v1.payouts.list(params=params)
        return PayoutPage([_payout_state(p) for p in listed.data], listed.has_more)

    def payout_lines(self, office: str, payout_id: str) -> list[BalanceLine]:
        """Every balance transaction the payout contains (complete only once its
        `reconciliation_status` is `completed`), its own included."""
        with _translated_errors():
            listed = self._client(office).v1.balance_transactions.list(
                params={"payout": payout_id, "limit": 100, "expand": ["data.source"]}
            )
            transactions = list(listed.auto_paging_iter())
        return [
            BalanceLine(
                _balance_of(t),
                t.type,
                _id_of(t.source),
                t.amount,
                charge_id=_charge_behind(t.source),
                created=t.created,
                reporting_category=t.reporting_category,
            )
            for t in transactions
        ]

    def mandate_reference(self, office: str, charge_id: str) -> str | None:
        """The reference of the debit mandate behind a charge (SEPA: told to the donor in the
        pre-notification; any debit: how a revoked mandate is traced to its plan)."""
        with _translated_errors():
            charge = self._client(office).v1.charges.retrieve(charge_id)
            details = charge.payment_method_details
            debit = getattr(details, details.type, None) if details is not None else None
            mandate_id = getattr(debit, "mandate", None)
            if not mandate_id or details is None:
                return None
            mandate = self._client(office).v1.mandates.retrieve(str(mandate_id))
        method_details = getattr(mandate.payment_method_details, details.type, None)
        reference = getattr(method_details, "reference", None)
        return str(reference) if reference else None

    def verify_event(self, office: str, payload: bytes, signature: str) -> VerifiedEvent:
        """Check the signature on the raw body with the office's secret; parse the event.

        The SDK refuses signatures older than its tolerance but not ones dated ahead of it; a
        timestamp from the future is refused here too, so a signed body cannot be held back
        and replayed later.
        """
        _refuse_future_timestamp(signature, time.time())
        try:
            stripe.WebhookSignature.verify_header(
                payload,
                signature,
                self._keys[office].webhook_secret,
                WEBHOOK_TOLERANCE_SECONDS,
            )
            # Kept exactly as sent (the SDK's objects would turn fractions into Decimal).
            body = json.loads(payload)
        except (stripe.SignatureVerificationError, ValueError) as error:
            raise EventVerificationError(str(error), code="bad_signature", status=400) from None
        data = body.get("data") if isinstance(body, dict) else None
        data_object = data.get("object") if isinstance(data, dict) else None
        if not isinstance(data_object, dict):
            raise EventVerificationError("not a Stripe event", code="not_an_event", status=400)
        return VerifiedEvent(
            str(body.get("id", "")),
            str(body.get("type", "")),
            str(data_object.get("id", "")),
            int(body.get("created") or 0),
            body,
        )


def _microdeposits(intent: stripe.PaymentIntent) -> Microdeposits | None:
    """The micro-deposits a pre-authorised debit waits for (`next_action` of type
    `verify_with_microdeposits`), or None."""
    action = intent.next_action
    # Stripe leaves out the hashes of other action types, and the SDK raises AttributeError
    # for an absent field.
    waiting = getattr(action, "verify_with_microdeposits", None) if action is not None else None
    if intent.status != "requires_action" or waiting is None:
        return None
    return Microdeposits(waiting.arrival_date, waiting.hosted_verification_url)


def _declined_code(intent: stripe.PaymentIntent) -> str | None:
    """Why a confirmation ended back at requires_payment_method (a failed 3-D Secure)."""
    error = intent.last_payment_error
    if intent.status != "requires_payment_method" or error is None:
        return None
    return getattr(error, "decline_code", None) or getattr(error, "code", None) or "declined"


def _subscription_params(
    customer_id: str, request: RecurringPlanRequest
) -> SubscriptionCreateParams:
    """A subscription whose first invoice the browser confirms (default_incomplete)."""
    return {
        "customer": customer_id,
        "items": [
            {
                "price_data": {
                    "currency": request.amount.currency.lower(),
                    "product": RECURRING_PRODUCT_ID,
                    "unit_amount": request.amount.minor,
                    "recurring": {"interval": "year" if request.interval == "year" else "month"},
                }
            }
        ],
        "payment_behavior": "default_incomplete",
        "payment_settings": {
            "save_default_payment_method": "on_subscription",
            "payment_method_types": [request.method],
            **(
                {"payment_method_options": {"acss_debit": RECURRING_PAD}}
                if request.method == "acss_debit"
                else {}
            ),
        },
        "expand": ["latest_invoice.confirmation_secret", "latest_invoice.payments"],
        "metadata": {"donation_id": str(request.donation_id), **request.metadata},
    }


def _metadata(value: Any) -> dict[str, str]:
    """Metadata as a plain dict (Stripe objects are not dicts since stripe 15)."""
    if value is None:
        return {}
    raw = value.to_dict() if hasattr(value, "to_dict") else dict(value)
    return {str(key): str(item) for key, item in raw.items()}


def _id_of(value: Any) -> str | None:
    """The id of an expandable field, whether it came as an id or as an object."""
    if value is None:
        return None
    return value if isinstance(value, str) else str(value.id)


def _refund_reason(refunds: list[stripe.Refund]) -> str | None:
    """Why the charge was refunded: "fraudulent" if any refund says so, else the newest reason."""
    reasons = [refund.reason for refund in refunds]
    if "fraudulent" in reasons:
        return "fraudulent"
    return next((reason for reason in reasons if reason), None)


def _withdrawn(dispute: stripe.Dispute) -> bool:
    """Whether the dispute's balance transactions ("zero, one, or two balance transactions that
    show funds withdrawn and reinstated", the SDK's docstring) leave money withdrawn."""
    return sum(transaction.amount for transaction in dispute.balance_transactions) < 0


def _payout_state(payout: stripe.Payout) -> PayoutState:
    return PayoutState(
        payout.id,
        payout.status,
        payout.reconciliation_status,
        Money(payout.amount, payout.currency.upper()),
        payout.arrival_date,
        created=payout.created,
        failure_code=payout.failure_code,
    )


def _charge_behind(source: Any) -> str | None:
    """The charge a balance transaction's (expanded) source is about: a charge itself, or a
    refund's or dispute's `charge`; None for a payout or an unexpanded source."""
    if isinstance(source, stripe.Charge):
        return source.id
    if isinstance(source, (stripe.Refund, stripe.Dispute)):
        return _id_of(source.charge)
    return None


def _balance_state(value: Any) -> BalanceState | None:
    if not isinstance(value, stripe.BalanceTransaction):
        return None
    return _balance_of(value)


def _balance_of(value: stripe.BalanceTransaction) -> BalanceState:
    rate = str(value.exchange_rate) if value.exchange_rate is not None else None
    return BalanceState(value.id, value.fee, value.net, value.currency.upper(), rate)


def _method_digits(charge: stripe.Charge) -> tuple[str | None, str | None]:
    """The last four digits and brand of the card (or the debited account's last four)."""
    details = charge.payment_method_details
    if details is None:
        return None, None
    method = getattr(details, details.type, None)
    last4 = getattr(method, "last4", None)
    brand = getattr(method, "brand", None)
    return (str(last4) if last4 else None), (str(brand) if brand else None)


def _invoice_subscription(invoice: stripe.Invoice) -> str | None:
    parent = invoice.parent
    details = parent.subscription_details if parent is not None else None
    return _id_of(details.subscription) if details is not None else None


def _invoice_payment_intent(invoice: stripe.Invoice) -> str | None:
    payments = invoice.payments
    if payments is None:
        return None
    for invoice_payment in payments.data:
        found = _id_of(invoice_payment.payment.payment_intent)
        if found:
            return found
    return None


def _period_end(subscription: stripe.Subscription) -> int | None:
    items = subscription.items.data if subscription.items else []
    return items[0].current_period_end if items else None


def _subscription_state(subscription: stripe.Subscription) -> SubscriptionState:
    pause = subscription.pause_collection
    return SubscriptionState(
        subscription.id,
        subscription.status,
        str(_id_of(subscription.customer)),
        _period_end(subscription),
        subscription.canceled_at,
        _metadata(subscription.metadata),
        pause.behavior if pause else None,
        subscription.cancel_at_period_end,
        subscription.cancel_at,
        subscription.ended_at,
        _per_period(subscription),
        pause.resumes_at if pause else None,
    )


def _per_period(subscription: stripe.Subscription) -> Money | None:
    """What all the subscription's items charge each period together."""
    items = subscription.items.data if subscription.items else []
    amounts = [
        (item.price.unit_amount or 0) * (item.quantity or 1)
        for item in items
        if item.price is not None
    ]
    return Money(sum(amounts), subscription.currency.upper()) if amounts else None


def _interval(price: stripe.Price) -> Literal["day", "month", "week", "year"]:
    """The price's billing interval (a recurring gift's price is always recurring)."""
    recurring = price.recurring
    interval = recurring.interval if recurring is not None else "month"
    return "year" if interval == "year" else "month"


def _setup_state(intent: stripe.SetupIntent) -> SetupState:
    """What we keep of a SetupIntent: its outcome and the method it saved."""
    method = intent.payment_method
    kind = details = None
    if isinstance(method, stripe.PaymentMethod):
        kind = method.type
        details = getattr(method, kind, None)
    last4, brand = getattr(details, "last4", None), getattr(details, "brand", None)
    error = intent.last_setup_error
    declined = (
        (getattr(error, "decline_code", None) or getattr(error, "code", None) or "declined")
        if error is not None and intent.status == "requires_payment_method"
        else None
    )
    return SetupState(
        intent.id,
        intent.status,
        intent.client_secret if intent.status == "requires_action" else None,
        _id_of(method),
        kind,
        str(last4) if last4 else None,
        str(brand) if brand else None,
        declined,
        _mandate_reference(intent.mandate),
    )


def _mandate_reference(mandate: Any) -> str | None:
    """The reference of a (expanded) debit mandate, as the donor's bank shows it."""
    if not isinstance(mandate, stripe.Mandate):
        return None
    details = mandate.payment_method_details
    method = getattr(details, details.type, None)
    reference = getattr(method, "reference", None)
    return str(reference) if reference else None


def _refuse_future_timestamp(signature: str, now: float) -> None:
    """Refuse a Stripe-Signature whose `t=` lies further ahead than the tolerance."""
    for part in signature.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit() and int(value) > now + WEBHOOK_TOLERANCE_SECONDS:
            raise EventVerificationError(
                "signature timestamp in the future", code="bad_signature", status=400
            )


class _translated_errors:
    """Turn the SDK's exceptions into GatewayError, so callers never import stripe."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, error: Any, _trace: Any) -> None:
        if isinstance(error, stripe.StripeError):
            # A card decline's precise reason (insufficient_funds, ...) is its decline_code,
            # as in payment_intent(); `code` alone says only "card_declined".
            detail = error.error  # the answer's error object (None without a JSON body)
            code = (detail.decline_code if detail is not None else None) or error.code or ""
            charge = getattr(detail, "charge", None) if detail is not None else None
            raise GatewayError(
                error.user_message or str(error),
                code=code,
                status=error.http_status or 0,
                charge=str(charge) if charge else None,
            ) from error
