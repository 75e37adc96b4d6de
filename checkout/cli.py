"""Flask commands: `flask --app wsgi db upgrade` and friends."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from checkout import migrate
from checkout.consent import commands as consent_commands
from checkout.db import db_session
from checkout.donations.models import RecurringPlan
from checkout.finance import commands as finance_commands
from checkout.outbox import commands as outbox_commands
from checkout.payments import services as payment_services
from checkout.payments import wiring
from checkout.receipts import commands as receipt_commands
from checkout.retention import commands as retention_commands
from checkout.transfers import commands as transfer_commands
from checkout.wizard import services as wizard_services

db_cli = AppGroup("db", help="Database schema migrations (Alembic).")


def _url() -> str:
    """The configured database URL; the SQLite default needs its folder to exist."""
    url = str(current_app.config["DATABASE_URL"])
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return url


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def upgrade_command(revision: str) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    migrate.upgrade(_url(), revision=revision)
    click.echo(f"database at {revision}")


@db_cli.command("downgrade")
@click.argument("revision")
def downgrade_command(revision: str) -> None:
    """Undo migrations down to REVISION."""
    migrate.downgrade(_url(), revision)


@db_cli.command("current")
def current_command() -> None:
    """Show the revision the database is at."""
    migrate.show_current(_url())


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate/--empty", default=True)
def revision_command(message: str, autogenerate: bool) -> None:
    """Write a new migration, compared against the models by default."""
    migrate.write_revision(_url(), message, autogenerate)


drafts_cli = AppGroup("drafts", help="Donation drafts kept on the server.")


@drafts_cli.command("purge")
@click.option(
    "--idle-minutes",
    type=int,
    default=None,
    help="Erase drafts idle this long (default: DRAFT_IDLE_MINUTES).",
)
def purge_drafts_command(idle_minutes: int | None) -> None:
    """Erase what donors typed into drafts that expired before reaching payment."""
    minutes = idle_minutes if idle_minutes is not None else current_app.config["DRAFT_IDLE_MINUTES"]
    session = db_session()
    purged = wizard_services.purge_expired(session, timedelta(minutes=int(minutes)))
    session.commit()
    click.echo(f"purged {purged} expired drafts")


plans_cli = AppGroup("plans", help="Recurring gifts.")


@plans_cli.command("cancel")
@click.argument("subscription_id")
def cancel_plan_command(subscription_id: str) -> None:
    """Cancel the recurring gift with this Stripe subscription id, at Stripe and here."""
    session = db_session()
    plan = session.scalar(
        select(RecurringPlan).where(RecurringPlan.stripe_subscription_id == subscription_id)
    )
    if plan is None:
        raise click.ClickException(f"no recurring gift with subscription {subscription_id}")
    payment_services.cancel_recurring(plan, wiring.gateway())
    session.commit()
    click.echo(f"canceled {subscription_id}: {plan.status}")


def init_app(app: Flask) -> None:
    """Register the command groups."""
    app.cli.add_command(db_cli)
    app.cli.add_command(drafts_cli)
    app.cli.add_command(plans_cli)
    app.cli.add_command(outbox_commands.worker_command)
    app.cli.add_command(outbox_commands.outbox_cli)
    app.cli.add_command(receipt_commands.receipts_cli)
    app.cli.add_command(consent_commands.consent_cli)
    app.cli.add_command(retention_commands.retention_cli)
    app.cli.add_command(retention_commands.donors_cli)
    app.cli.add_command(transfer_commands.offices_cli)
    app.cli.add_command(finance_commands.finance_cli)
