"""The migrations and the models describe the same schema, and migrate up and down cleanly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine, inspect, text

from checkout import create_app, migrate
from checkout.paths import MIGRATIONS_DIR, PROJECT_ROOT
from checkout.schema import metadata


def test_models_match_the_migrated_schema(connection: Connection) -> None:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    differences = compare_metadata(context, metadata)
    assert differences == [], f"models and migrations differ; write a migration: {differences}"


def test_upgrade_then_downgrade_to_base_leaves_no_tables(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'roundtrip.sqlite3'}"
    migrate.upgrade(url)
    engine = create_engine(url)
    assert "checkout_drafts" in inspect(engine).get_table_names()
    migrate.downgrade(url, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()


@pytest.mark.postgres
def test_receipt_pdfs_are_not_compressed_again_by_postgresql(connection: Connection) -> None:
    """PDFs are compressed and encrypted already: pglz would only spend the server's time."""
    storage = connection.execute(
        text(
            "SELECT attstorage FROM pg_attribute"
            " WHERE attrelid = 'receipts'::regclass AND attname = 'pdf'"
        )
    ).scalar_one()
    assert storage == "e"  # EXTERNAL: out of line, uncompressed


def test_db_commands_upgrade_and_show_the_revision(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    runner = create_app({"DATABASE_URL": url}, environ={}).test_cli_runner()
    upgraded = runner.invoke(args=["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert "database at head" in upgraded.output
    engine = create_engine(url)
    with engine.connect() as connection:
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    engine.dispose()
    assert revision is not None and revision == ScriptDirectory(MIGRATIONS_DIR).get_current_head()


def test_making_the_app_does_not_import_alembic() -> None:
    """Alembic loads when a migration command runs: every process starts faster without it."""
    probe = (
        "import sys; from checkout import create_app;"
        " create_app({'DATABASE_URL': 'sqlite://'}, environ={});"
        " print('alembic' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=PROJECT_ROOT, check=True
    )
    assert result.stdout.strip() == "False"
