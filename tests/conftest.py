"""The test frame: a migrated database per run, and every test inside a rolled-back transaction.

The database is SQLite in a temporary folder unless TEST_DATABASE_URL names another (CI runs
the `db` tests again on PostgreSQL). Under CI=true an unreachable database fails the run; on a
laptop the PostgreSQL-only tests skip with the reason.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from checkout import create_app, migrate
from checkout.db import get_database, make_engine
from checkout.mail.sending import close_all
from checkout.observability.logs import QUIET_LOGGERS

pytest_plugins = [
    "checkout.testing.stripe_standin.pytest_plugin",
    "checkout.testing.smtp",
    "tests.money_support",
]

IN_CI = os.environ.get("CI", "").lower() == "true"
DB_FIXTURES = {"connection", "app", "client", "runner", "db_session"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that touches the database, so CI can run them again on PostgreSQL."""
    for item in items:
        if DB_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)


#: Skip reasons that mean a Debian package is missing (tests/system_packages.sh installs them).
MISSING_PACKAGES = {"chromium": "browser tests", "qpdf": "PDF checks with qpdf"}


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say loudly, at the end of the run, which tests did not run for a missing package."""
    skipped = terminalreporter.stats.get("skipped", [])
    counts = dict.fromkeys(MISSING_PACKAGES, 0)
    for report in skipped:
        reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else ""
        for package in MISSING_PACKAGES:
            if (package in reason and "not installed" in reason) or f"needs {package}" in reason:
                counts[package] += 1
    missing = {package: count for package, count in counts.items() if count}
    if missing:
        terminalreporter.section("NOT RUN: Debian packages missing", sep="!", red=True)
        for package, count in missing.items():
            terminalreporter.line(
                f"{count} {MISSING_PACKAGES[package]} skipped: install Debian's {package} "
                "(make test does it as root or with sudo)",
                red=True,
            )


@pytest.fixture(autouse=True)
def _logging_as_it_was() -> Iterator[None]:
    """An app made with JSON logs configures the process's root logger: put it back after
    each test, so no test's log capture depends on another test having made an app."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quiet = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, quiet_level in quiet.items():
        logging.getLogger(name).setLevel(quiet_level)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """TEST_DATABASE_URL, or a fresh SQLite file for this run."""
    configured = os.environ.get("TEST_DATABASE_URL", "")
    if configured:
        return configured
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def is_postgres(url: str) -> bool:
    """True for a PostgreSQL URL, however it is spelled."""
    return url.startswith(("postgres://", "postgresql"))


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a database migrated to the newest revision, once per run."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as probe:
            probe.execute(text("SELECT 1"))
    except OperationalError as error:
        if IN_CI:
            pytest.fail(f"CI=true and the test database is unreachable: {error}", pytrace=False)
        pytest.skip(f"test database unreachable ({database_url}): {error}")
    with engine.begin() as connection:
        migrate.upgrade(connection=connection)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def _postgres_only(request: pytest.FixtureRequest, database_url: str) -> None:
    """Skip tests that need PostgreSQL itself when the run is on SQLite, saying why."""
    if request.node.get_closest_marker("postgres") and not is_postgres(database_url):
        pytest.skip("needs PostgreSQL: runs in CI's PostgreSQL pass, or set TEST_DATABASE_URL")


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back when the test ends."""
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        if transaction.is_active:
            transaction.rollback()


def test_settings(database_url: str, **extra: Any) -> dict[str, Any]:
    """Overrides that make an app fit for tests."""
    settings: dict[str, Any] = {
        "TESTING": True,
        "SECRET_KEY": "testing-not-secret",
        "DATABASE_URL": database_url,
        "RATELIMIT_STORAGE_URI": "memory://",
        "LOG_FORMAT": "",  # pytest captures the log itself
    }
    settings.update(extra)
    return settings


test_settings.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


@pytest.fixture
def app(connection: Connection, database_url: str) -> Iterator[Flask]:
    """An app whose sessions live inside the test's transaction; the real environment is ignored."""
    app = create_app(test_settings(database_url), environ={})
    database = get_database(app)
    database.bind_to(connection)
    yield app
    database.engine.dispose()  # its own pool (the health check connects outside the transaction)


@pytest.fixture
def bound_apps(connection: Connection, database_url: str) -> Iterator[Any]:
    """Make apps with settings and an environment of the test's own, inside the test's
    transaction: `bound_apps(environ={...}, SETTING=value)`. Engines are disposed afterwards
    (/healthz and the like connect outside the transaction)."""
    made: list[Flask] = []

    def maker(environ: dict[str, str] | None = None, **settings: Any) -> Flask:
        app = create_app(test_settings(database_url, **settings), environ=environ or {})
        get_database(app).bind_to(connection)
        made.append(app)
        return app

    yield maker
    for app in made:
        get_database(app).engine.dispose()


@pytest.fixture
def mailing_app(app: Flask, smtp_server: Any) -> Iterator[Flask]:
    """`app` sending its email to the loopback SMTP server, with links to a public address;
    the SMTP connections it kept are closed afterwards."""
    app.config.update(
        MAIL_TRANSPORT="smtp",
        SMTP_HOST=smtp_server.host,
        SMTP_PORT=smtp_server.port,
        SMTP_SECURITY="none",
        PUBLIC_BASE_URL="https://give.example.org",
    )
    yield app
    close_all()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client for `app`."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A CLI runner for `app`'s commands."""
    return app.test_cli_runner()


@pytest.fixture
def db_session(app: Flask) -> Iterator[Session]:
    """A session on the test's connection, beside (not inside) the app's request contexts.

    It deliberately pushes no app context: one pushed for the whole test would make every
    request in it share `g`, and with it one database session and one CSRF token.
    """
    session = get_database(app).session_factory()
    yield session
    session.close()
