"""Webhook delivery: signed exactly as Stripe signs, sent in the background, retried with backoff.

One thread per server takes new events from the store, makes one delivery per subscribed
endpoint, and sends them oldest first; a non-2xx answer or a network error is retried after
the account's backoff schedule until `max_attempts`. Every attempt is recorded so tests can
assert retries. Tests may ask for duplicates (each event sent twice) or out-of-order delivery
(events held for `hold_seconds`, then sent newest first).
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from checkout.testing.stripe_standin.store import Account, Attempt, Endpoint, Obj, Store

#: A receiver that takes longer than this is treated like Stripe treats a timeout: a failure.
TIMEOUT_SECONDS = 10.0


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    """The `Stripe-Signature` header: `t=<unix time>,v1=<HMAC-SHA256 of "t.payload">`."""
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass(order=True)
class Delivery:
    """One event on its way to one endpoint; ordered by when it is due."""

    due: float
    order: int
    account: Account = field(compare=False)
    endpoint: Endpoint = field(compare=False)
    event_id: str = field(compare=False)
    event_type: str = field(compare=False)
    payload: bytes = field(compare=False)
    attempt: int = field(default=1, compare=False)


class Deliverer(threading.Thread):
    """The background thread that sends webhooks."""

    def __init__(self, store: Store) -> None:
        super().__init__(name="standin-webhooks", daemon=True)
        self.store = store
        self.queue: list[Delivery] = []
        self.held: dict[str, list[Delivery]] = {}
        self.counter = itertools.count()
        self.stopping = threading.Event()

    def stop(self) -> None:
        """Ask the thread to finish."""
        self.stopping.set()
        self.store.events_ready.set()

    def run(self) -> None:
        """Wait for events and due deliveries, and send them."""
        while not self.stopping.is_set():
            self.store.events_ready.wait(timeout=self._wait_seconds())
            self.store.events_ready.clear()
            self._take_new_events()
            self._release_held()
            while self.queue and self.queue[0].due <= time.monotonic():
                self._send(heapq.heappop(self.queue))

    def _wait_seconds(self) -> float:
        """How long to sleep before the next delivery or held batch is due."""
        dues = [d.due for d in self.queue[:1]] + [b[0].due for b in self.held.values() if b]
        return max(0.0, min(dues) - time.monotonic()) if dues else 1.0

    def _take_new_events(self) -> None:
        """Turn queued events into deliveries, one per subscribed endpoint."""
        while self.store.new_events:
            account, event = self.store.new_events.popleft()
            with self.store.lock:
                endpoints = [e for e in account.endpoints.values() if e.wants(event["type"])]
                settings = account.delivery
                payload = json.dumps(event, indent=2).encode()
            for endpoint in endpoints:
                copies = 2 if settings.duplicate else 1
                for _ in range(copies):
                    self._plan(
                        account,
                        endpoint,
                        event,
                        payload,
                        settings.out_of_order,
                        settings.hold_seconds,
                    )

    def _plan(
        self,
        account: Account,
        endpoint: Endpoint,
        event: Obj,
        payload: bytes,
        hold: bool,
        hold_seconds: float,
    ) -> None:
        """Queue a first attempt, or hold it back for out-of-order release."""
        now = time.monotonic()
        delivery = Delivery(
            now + (hold_seconds if hold else 0),
            next(self.counter),
            account,
            endpoint,
            event["id"],
            event["type"],
            payload,
        )
        if hold:
            batch = self.held.setdefault(account.id, [])
            delivery.due = batch[0].due if batch else delivery.due
            batch.append(delivery)
        else:
            heapq.heappush(self.queue, delivery)

    def _release_held(self) -> None:
        """Send held batches whose time has come newest first: out of order, on purpose."""
        now = time.monotonic()
        for account_id, batch in list(self.held.items()):
            if batch and batch[0].due <= now:
                for delivery in reversed(batch):
                    delivery.due, delivery.order = now, next(self.counter)
                    heapq.heappush(self.queue, delivery)
                del self.held[account_id]

    def _send(self, delivery: Delivery) -> None:
        """POST one delivery, record the attempt, and schedule a retry if it failed."""
        status, error = post(delivery.endpoint, delivery.payload)
        account = delivery.account
        with self.store.lock:
            account.attempts.append(
                Attempt(
                    delivery.event_id,
                    delivery.event_type,
                    delivery.endpoint.id,
                    delivery.attempt,
                    status,
                    error,
                    time.time(),
                )
            )
            settings = account.delivery
        if status is not None and 200 <= status < 300:
            return
        if delivery.attempt >= settings.max_attempts or not settings.backoff:
            return
        pause = settings.backoff[min(delivery.attempt - 1, len(settings.backoff) - 1)]
        delivery.attempt += 1
        delivery.due = time.monotonic() + pause
        delivery.order = next(self.counter)
        heapq.heappush(self.queue, delivery)


def post(endpoint: Endpoint, payload: bytes) -> tuple[int | None, str | None]:
    """Send a signed payload; return the status code, or None and the network error."""
    header = sign(payload, endpoint.secret, int(time.time()))
    request = urllib.request.Request(  # noqa: S310 - the URL is a test receiver's, by design
        endpoint.url,
        data=payload,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": header,
            "User-Agent": "Stripe/1.0 (+standin)",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status, None
    except urllib.error.HTTPError as error:
        return error.code, None
    except (urllib.error.URLError, OSError) as error:
        return None, str(error)
