"""`flask --app wsgi retention run [--dry-run]` and `flask --app wsgi donors export EMAIL`."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import AppGroup

from checkout.core.clock import utcnow
from checkout.db import db_session
from checkout.offices import OfficeRegistry
from checkout.retention import access, services

retention_cli = AppGroup("retention", help="Erase personal data past its retention period.")
donors_cli = AppGroup("donors", help="What we hold about a donor.")


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="Count what would be erased; change nothing.")
def run_command(dry_run: bool) -> None:
    """Erase expired drafts and donors past their office's retention period."""
    session = db_session()
    offices: OfficeRegistry = current_app.extensions["checkout.offices"]
    config = current_app.config
    report = services.run(
        session,
        offices,
        utcnow(),
        draft_days=int(config["RETENTION_DRAFT_DAYS"]),
        batch_days=int(config["OFFICE_EXPORT_KEEP_DAYS"]),
    )
    if dry_run:
        session.rollback()
    else:
        session.commit()
    verb = "would erase" if dry_run else "erased"
    click.echo(
        f"{verb}: {report.drafts} drafts, {report.batches} office batches' files, "
        f"{report.donors} donors, {report.receipts} receipts, "
        f"{report.consent_rows} consent rows; kept: {report.kept_within_period} donors within "
        f"their retention period, {report.kept_still_due} with something still due"
    )


@donors_cli.command("export")
@click.argument("email")
def export_command(email: str) -> None:
    """Print everything held about EMAIL as JSON (a subject-access request)."""
    held = access.subject_access(db_session(), email, str(current_app.config["EVIDENCE_HASH_KEY"]))
    click.echo(json.dumps(held, indent=2, ensure_ascii=False, sort_keys=True))
