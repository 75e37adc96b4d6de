"""In-memory state, partitioned by Stripe account, behind one lock.

Each secret key is its own account (every national office has its own Stripe account), so a
test that takes a fresh key sees none of the other tests' objects. Objects are the JSON-ready
dicts the API answers; keys starting with "_" are the stand-in's own bookkeeping and are
stripped before anything leaves the server.
"""

from __future__ import annotations

import copy
import hashlib
import secrets
import string
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from checkout.testing.stripe_standin.errors import missing

Obj = dict[str, Any]
_ID_ALPHABET = string.ascii_letters + string.digits
#: How Stripe names each kind of object in "No such ..." errors.
_KIND_NAMES = {"payment_method": "PaymentMethod", "balance_transaction": "balance transaction"}


def new_id(prefix: str, length: int = 24) -> str:
    """A fresh Stripe-style id such as `pi_3QxY...`."""
    return f"{prefix}_" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def public(value: Any) -> Any:
    """A deep copy without the stand-in's private "_" keys: what the API may show."""
    if isinstance(value, dict):
        return {k: public(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, list):
        return [public(item) for item in value]
    return copy.copy(value)


@dataclass
class Endpoint:
    """A webhook endpoint: where to send which events, signed with which secret."""

    id: str
    url: str
    secret: str
    events: list[str]

    def wants(self, event_type: str) -> bool:
        """Tell whether this endpoint subscribed to `event_type`."""
        return "*" in self.events or event_type in self.events


@dataclass
class DeliverySettings:
    """How webhooks reach an account's endpoints (changed by tests through the control API)."""

    backoff: list[float]
    max_attempts: int
    duplicate: bool = False
    out_of_order: bool = False
    hold_seconds: float = 0.3


@dataclass
class Attempt:
    """One webhook delivery attempt, kept so tests can assert retries."""

    event_id: str
    event_type: str
    endpoint_id: str
    attempt: int
    status: int | None
    error: str | None
    at: float


@dataclass
class Replay:
    """The first response to an idempotency key, answered again for the same request."""

    method: str
    path: str
    fingerprint: str
    status: int
    body: bytes
    request_id: str
    created: int


@dataclass
class Account:
    """One Stripe account: its objects, idempotency keys, webhook endpoints and clock."""

    suffix: str
    id: str
    delivery: DeliverySettings
    objects: dict[str, Obj] = field(default_factory=dict)
    replays: dict[str, Replay] = field(default_factory=dict)
    endpoints: dict[str, Endpoint] = field(default_factory=dict)
    attempts: list[Attempt] = field(default_factory=list)
    clock_offset: int = 0
    #: Seconds of stand-in time after which a pending bank debit settles by itself.
    debit_settle_seconds: int = 180
    #: Seconds of stand-in time until a captured card charge's balance transaction exists
    #: (asynchronous capture; Stripe's own limit is an hour).
    capture_seconds: int = 60
    #: The currency the account settles in; None settles every currency as charged.
    default_currency: str | None = None
    #: Automatic payouts: the available balance of each currency is paid out once a day at
    #: midnight UTC of stand-in time (Stripe's daily schedule); False pays out only when told.
    automatic_payouts: bool = False
    #: The stand-in day (Unix seconds // 86400) of the last automatic payout run.
    last_payout_day: int | None = None
    #: The server's own address, for the 3-D Secure and bank pages that next_action names.
    base_url: str = "http://127.0.0.1:12111/"
    #: Where new events go (the store's queue for the webhook thread).
    on_event: Callable[[Account, Obj], None] = field(default=lambda _a, _e: None, repr=False)

    def now(self) -> int:
        """This account's time in Unix seconds: the wall clock plus what tests advanced."""
        return int(time.time()) + self.clock_offset

    def add(self, obj: Obj) -> Obj:
        """Keep a new object and return it."""
        self.objects[obj["id"]] = obj
        return obj

    def get(self, ident: str, kind: str, param: str = "id") -> Obj:
        """The object `ident` of type `kind`, or Stripe's 404."""
        obj = self.objects.get(ident)
        if obj is None or obj.get("object") != kind:
            raise missing(_KIND_NAMES.get(kind, kind), ident, param)
        return obj

    def find(self, ident: str) -> Obj | None:
        """Any object by id, or None."""
        return self.objects.get(ident)

    def all(self, kind: str) -> list[Obj]:
        """Every object of type `kind`, newest first (Stripe's list order)."""
        return [obj for obj in reversed(self.objects.values()) if obj.get("object") == kind]


class Store:
    """All accounts, the lock that serialises every change, and the queue of new events."""

    def __init__(
        self,
        delivery_defaults: DeliverySettings,
        debit_settle_seconds: int,
        capture_seconds: int = 60,
    ) -> None:
        self.lock = threading.RLock()
        self.accounts: dict[str, Account] = {}
        self.delivery_defaults = delivery_defaults
        self.debit_settle_seconds = debit_settle_seconds
        self.capture_seconds = capture_seconds
        self.base_url = "http://127.0.0.1:12111/"
        #: Events waiting for the webhook thread, which is woken through `events_ready`.
        self.new_events: deque[tuple[Account, Obj]] = deque()
        self.events_ready = threading.Event()

    def account(self, suffix: str) -> Account:
        """The account for a key suffix, opened on first use like a fresh Stripe account."""
        with self.lock:
            found = self.accounts.get(suffix)
            if found is None:
                digest = hashlib.sha256(suffix.encode()).hexdigest()[:16]
                found = Account(
                    suffix,
                    f"acct_{digest}",
                    copy.deepcopy(self.delivery_defaults),
                    debit_settle_seconds=self.debit_settle_seconds,
                    capture_seconds=self.capture_seconds,
                    base_url=self.base_url,
                    on_event=self.queue_event,
                )
                self.accounts[suffix] = found
            return found

    def queue_event(self, account: Account, event: Obj) -> None:
        """Hand a new event to the webhook thread."""
        self.new_events.append((account, event))
        self.events_ready.set()

    def reset(self, suffix: str | None = None) -> None:
        """Forget one account, or everything."""
        with self.lock:
            if suffix is None:
                self.accounts.clear()
            else:
                self.accounts.pop(suffix, None)
