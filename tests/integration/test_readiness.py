"""GET /readyz: 200 while the database, the shared counters and the outbox are fine; 503 with
what is wrong otherwise. /healthz (liveness) stays 200 through the same troubles but the
database."""

from __future__ import annotations

from datetime import timedelta

from checkout import create_app
from checkout.core.clock import utcnow
from checkout.db import get_database
from checkout.outbox.models import OutboxMessage
from checkout.outbox.registry import enqueue
from tests.conftest import test_settings


def test_ready_when_everything_answers(client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {
        "status": "ok",
        "database": "ok",
        "ratelimit": "ok",
        "outbox": "ok",
    }


def test_not_ready_while_the_outbox_falls_behind(app, client, db_session) -> None:
    app.config["READY_OUTBOX_LAG_SECONDS"] = 60
    message = db_session.get(OutboxMessage, enqueue(db_session, "receipts.email", "late", {}))
    message.available_at = utcnow() - timedelta(seconds=30)
    db_session.commit()
    assert client.get("/readyz").status_code == 200  # waiting, but not for long
    message.available_at = utcnow() - timedelta(seconds=90)
    db_session.commit()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "unready"
    assert response.json["outbox"].startswith("behind by 9")
    # A message backing off until later is not late.
    message.available_at = utcnow() + timedelta(minutes=30)
    db_session.commit()
    assert client.get("/readyz").status_code == 200


def test_not_ready_without_redis_though_still_alive(database_url) -> None:
    app = create_app(
        test_settings(database_url, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0"), environ={}
    )
    try:
        client = app.test_client()
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json["ratelimit"] == "unreachable"
        assert client.get("/healthz").status_code == 200  # alive: it counts alone meanwhile
    finally:
        get_database(app).engine.dispose()


def test_not_ready_without_the_database(tmp_path) -> None:
    missing = tmp_path / "no-such-folder" / "db.sqlite3"
    app = create_app(test_settings(f"sqlite:///{missing}"), environ={})
    try:
        response = app.test_client().get("/readyz")
        assert response.status_code == 503
        assert (response.json["database"], response.json["outbox"]) == (
            "unreachable",
            "unreachable",
        )
    finally:
        get_database(app).engine.dispose()
