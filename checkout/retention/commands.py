"""`flask --app wsgi retention run [--dry-run]`, `donors export EMAIL`, `donors erase EMAIL`."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from checkout.core.clock import utcnow
from checkout.core.files import FileChanges
from checkout.db import db_session
from checkout.paths import project_path
from checkout.payments.wiring import gateway, registry
from checkout.retention import access, requests, services
from checkout.retention.erasure import ErasureSettings
from checkout.transfers.commands import export_root

retention_cli = AppGroup("retention", help="Erase personal data past its retention period.")
donors_cli = AppGroup("donors", help="What we hold about a donor.")


def mail_folder() -> Path:
    """Where the file transport writes emails (MAIL_FILE_DIR, or instance/mail)."""
    configured = str(current_app.config.get("MAIL_FILE_DIR") or "")
    return project_path(configured) if configured else Path(current_app.instance_path) / "mail"


def erasure_settings(*, dry_run: bool = False) -> ErasureSettings:
    """Erasure's view of the app: offices, Stripe (none in a dry run), folders, hash key."""
    return ErasureSettings(
        offices=registry(),
        gateway=None if dry_run else gateway(),
        mail_folder=mail_folder(),
        export_root=export_root(),
        hash_key=str(current_app.config["EVIDENCE_HASH_KEY"]),
    )


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="Count what would be erased; change nothing.")
def run_command(dry_run: bool) -> None:
    """Erase expired drafts, batches' files, events and donors past their retention period."""
    session, config = db_session(), current_app.config

    def commit(changes: FileChanges) -> None:
        if dry_run:
            session.rollback()
        else:
            changes.apply()  # files first: a crash before the commit is redone next time
            session.commit()

    keep = services.RetentionPeriods(
        draft_days=int(config["RETENTION_DRAFT_DAYS"]),
        batch_days=int(config["OFFICE_EXPORT_KEEP_DAYS"]),
        event_days=int(config["STRIPE_EVENT_KEEP_DAYS"]),
    )
    report = services.run(
        session,
        erasure_settings(dry_run=dry_run),
        utcnow(),
        keep,
        batch_size=int(config["RETENTION_BATCH_SIZE"]),
        commit=commit,
    )
    click.echo(_summary(report, "would erase" if dry_run else "erased"))


def _summary(report: services.RetentionReport, verb: str) -> str:
    erased = report.erased
    assert erased is not None
    return (
        f"{verb}: {report.drafts + erased.drafts} drafts, {report.batches} office batches' "
        f"files, {report.events} Stripe events, {erased.donors} donors, {erased.receipts} "
        f"receipts, {erased.consent_rows} consent rows, {erased.batches} batches redacted, "
        f"{erased.customers} Stripe customers; kept: {report.kept_within_period} donors within "
        f"their retention period, {report.kept_still_due} with something still due"
        + (
            f"; {erased.customers_failed} Stripe customers to retry"
            if erased.customers_failed
            else ""
        )
    )


@donors_cli.command("export")
@click.argument("email")
def export_command(email: str) -> None:
    """Print everything held about EMAIL as JSON (a subject-access request)."""
    held = access.subject_access(db_session(), email, erasure_settings(dry_run=True))
    click.echo(json.dumps(held, indent=2, ensure_ascii=False, sort_keys=True))


@donors_cli.command("erase")
@click.argument("email")
def erase_command(email: str) -> None:
    """Erase EMAIL now where the law allows; restrict the rest and say until when."""
    session = db_session()
    answer = requests.erase_on_request(session, email, erasure_settings(), utcnow())
    answer.changes.apply()
    session.commit()
    if not answer.offices:
        click.echo("no donor with that address; drafts and stored emails of it were erased")
    for office in answer.offices:
        click.echo(_office_line(office))
    click.echo(
        f"drafts erased: {answer.drafts}; stored emails deleted: {len(answer.changes.deletes)}"
    )


def _office_line(office: requests.OfficeAnswer) -> str:
    if office.outcome == requests.ERASED:
        return f"{office.office_code}: erased"
    if office.outcome == requests.RESTRICTED:
        return (
            f"{office.office_code}: tax records kept, restricted, until {office.until}; "
            "everything else erased"
        )
    return f"{office.office_code}: nothing erased yet: {office.reason}"
