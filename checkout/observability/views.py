"""GET /metrics (Prometheus, for the monitoring network or a bearer token only) and GET /readyz.

/healthz (site/views.py) says whether this process lives; /readyz whether the service can do
its work now: the database answers, the shared counters (Redis) answer, and the outbox keeps
up (its oldest due message waits less than READY_OUTBOX_LAG_SECONDS).
"""

from __future__ import annotations

import hmac
import ipaddress
import time
from collections.abc import Iterator
from datetime import datetime

from flask import Blueprint, Flask, Response, abort, current_app, g, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from checkout.core.clock import utcnow
from checkout.counters import counters
from checkout.db import SQLITE_BEGIN, get_database
from checkout.extensions import limiter
from checkout.metrics import REQUEST_SECONDS, REQUESTS, exposition
from checkout.observability import recording
from checkout.outbox.models import DEAD, PENDING, OutboxMessage
from checkout.payments import defences

blueprint = Blueprint("operations", __name__)
_STARTED_KEY = "_checkout_request_started"


@blueprint.get("/metrics")
@limiter.exempt
def metrics() -> Response:
    """Every metric, for a scraper on an allowed network or with the bearer token."""
    if not _may_scrape():
        abort(403)
    body = exposition([_NowCollector()])
    return Response(body, content_type=CONTENT_TYPE_LATEST)


def _may_scrape() -> bool:
    """From an address in METRICS_ALLOWED_NETWORKS, or with METRICS_BEARER_TOKEN."""
    config = current_app.config
    token = str(config.get("METRICS_BEARER_TOKEN") or "")
    offered = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    networks = config.get("METRICS_ALLOWED_NETWORKS") or ()
    return any(address in ipaddress.ip_network(network) for network in networks)


class _NowCollector(Collector):
    """What is read at scrape time: the outbox and the card-testing breaker."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """The gauges, from the database and the shared counters."""
        depth = GaugeMetricFamily(
            "checkout_outbox_pending", "Messages waiting in the outbox, by name.", labels=["name"]
        )
        age = GaugeMetricFamily(
            "checkout_outbox_oldest_pending_age_seconds",
            "Seconds since the oldest waiting message of each name was queued.",
            labels=["name"],
        )
        dead = GaugeMetricFamily(
            "checkout_outbox_dead", "Messages parked as dead, by name.", labels=["name"]
        )
        now = utcnow()
        for name, count, oldest in _outbox_rows(PENDING):
            depth.add_metric([name], count)
            age.add_metric([name], _seconds_since(oldest, now))
        for name, count, _oldest in _outbox_rows(DEAD):
            dead.add_metric([name], count)
        breaker = GaugeMetricFamily(
            "checkout_card_breaker_on",
            "1 while the card-testing breaker asks new payments for proof of work.",
            value=1 if defences.breaker().is_on() else 0,
        )
        yield from (depth, age, dead, breaker)


def _outbox_rows(status: str) -> list[tuple[str, int, datetime]]:
    columns = (OutboxMessage.name, func.count(), func.min(OutboxMessage.created_at))
    with get_database().session_factory() as session:
        rows = session.execute(
            select(*columns).where(OutboxMessage.status == status).group_by(OutboxMessage.name)
        )
        return [(str(name), int(count), oldest) for name, count, oldest in rows]


def _seconds_since(moment: datetime, now: datetime) -> float:
    return max((now - moment).total_seconds(), 0.0)


@blueprint.get("/readyz")
@limiter.exempt
def readyz() -> tuple[Response, int]:
    """200 when the database, the shared counters and the outbox are all fine, else 503."""
    checks = {
        "database": _database_answers(),
        "ratelimit": "ok" if counters().check() else "unreachable",
        "outbox": _outbox_keeps_up(),
    }
    ready = all(value == "ok" for value in checks.values())
    return jsonify(status="ok" if ready else "unready", **checks), 200 if ready else 503


def _database_answers() -> str:
    try:
        with get_database().engine.connect() as connection:
            connection.execution_options(**{SQLITE_BEGIN: "DEFERRED"}).execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError):
        return "unreachable"
    return "ok"


def _outbox_keeps_up() -> str:
    """ "ok", or how far behind the oldest due message is."""
    limit = float(current_app.config["READY_OUTBOX_LAG_SECONDS"])
    now = utcnow()
    try:
        with get_database().session_factory() as session:
            oldest = session.scalar(
                select(func.min(OutboxMessage.available_at)).where(
                    OutboxMessage.status == PENDING, OutboxMessage.available_at <= now
                )
            )
    except (SQLAlchemyError, OSError):
        return "unreachable"
    if oldest is None or _seconds_since(oldest, now) < limit:
        return "ok"
    return f"behind by {int(_seconds_since(oldest, now))} s"


def _start_timer() -> None:
    g.setdefault(_STARTED_KEY, time.perf_counter())


def _count_request(response: Response) -> Response:
    """Count the request and its time under its route's rule (a path could hold a token)."""
    started = g.get(_STARTED_KEY)
    route = request.url_rule.rule if request.url_rule is not None else "unmatched"
    REQUESTS.labels(route, request.method, str(response.status_code)).inc()
    if started is not None:
        REQUEST_SECONDS.labels(route, request.method).observe(time.perf_counter() - started)
    return response


def init_app(app: Flask) -> None:
    """Time every request, count what the database records, and serve the two endpoints."""
    app.before_request(_start_timer)
    app.after_request(_count_request)
    recording.watch(get_database(app).session_factory)
    app.register_blueprint(blueprint)
