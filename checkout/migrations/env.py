"""Alembic environment: run migrations on the connection or URL that checkout.migrate passes."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from checkout.db import normalise_url
from checkout.schema import metadata

config = context.config


def run_migrations() -> None:
    """Migrate over a given connection (tests) or a fresh engine for the configured URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    engine = create_engine(normalise_url(config.get_main_option("sqlalchemy.url") or ""))
    with engine.begin() as new_connection:
        _run_on(new_connection)
    engine.dispose()


def _run_on(connection: object) -> None:
    """Configure Alembic for this connection and run the pending migrations."""
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
