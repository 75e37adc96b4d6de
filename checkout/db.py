"""The database: engine, one session per app context, one commit per request.

Plain SQLAlchemy rather than Flask-SQLAlchemy, so tests can bind the session to a connection
inside a transaction that is rolled back after each test. Services receive a `Session` as an
argument; only views, commands and the worker ask for `db_session()`.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g
from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.dialects.postgresql import Insert as PostgresqlInsert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

# Stable constraint names, so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

_EXTENSION_KEY = "checkout.db"
#: Execution option: "DEFERRED" for a connection that only reads (SQLite only; see below).
SQLITE_BEGIN = "sqlite_begin"
_SESSION_KEY = "_checkout_db_session"
_CHECKED_IN_AT = "checkout_checked_in_at"


class Base(DeclarativeBase):
    """Base class of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Database:
    """The engine and session factory that belong to one app."""

    def __init__(self, engine: Engine) -> None:
        """Keep the engine and a factory of sessions bound to it."""
        self.engine = engine
        self.session_factory = sessionmaker(bind=engine, expire_on_commit=False)

    def bind_to(self, connection: Any) -> None:
        """Bind new sessions to `connection`; commits become savepoints (tests use this)."""
        self.session_factory.configure(bind=connection, join_transaction_mode="create_savepoint")


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the common way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def default_sqlite_url(instance_path: str) -> str:
    """The embedded default: a SQLite file in the app's instance folder."""
    return f"sqlite:///{Path(instance_path) / 'checkout.sqlite3'}"


#: A pooled server connection idle for longer than this is pinged before it is used again.
IDLE_PING_SECONDS = 10.0


def make_engine(url: str, idle_ping_seconds: float = IDLE_PING_SECONDS) -> Engine:
    """Create an engine (no connection yet); SQLite gets real transactions and foreign keys."""
    url = normalise_url(url)
    if make_url(url).get_backend_name() != "sqlite":
        engine = create_engine(url)
        _ping_connections_left_idle(engine, idle_ping_seconds)
        return engine
    engine = create_engine(url, connect_args={"timeout": 30})
    _give_sqlite_real_transactions(engine)
    return engine


def _ping_connections_left_idle(engine: Engine, idle_seconds: float) -> None:
    """Ping a pooled connection before use only when it sat idle, and replace it if dead.

    `pool_pre_ping` pings before every request: a round trip each time (a sixth of a wizard
    submission's). A connection dies with a database restart or an idle timeout, and both
    find it idle; one checked in moments ago under load is used straight away. Raising
    DisconnectionError on checkout is SQLAlchemy's documented way to have the pool replace it.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        checked_in_at = record.info.get(_CHECKED_IN_AT)
        if checked_in_at is None or time.monotonic() - checked_in_at < idle_seconds:
            return  # new, or in use moments ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise DisconnectionError("a pooled connection left idle is gone") from error
        if not alive:
            raise DisconnectionError("a pooled connection left idle is gone")


def _give_sqlite_real_transactions(engine: Engine) -> None:
    """Let SQLAlchemy emit BEGIN itself, so SAVEPOINT and locking behave (pysqlite quirk).

    BEGIN IMMEDIATE takes the write lock at the start: with plain BEGIN, two requests that
    both read and then write (a webhook and the return page, say) deadlock on the lock
    upgrade, and SQLite fails one at once with "database is locked" instead of waiting. WAL
    lets readers go on while one request writes.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # With WAL, NORMAL is durable across crashes (not power loss of the last commits);
        # FULL would fsync every commit, a cost the embedded default need not pay.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")


def upsert_insert(session: Session, table: Any) -> SqliteInsert | PostgresqlInsert:
    """An INSERT into `table` that can take ON CONFLICT DO NOTHING, in the session's dialect
    (both of ours have it, but SQLAlchemy's generic INSERT does not)."""
    if session.get_bind().dialect.name == "sqlite":
        return sqlite_insert(table)
    return postgresql_insert(table)


@functools.cache
def insert_or_skip(dialect: str, table: Any, conflict: str, returning: str) -> Any:
    """INSERT INTO `table` ... ON CONFLICT (`conflict`) DO NOTHING RETURNING `returning`, built
    once per dialect and table; the row's values go as parameters of `session.execute`.

    Built per call, such a statement (values, conflict target, RETURNING, then its cache key)
    cost a webhook more CPU than anything else it does.
    """
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    return (
        insert(table)
        .on_conflict_do_nothing(index_elements=[conflict])
        .returning(table.c[returning])
    )


def init_app(app: Flask) -> Database:
    """Attach a Database to `app` and commit or roll back at the end of each request."""
    url = app.config.get("DATABASE_URL") or default_sqlite_url(app.instance_path)
    app.config["DATABASE_URL"] = url
    database = Database(make_engine(url))
    app.extensions[_EXTENSION_KEY] = database
    app.after_request(_commit_unless_failed)
    app.teardown_appcontext(_close_session)
    return database


def get_database(app: Flask | None = None) -> Database:
    """The Database of `app`, or of the current app."""
    return (app or current_app).extensions[_EXTENSION_KEY]  # type: ignore[no-any-return]


def db_session() -> Session:
    """The session of the current app context, created on first use."""
    session: Session | None = g.get(_SESSION_KEY)
    if session is None:
        session = get_database().session_factory()
        setattr(g, _SESSION_KEY, session)
    return session


def _commit_unless_failed(response: Response) -> Response:
    """Commit once per request when the response is not an error; otherwise roll back."""
    session: Session | None = g.get(_SESSION_KEY)
    if session is not None:
        if response.status_code < 400:
            session.commit()
        else:
            session.rollback()
    return response


def _close_session(_exc: BaseException | None) -> None:
    """Close the context's session; anything not committed is rolled back."""
    session: Session | None = g.pop(_SESSION_KEY, None)
    if session is not None:
        session.close()
