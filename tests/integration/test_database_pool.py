"""Pooled PostgreSQL connections: one left idle is pinged and, if its server side is gone,
replaced before a request uses it; one used moments ago is used without a round trip."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from checkout.db import make_engine

pytestmark = [pytest.mark.db, pytest.mark.postgres]


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(engine: Engine, pid: int) -> None:
    """Kill the server side of a pooled connection, as a database restart would."""
    with engine.connect() as admin:
        assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()


@pytest.fixture
def admin(database_url: str):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def test_a_connection_left_idle_is_pinged_and_replaced_when_gone(database_url, admin) -> None:
    engine = make_engine(database_url, idle_ping_seconds=0.0)  # every checkout counts as idle
    try:
        pid = _backend_pid(engine)
        _terminate(admin, pid)
        assert _backend_pid(engine) != pid  # the request got a live connection, no error
    finally:
        engine.dispose()


def test_a_connection_used_moments_ago_is_not_pinged(database_url, admin) -> None:
    engine = make_engine(database_url, idle_ping_seconds=3600.0)
    try:
        pid = _backend_pid(engine)
        _terminate(admin, pid)
        # Without a ping, the dead connection is handed out and the statement fails once;
        # the pool then replaces it.
        with pytest.raises(OperationalError):
            _backend_pid(engine)
        assert _backend_pid(engine) != pid
    finally:
        engine.dispose()
