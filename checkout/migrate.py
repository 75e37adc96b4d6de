"""Run Alembic from code: no alembic.ini, the URL comes from the app's configuration."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.config import Config

from checkout.paths import MIGRATIONS_DIR


def alembic_config(url: str = "", connection: Any = None) -> Config:
    """An Alembic Config for our migrations folder and the given URL or open connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str = "", connection: Any = None, revision: str = "head") -> None:
    """Bring the database at `url` (or on `connection`) up to `revision`."""
    command.upgrade(alembic_config(url, connection), revision)


def downgrade(url: str, revision: str) -> None:
    """Take the database at `url` back to `revision`."""
    command.downgrade(alembic_config(url), revision)
