"""The migrations and the models describe the same schema, and migrate up and down cleanly."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, create_engine, inspect, text

from checkout import migrate
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
