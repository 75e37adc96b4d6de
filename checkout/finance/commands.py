"""`flask --app wsgi finance sync --office DE [--since DATE]` and `finance reconcile`."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import AppGroup

from checkout.db import db_session
from checkout.finance import sync
from checkout.finance.handlers import rules_for
from checkout.finance.reconciliation import reconcile
from checkout.offices import UnknownOffice
from checkout.payments.wiring import gateway, registry

finance_cli = AppGroup("finance", help="Payouts, reconciliation and exports for the books.")


def _office_code(code: str) -> str:
    try:
        return registry().get(code.upper()).code
    except UnknownOffice:
        raise click.ClickException(f"no office {code}") from None


@finance_cli.command("sync")
@click.option("--office", required=True, help="Office code, e.g. DE.")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Only payouts created on or after this day (UTC), e.g. 2026-11-01.",
)
def sync_command(office: str, since: datetime | None) -> None:
    """Keep the office's payouts and their balance transactions from Stripe, then reconcile.

    Run it again after a break: it continues after the last page it stored."""
    code, session = _office_code(office), db_session()
    stored = sync.sync_office(
        session, gateway(), code, rules_for(code), since=since.date() if since else None
    )
    count = 0
    with click.progressbar(stored, label=f"{code}: payouts", item_show_func=_shown) as bar:
        for _payout in bar:
            count += 1
    click.echo(f"{code}: {count} payouts kept")


def _shown(payout: object) -> str | None:
    return getattr(payout, "id", None)


@finance_cli.command("reconcile")
@click.option("--office", required=True, help="Office code, e.g. DE.")
def reconcile_command(office: str) -> None:
    """Look for mismatches between Stripe and our records anew."""
    code, session = _office_code(office), db_session()
    found = reconcile(session, code, rules_for(code))
    session.commit()
    click.echo(f"{code}: {found} open exceptions")
