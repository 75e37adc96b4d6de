"""Run Alembic from code: no alembic.ini, the URL comes from the app's configuration.

Alembic is imported when a migration command runs, not with the app: it took a quarter of
the start-up of every process (web workers, outbox workers, every other command).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from checkout.paths import MIGRATIONS_DIR

if TYPE_CHECKING:
    from alembic.config import Config


def alembic_config(url: str = "", connection: Any = None) -> Config:
    """An Alembic Config for our migrations folder and the given URL or open connection."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str = "", connection: Any = None, revision: str = "head") -> None:
    """Bring the database at `url` (or on `connection`) up to `revision`."""
    from alembic import command

    command.upgrade(alembic_config(url, connection), revision)


def downgrade(url: str, revision: str) -> None:
    """Take the database at `url` back to `revision`."""
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def show_current(url: str) -> None:
    """Print the revision the database at `url` is at."""
    from alembic import command

    command.current(alembic_config(url))


def write_revision(url: str, message: str, autogenerate: bool) -> None:
    """Write a new migration file, compared against the models when `autogenerate`."""
    from alembic import command

    command.revision(alembic_config(url), message=message, autogenerate=autogenerate)
