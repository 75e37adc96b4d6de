"""A typed client for the stand-in's control API (/_standin/...), for tests and the demo.

Only the standard library: `StandinControl("http://127.0.0.1:12111").settle_debits(key)`.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any


class ControlError(RuntimeError):
    """The stand-in refused a control call; `body` is its Stripe-shaped error."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"control call failed with {status}: {body}")
        self.status = status
        self.body = body


@dataclass(frozen=True)
class DeliveryAttempt:
    """One recorded webhook attempt: `status` is None when the receiver could not be reached."""

    event_id: str
    event_type: str
    endpoint_id: str
    attempt: int
    status: int | None
    error: str | None
    at: float


@dataclass(frozen=True)
class PaymentAttempts:
    """Confirmations that tried to move money: each made one charge at the stand-in.

    `succeeded` and `failed` are card (and iDEAL) charges as they ended at once; `submitted`
    are bank debits sent to the bank (they settle or fail later, still one attempt each).
    """

    total: int
    succeeded: int
    failed: int
    submitted: int


class StandinControl:
    """Drives the stand-in's clock and triggers over HTTP."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _call(self, name: str, secret_key: str | None, **fields: Any) -> Any:
        """POST one control action (fields that are None left out) and return its answer."""
        body = {k: v for k, v in fields.items() if v is not None}
        if secret_key is not None:
            body["secret_key"] = secret_key
        return self._post(name, body)

    def _post(self, name: str, body: dict[str, Any]) -> Any:
        """POST `body` as JSON to one control action and return its JSON answer."""
        request = urllib.request.Request(  # noqa: S310 - the stand-in's own loopback URL
            f"{self.base_url}/_standin/{name}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise ControlError(error.code, json.loads(error.read() or b"null")) from None

    def healthy(self) -> bool:
        """Tell whether the stand-in answers."""
        try:
            url = f"{self.base_url}/_standin/health"
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310
                return bool(response.status == 200)
        except OSError:
            return False

    def account_id(self, secret_key: str) -> str:
        """The `acct_…` id of the account behind a secret key."""
        return str(self._call("account", secret_key)["id"])

    def now(self, secret_key: str) -> int:
        """The account's current time (Unix seconds, including advanced time)."""
        return int(self._call("account", secret_key)["now"])

    def configure_account(
        self,
        secret_key: str,
        *,
        default_currency: str | None = None,
        capture_seconds: int | None = None,
        automatic_payouts: bool | None = None,
    ) -> dict[str, Any]:
        """Set the account's settlement currency, asynchronous capture delay and whether it
        pays out its available balance daily by itself."""
        fields: dict[str, Any] = {"default_currency": default_currency}
        if capture_seconds is not None:
            fields["capture_seconds"] = capture_seconds
        if automatic_payouts is not None:
            fields["automatic_payouts"] = automatic_payouts
        body = {"secret_key": secret_key, **fields}
        return dict(self._post("configure_account", body))

    def complete_captures(self, secret_key: str) -> list[str]:
        """Finish asynchronous captures now; the ids of the charges booked (`charge.updated`)."""
        return list(self._call("complete_captures", secret_key)["booked"])

    def register_webhook(
        self, secret_key: str, url: str, secret: str, events: list[str] | None = None
    ) -> str:
        """Send the account's events (all, or `events`) to `url`, signed with `secret`."""
        return str(self._call("webhooks", secret_key, url=url, secret=secret, events=events)["id"])

    def set_delivery_mode(
        self,
        secret_key: str,
        *,
        backoff: list[float] | None = None,
        max_attempts: int | None = None,
        duplicate: bool | None = None,
        out_of_order: bool | None = None,
        hold_seconds: float | None = None,
    ) -> dict[str, Any]:
        """Change retries (seconds between attempts), duplicates or out-of-order delivery."""
        return dict(
            self._call(
                "delivery",
                secret_key,
                backoff=backoff,
                max_attempts=max_attempts,
                duplicate=duplicate,
                out_of_order=out_of_order,
                hold_seconds=hold_seconds,
            )
        )

    def deliveries(self, secret_key: str, event_type: str | None = None) -> list[DeliveryAttempt]:
        """Every webhook attempt so far, oldest first."""
        rows = self._call("deliveries", secret_key, event_type=event_type)
        return [DeliveryAttempt(**row) for row in rows]

    def settle_debits(
        self, secret_key: str, *, fail: bool | None = None, payment_intent: str | None = None
    ) -> list[str]:
        """Settle processing bank debits now (as their test account says, unless `fail`)."""
        answer = self._call("settle_debits", secret_key, fail=fail, payment_intent=payment_intent)
        return list(answer["settled"])

    def settle_refunds(self, secret_key: str, *, fail: bool | None = None) -> list[str]:
        """End pending (and failing) refunds now: as their method says, unless `fail`."""
        return list(self._call("settle_refunds", secret_key, fail=fail)["settled"])

    def advance_clock(self, secret_key: str, seconds: int) -> int:
        """Move the account's time forward; renewals and settlements that fall due happen."""
        return int(self._call("advance_clock", secret_key, seconds=seconds)["now"])

    def advance_to_next_renewal(self, secret_key: str) -> int:
        """Move time just past the next subscription renewal."""
        return int(self._call("advance_clock", secret_key, to_next_renewal=True)["now"])

    def payment_attempts(
        self, secret_key: str, payment_intent: str | None = None
    ) -> PaymentAttempts:
        """Count the account's payment attempts (all, or one PaymentIntent's) so far."""
        return PaymentAttempts(
            **self._call("payment_attempts", secret_key, payment_intent=payment_intent)
        )

    def authenticate(self, secret_key: str, payment_intent: str, succeed: bool = True) -> str:
        """Complete (or fail) 3-D Secure or the iDEAL bank page; returns the new status."""
        answer = self._call(
            "authenticate", secret_key, payment_intent=payment_intent, succeed=succeed
        )
        return str(answer["status"])

    def open_dispute(
        self,
        secret_key: str,
        payment_intent_or_charge: str,
        reason: str = "fraudulent",
        kind: str = "chargeback",
    ) -> str:
        """Open a dispute (a chargeback or returned debit, an `inquiry`, or one `prevented`);
        returns its id."""
        answer = self._call(
            "open_dispute", secret_key, target=payment_intent_or_charge, reason=reason, kind=kind
        )
        return str(answer["id"])

    def appeal_dispute(self, secret_key: str, dispute: str) -> str:
        """The cardholder's bank rejects the response under review; returns the status."""
        return str(self._call("appeal_dispute", secret_key, dispute=dispute)["status"])

    def close_dispute(self, secret_key: str, dispute: str, won: bool) -> str:
        """Decide a dispute, won or lost (an inquiry lost escalates); returns its status."""
        return str(self._call("close_dispute", secret_key, dispute=dispute, won=won)["status"])

    def dashboard_refund(
        self,
        secret_key: str,
        payment_intent_or_charge: str,
        amount: int | None = None,
        reason: str | None = None,
    ) -> str:
        """Refund as staff would in Stripe's dashboard (`reason` as Stripe's); the refund id."""
        return str(
            self._call(
                "dashboard_refund",
                secret_key,
                target=payment_intent_or_charge,
                amount=amount,
                reason=reason,
            )["id"]
        )

    def payout(self, secret_key: str, currency: str | None = None) -> str:
        """Pay out the available balance into a pending payout; returns its id. It is paid at
        its arrival date and reconciled an hour later (advance the clock)."""
        return str(self._call("payout", secret_key, currency=currency)["id"])

    def fail_payout(self, secret_key: str, payout: str, code: str = "account_closed") -> None:
        """The bank returns a payout: `payout.failed`, its amount back in the balance."""
        self._call("fail_payout", secret_key, payout=payout, code=code)

    def revoke_mandate(self, secret_key: str, mandate: str) -> None:
        """Revoke a debit mandate, as the donor's bank would report."""
        self._call("revoke_mandate", secret_key, mandate=mandate)

    def reset(self, secret_key: str | None = None) -> None:
        """Forget one account's state, or everything."""
        self._call("reset", secret_key)
