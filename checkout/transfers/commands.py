"""`flask --app wsgi offices export --office DE [--batch N] [--out DIR]`: batches for offices."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from checkout.core.clock import utcnow
from checkout.db import db_session
from checkout.offices import OfficeRegistry, UnknownOffice
from checkout.paths import project_path
from checkout.transfers import services

offices_cli = AppGroup("offices", help="Transfers to the national offices.")


def _office_code(code: str) -> str:
    offices: OfficeRegistry = current_app.extensions["checkout.offices"]
    try:
        return offices.get(code.upper()).code
    except UnknownOffice:
        raise click.ClickException(f"no office {code}") from None


def export_root() -> Path:
    """The folder holding each office's batch folder (OFFICE_EXPORT_DIR, or instance/exports)."""
    configured = str(current_app.config.get("OFFICE_EXPORT_DIR") or "")
    return project_path(configured) if configured else Path(current_app.instance_path) / "exports"


def _folder(out: str | None, office_code: str) -> Path:
    return Path(out) if out else export_root() / office_code


@offices_cli.command("export")
@click.option("--office", "office", required=True, help="Office code, e.g. DE.")
@click.option("--batch", "number", type=int, help="Write this stored batch again (same bytes).")
@click.option("--out", help="Folder for the files (default: instance/exports/<OFFICE>).")
def export_command(office: str, number: int | None, out: str | None) -> None:
    """Write the office's next batch (everything new since the last), or batch N again."""
    code, session = _office_code(office), db_session()
    try:
        if number is not None:
            batch = services.stored_batch(session, code, number)
        else:
            config = current_app.config
            hold = timedelta(days=float(config["OFFICE_EXPORT_HOLD_DAYS"]))
            key = str(config["EVIDENCE_HASH_KEY"])
            made = services.export_next(session, code, now=utcnow(), hold=hold, hash_key=key)
            if made is None:
                session.rollback()
                click.echo(f"{code}: nothing new since the last batch")
                return
            batch = made
        folder = _folder(out, code)
        services.batch_files(batch)  # refuses an erased or damaged batch before it is recorded
        services.record_copy(session, batch, folder, utcnow())
        session.commit()  # stored first: the files are copies of what the database keeps
        paths = services.write_batch(batch, folder)
    except (services.NoSuchBatch, services.BatchCorrupted, services.BatchErased) as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"{code} batch {batch.number}: {batch.gift_count} gifts, {batch.donor_count} donors, "
        f"{batch.consent_count} consent rows"
    )
    for path in paths:
        click.echo(str(path))
