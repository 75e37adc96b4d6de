"""`flask --app wsgi receipts ...`: what support and finance do until their consoles exist."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from checkout.db import db_session
from checkout.donations.models import Donor
from checkout.offices import OfficeRegistry, UnknownOffice
from checkout.receipts import annual, services
from checkout.receipts.handlers import context
from checkout.receipts.models import Receipt

receipts_cli = AppGroup("receipts", help="Resend, correct and summarise receipts.")


def _receipt(number: str) -> Receipt:
    receipt = db_session().scalar(select(Receipt).where(Receipt.number == number))
    if receipt is None:
        raise click.ClickException(f"no receipt {number}")
    return receipt


@receipts_cli.command("resend")
@click.argument("number")
def resend_command(number: str) -> None:
    """Send receipt NUMBER again: the same stored PDF, the same Message-ID."""
    try:
        services.resend(db_session(), _receipt(number))
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    db_session().commit()
    click.echo(f"{number} will be sent again")


@receipts_cli.command("correct")
@click.argument("number")
@click.option("--reason", required=True, help="Why, for the record (e.g. 'name misspelt').")
@click.option("--first-name")
@click.option("--middle-initial")
@click.option("--last-name")
def correct_command(
    number: str,
    reason: str,
    first_name: str | None,
    middle_initial: str | None,
    last_name: str | None,
) -> None:
    """Void receipt NUMBER and issue a replacement that cites it (fix the name first)."""
    session = db_session()
    receipt = _receipt(number)
    donor = session.get(Donor, receipt.donor_id)
    assert donor is not None
    donor.first_name = first_name or donor.first_name
    donor.middle_initial = middle_initial if middle_initial is not None else donor.middle_initial
    donor.last_name = last_name or donor.last_name
    replacement = services.void_and_reissue(session, receipt, reason, context())
    session.commit()
    click.echo(f"{number} void; replaced by {replacement.number if replacement else 'nothing'}")


@receipts_cli.command("annual")
@click.option("--office", "office_code", required=True)
@click.option("--year", type=int, required=True)
def annual_command(office_code: str, year: int) -> None:
    """Issue the year's statements for gifts not receipted one by one; safe to re-run."""
    offices: OfficeRegistry = current_app.extensions["checkout.offices"]
    try:
        office = offices.get(office_code)
    except UnknownOffice:
        raise click.ClickException(f"no office {office_code}") from None
    session, ctx = db_session(), context()
    period = annual.tax_year(office, year)
    try:
        annual.check_period_over(office, period, ctx.today_for(office))
    except annual.PeriodNotOver as error:
        raise click.ClickException(str(error)) from None
    try:
        issued = annual.issue_statements(
            session, office, period, ctx, progress=lambda made: click.echo(f"  {made} issued")
        )
    except services.ReceiptRefused as refusal:
        raise click.ClickException(str(refusal)) from None
    click.echo(f"issued {issued} statements for {office.code} {period[0]} to {period[1]}")


@receipts_cli.command("summaries")
@click.option("--office", "office_code", required=True)
@click.option("--year", type=int, required=True, help="The tax year, by the year it ends in.")
def summaries_command(office_code: str, year: int) -> None:
    """Queue each monthly donor's summary of the tax year's gifts, already receipted one by
    one (Australia: July to June); a summary is not a receipt. Safe to re-run."""
    offices: OfficeRegistry = current_app.extensions["checkout.offices"]
    try:
        office = offices.get(office_code)
    except UnknownOffice:
        raise click.ClickException(f"no office {office_code}") from None
    if office.receipt_kind != "au_dgr":
        raise click.ClickException(
            f"summaries are for Australian monthly donors, not {office.code}"
        )
    period = annual.tax_year(office, year)
    try:
        annual.check_period_over(office, period, context().today_for(office))
    except annual.PeriodNotOver as error:
        raise click.ClickException(str(error)) from None
    queued = annual.queue_summaries(db_session(), office, period)
    db_session().commit()
    click.echo(f"queued {queued} summaries for {office.code} {period[0]} to {period[1]}")
