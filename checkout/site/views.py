"""Landing page, the donate entry point and the health check."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from checkout.counters import counters
from checkout.db import SQLITE_BEGIN, get_database

blueprint = Blueprint("site", __name__)


@blueprint.get("/")
def landing() -> str:
    """What the charity does, and the way to give."""
    return render_template("site/landing.html")


@blueprint.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 when this process can reach its database, 503 when it cannot.

    An unreachable rate-limit store (Redis) does not stop donations, each process then counts
    alone: the answer stays 200 and says `"ratelimit": "degraded"`.
    """
    ratelimit = "ok" if counters().check() else "degraded"
    try:
        with get_database().engine.connect() as connection:
            # A read-only probe must not queue behind a writer for SQLite's write lock.
            connection.execution_options(**{SQLITE_BEGIN: "DEFERRED"}).execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError):
        return jsonify(status="error", database="unreachable", ratelimit=ratelimit), 503
    return jsonify(status="ok", database="ok", ratelimit=ratelimit), 200
