"""Finance: each payout keeps the sums of its lines, filled once its lines are stored.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

SUMS = {
    "gross_minor": "Charges, payments",
    "refunds_minor": "Refunds (negative)",
    "disputes_minor": "Disputes",
    "other_minor": "Anything else",
    "fees_minor": "Stripe's fees",
    "net_minor": "What the lines net",
}

# The payouts whose lines are already stored get their sums now (the same sums as
# checkout/finance/ingest.py's, written out: a migration must not change with the code).
BACKFILL = """
UPDATE finance_payouts SET
    gross_minor = s.gross, refunds_minor = s.refunds, disputes_minor = s.disputes,
    other_minor = s.other, fees_minor = s.fees, net_minor = s.net, line_count = s.lines
FROM (
    SELECT payout_id,
        sum(CASE WHEN type IN ('charge', 'payment') THEN amount_minor ELSE 0 END) AS gross,
        sum(CASE WHEN type IN ('refund', 'refund_failure') THEN amount_minor ELSE 0 END)
            AS refunds,
        sum(CASE WHEN reporting_category LIKE 'dispute%' THEN amount_minor ELSE 0 END)
            AS disputes,
        sum(CASE WHEN type IN ('charge', 'payment', 'refund', 'refund_failure')
                   OR reporting_category LIKE 'dispute%' THEN 0 ELSE amount_minor END) AS other,
        sum(fee_minor) AS fees, sum(net_minor) AS net, count(*) AS lines
    FROM finance_balance_transactions
    WHERE type <> 'payout' AND payout_id IS NOT NULL
    GROUP BY payout_id
) AS s
WHERE s.payout_id = finance_payouts.id
"""
EMPTY = """
UPDATE finance_payouts SET gross_minor = 0, refunds_minor = 0, disputes_minor = 0,
    other_minor = 0, fees_minor = 0, net_minor = 0, line_count = 0
WHERE lines_complete_at IS NOT NULL AND line_count IS NULL
"""


def upgrade() -> None:
    with op.batch_alter_table("finance_payouts") as batch:
        for name, comment in SUMS.items():
            batch.add_column(sa.Column(name, sa.BigInteger(), nullable=True, comment=comment))
        batch.add_column(
            sa.Column("line_count", sa.Integer(), nullable=True, comment="How many lines it holds")
        )
    op.execute(BACKFILL)
    op.execute(EMPTY)


def downgrade() -> None:
    with op.batch_alter_table("finance_payouts") as batch:
        for name in [*SUMS, "line_count"]:
            batch.drop_column(name)
