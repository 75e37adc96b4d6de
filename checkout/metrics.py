"""The service's Prometheus metrics (prometheus_client), and their exposition.

Counters and histograms live in each process that counts them. Under gunicorn's several
processes and beside the workers, each process writes its values to files in
PROMETHEUS_MULTIPROC_DIR (prometheus_client's multiprocess mode; the variable must be set
before the process starts) and a scrape of any web process adds up every process's files. What
is the same for every process (the outbox, the breaker) is read at scrape time instead, by the
collector observability/views.py passes in.

Labels are bounded sets (routes, offices, methods, event types, outcomes); none is a person.
This module imports nothing of the app, so any package may count here without an import
cycle (the scrape-time part, which reads features, is in observability/views.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.registry import Collector

MULTIPROC_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
#: Seconds: a wizard page takes milliseconds, a Stripe call hundreds of them.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: Seconds from Stripe's event to us: usually one or two, hours when Stripe retries.
LAG_BUCKETS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0, 3600.0, 21600.0, 86400.0)

REQUESTS = Counter(
    "checkout_http_requests",
    "Requests answered, by route (the URL rule, never the path), method and status.",
    ["route", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "checkout_http_request_duration_seconds",
    "Time to answer a request, by route and method.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
PAYMENTS = Counter(
    "checkout_payments",
    "Payments started (a gift created at Stripe), succeeded (each paid instalment too) or "
    "failed (a gift's payment declined or returned), by office and method.",
    ["office", "method", "outcome"],
)
WEBHOOK_EVENTS = Counter(
    "checkout_webhook_events",
    "Stripe events received: stored (new), duplicate (delivered again) or refused (bad "
    "signature), by office.",
    ["office", "type", "result"],
)
WEBHOOK_LAG = Histogram(
    "checkout_webhook_event_lag_seconds",
    "Seconds from Stripe creating an event to our storing it, by office.",
    ["office"],
    buckets=LAG_BUCKETS,
)
EVENT_APPLY_LAG = Histogram(
    "checkout_webhook_event_applied_lag_seconds",
    "Seconds from Stripe creating an event to a worker applying it, by office.",
    ["office"],
    buckets=LAG_BUCKETS,
)
RECEIPTS = Counter(
    "checkout_receipts_issued", "Receipts and statements numbered, by office.", ["office"]
)
EMAILS = Counter("checkout_emails", "Emails sent or failed (each try), by outcome.", ["outcome"])


def multiprocess_dir() -> str | None:
    """The folder the processes share their values through, None in one-process mode."""
    return os.environ.get(MULTIPROC_DIR_VARIABLE) or None


def exposition(scraped: Iterable[Collector]) -> bytes:
    """Every metric in Prometheus' text format: the counted ones (of all processes in
    multiprocess mode) and those `scraped` reads now."""
    if multiprocess_dir():
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)  # type: ignore[no-untyped-call]
    else:
        counted = REGISTRY
    now = CollectorRegistry(auto_describe=False)
    for collector in scraped:
        now.register(collector)
    return generate_latest(counted) + generate_latest(now)
