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


def test_payouts_already_stored_get_the_sums_of_their_lines(tmp_path) -> None:
    """0024 keeps each payout's sums on the payout: those stored before it get them too."""
    url = f"sqlite:///{tmp_path / 'sums.sqlite3'}"
    migrate.upgrade(url, revision="0023")
    engine = create_engine(url)
    payout = (
        "INSERT INTO finance_payouts (id, stripe_payout_id, office_code, amount_minor, currency,"
        " status, reconciliation_status, arrival_date, stripe_created, lines_complete_at,"
        " created_at, updated_at) VALUES (:id, :po, 'DE', 0, 'EUR', 'paid', 'completed',"
        " '2026-12-01', '2026-11-30 00:00:00', :complete, '2026-11-30 00:00:00',"
        " '2026-11-30 00:00:00')"
    )
    line = (
        "INSERT INTO finance_balance_transactions (stripe_balance_transaction_id, office_code,"
        " payout_id, type, reporting_category, amount_minor, fee_minor, net_minor, currency,"
        " stripe_created, created_at) VALUES (:txn, 'DE', 1, :type, :category, :amount, :fee,"
        " :amount - :fee, 'EUR', '2026-11-29 00:00:00', '2026-11-29 00:00:00')"
    )
    with engine.begin() as connection:
        connection.execute(text(payout), {"id": 1, "po": "po_lines", "complete": "2026-12-01"})
        connection.execute(text(payout), {"id": 2, "po": "po_empty", "complete": "2026-12-01"})
        connection.execute(text(payout), {"id": 3, "po": "po_pending", "complete": None})
        for txn, kind, category, amount, fee in (
            ("txn_1", "charge", "charge", 5000, 100),
            ("txn_2", "refund", "refund", -1000, 0),
            ("txn_3", "adjustment", "dispute", -1500, 1500),
            ("txn_4", "payout", "payout", -1000, 0),
        ):
            connection.execute(
                text(line),
                {"txn": txn, "type": kind, "category": category, "amount": amount, "fee": fee},
            )
    migrate.upgrade(url)
    with engine.connect() as connection:
        sums = connection.execute(
            text(
                "SELECT stripe_payout_id, gross_minor, refunds_minor, disputes_minor,"
                " other_minor, fees_minor, net_minor, line_count FROM finance_payouts ORDER BY id"
            )
        ).all()
    engine.dispose()
    assert [tuple(row) for row in sums] == [
        ("po_lines", 5000, -1000, -1500, 0, 1600, 900, 3),
        ("po_empty", 0, 0, 0, 0, 0, 0, 0),
        ("po_pending", None, None, None, None, None, None, None),
    ]


def test_payments_already_made_take_their_donations_office(tmp_path) -> None:
    """0025 puts each payment's office on it: those made before it get their donation's."""
    url = f"sqlite:///{tmp_path / 'office.sqlite3'}"
    migrate.upgrade(url, revision="0024")
    engine = create_engine(url)
    moment = "2026-11-30 00:00:00"
    with engine.begin() as connection:
        for n, office in ((1, "NL"), (2, "DE")):
            connection.execute(
                text(
                    "INSERT INTO checkout_drafts (id, public_id, locale, data, created_at,"
                    " updated_at) VALUES (:n, :public, 'en', '{}', :at, :at)"
                ),
                {"n": n, "public": f"draft-{n}", "at": moment},
            )
            connection.execute(
                text(
                    "INSERT INTO donations (id, public_id, draft_id, office_code, currency,"
                    " amount_minor, fee_minor, frequency, method, status, created_at, updated_at)"
                    " VALUES (:n, :public, :n, :office, 'EUR', 1000, 0, 'once', 'card',"
                    " 'succeeded', :at, :at)"
                ),
                {"n": n, "public": f"donation-{n}", "office": office, "at": moment},
            )
            connection.execute(
                text(
                    "INSERT INTO payments (id, donation_id, status, amount_minor, currency,"
                    " refunded_minor, created_at, updated_at)"
                    " VALUES (:n, :n, 'succeeded', 1000, 'EUR', 0, :at, :at)"
                ),
                {"n": n, "at": moment},
            )
    migrate.upgrade(url)
    with engine.connect() as connection:
        offices = connection.execute(text("SELECT id, office_code FROM payments ORDER BY id"))
        assert [tuple(row) for row in offices] == [(1, "NL"), (2, "DE")]
    engine.dispose()
