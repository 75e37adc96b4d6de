"""GET /metrics after a demo checkout shows each named series; only the monitoring network or
the bearer token may read it; under gunicorn every process's counts add up."""

from __future__ import annotations

import re

from prometheus_client.parser import text_string_to_metric_families

from tests.operations_support import captured_log, de_office, give, ops_app, settle

__all__ = ["captured_log", "ops_app"]  # fixtures

MONITOR = "127.0.0.1"
TOKEN = "m" * 40


def scrape(app, address: str = MONITOR, **headers: str) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of one scrape."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.status_code
    assert response.content_type.startswith("text/plain; version=")
    found = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(samples: dict, metric: str, **labels: str) -> float:
    """The sum of the samples of `metric` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == metric and wanted <= set(ls))


def test_a_demo_checkout_shows_in_each_named_series(
    ops_app, standin_account, stripe_standin, smtp_server
) -> None:
    before = scrape(ops_app)
    for method in ("card", "sepa_debit"):
        give(
            ops_app.test_client(), stripe_standin.base_url, standin_account.publishable_key, method
        )
    standin_account.control.settle_debits(standin_account.secret_key)
    de = de_office(ops_app, standin_account)
    settle(ops_app, de)
    assert smtp_server.messages  # the receipts went out
    after = scrape(ops_app)

    def grew(metric: str, **labels: str) -> float:
        return value(after, metric, **labels) - value(before, metric, **labels)

    route = {"route": "/donate/pay/confirm", "method": "POST"}
    assert grew("checkout_http_requests_total", status="200", **route) == 2
    assert grew("checkout_http_request_duration_seconds_count", **route) == 2
    assert grew("checkout_http_request_duration_seconds_bucket", le="+Inf", **route) == 2
    for method in ("card", "sepa_debit"):
        for outcome in ("started", "succeeded"):
            labels = {"office": "DE", "method": method, "outcome": outcome}
            assert grew("checkout_payments_total", **labels) == 1, labels
    events = len(de.all_events())
    assert grew("checkout_webhook_events_total", office="DE", result="stored") == events
    assert grew("checkout_webhook_events_total", type="payment_intent.succeeded") == 2
    assert grew("checkout_webhook_event_lag_seconds_count", office="DE") == events
    assert grew("checkout_webhook_event_applied_lag_seconds_count", office="DE") == events
    assert grew("checkout_receipts_issued_total", office="DE") == 2
    assert grew("checkout_emails_total", outcome="sent") == len(smtp_server.messages)
    # Read at scrape time: nothing waits, nothing is dead, the breaker is off.
    assert value(after, "checkout_outbox_pending") == 0
    assert value(after, "checkout_card_breaker_on") == 0
    assert ("checkout_outbox_dead", ()) not in after


def test_waiting_and_dead_messages_and_the_breaker_show_at_scrape_time(ops_app, db_session) -> None:
    from datetime import timedelta

    from checkout.core.clock import utcnow
    from checkout.outbox.models import DEAD, OutboxMessage
    from checkout.outbox.registry import enqueue
    from checkout.payments import defences

    old = db_session.get(OutboxMessage, enqueue(db_session, "receipts.email", "m-old", {}))
    old.created_at = utcnow() - timedelta(minutes=10)
    enqueue(db_session, "receipts.email", "m-new", {})
    dead = db_session.get(OutboxMessage, enqueue(db_session, "payments.apply_event", "m-d", {}))
    dead.status = DEAD
    db_session.commit()
    with ops_app.app_context():
        breaker = defences.breaker()
        for _ in range(breaker.settings.min_failures):
            breaker.record(failed=True)
    samples = scrape(ops_app)
    assert value(samples, "checkout_outbox_pending", name="receipts.email") == 2
    assert (
        value(samples, "checkout_outbox_oldest_pending_age_seconds", name="receipts.email") >= 600
    )
    assert value(samples, "checkout_outbox_dead", name="payments.apply_event") == 1
    assert value(samples, "checkout_card_breaker_on") == 1


def test_only_the_monitoring_network_or_the_token_may_read_it(ops_app) -> None:
    ops_app.config.update(METRICS_ALLOWED_NETWORKS=["10.0.5.0/24"], METRICS_BEARER_TOKEN=TOKEN)
    stranger = ops_app.test_client()
    stranger.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert stranger.get("/metrics").status_code == 403
    assert stranger.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert scrape(ops_app, "203.0.113.9", Authorization=f"Bearer {TOKEN}")
    assert scrape(ops_app, "10.0.5.7")
    local = ops_app.test_client()  # loopback is no longer on the list
    assert local.get("/metrics").status_code == 403


def test_series_names_carry_no_path_only_the_route(ops_app) -> None:
    client = ops_app.test_client()
    client.get("/consent/withdraw/" + "A" * 60)
    body = client.get("/metrics").get_data(as_text=True)
    assert "A" * 60 not in body
    assert re.search(r'checkout_http_requests_total\{[^}]*route="/consent/<name>/<token>"', body)
