"""`flask --app wsgi consent ...`: the notice lock."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from checkout.consent import notice_lock
from checkout.offices import OfficeRegistry
from checkout.paths import project_path

consent_cli = AppGroup("consent", help="Consent notices and the ledger.")


@consent_cli.command("lock-notices")
def lock_notices_command() -> None:
    """Add every new notice version of the offices file to the notice lock."""
    registry: OfficeRegistry = current_app.extensions["checkout.offices"]
    path = project_path(current_app.config["NOTICE_LOCK_FILE"])
    before = notice_lock.read_lock(path)
    after = notice_lock.locked(registry, before)
    notice_lock.write_lock(path, after)
    click.echo(f"{path}: {len(after) - len(before)} new texts locked, {len(after)} in all")
