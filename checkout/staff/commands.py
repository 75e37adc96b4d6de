"""`flask --app wsgi staff ...`: the first admin's enrolment link, and the demo's accounts."""

from __future__ import annotations

import secrets
from datetime import timedelta

import click
from flask import current_app, url_for
from flask.cli import AppGroup

from checkout.audit.services import Actor, Subject, record
from checkout.core.clock import utcnow
from checkout.db import db_session
from checkout.settings import is_production
from checkout.staff import services, totp
from checkout.staff.models import ALL_OFFICES, ROLES, StaffAccount

staff_cli = AppGroup("staff", help="Staff accounts of the consoles.")

#: The demo's accounts: one per console, so a newcomer can try each (never in production).
DEMO_ACCOUNTS = (
    ("admin@demo.invalid", "Demo admin", ("admin",), (ALL_OFFICES,)),
    ("support.de@demo.invalid", "Demo support DE", ("support",), ("DE",)),
    ("finance.uk@demo.invalid", "Demo finance UK", ("finance",), ("UK",)),
)


def _enrolment_link(token: str) -> str:
    """The link, on PUBLIC_BASE_URL (a command has no request to take the host from)."""
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    with current_app.test_request_context(base_url=base):
        return url_for("staff.open_enrolment", token=token, _external=True)


def _check_offices(offices: tuple[str, ...]) -> None:
    known = {office.code for office in current_app.extensions["checkout.offices"]}
    unknown = {code.upper() for code in offices} - known - {ALL_OFFICES}
    if unknown:
        raise click.BadParameter(
            f"unknown offices: {', '.join(sorted(unknown))}", param_hint="--office"
        )


@staff_cli.command("create")
@click.argument("email")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES))
@click.option("--office", "offices", multiple=True, required=True, help="An office code, or ALL.")
@click.option("--name", default="", help="The person's name, as colleagues know it.")
def create_command(email: str, roles: tuple[str, ...], offices: tuple[str, ...], name: str) -> None:
    """Create a staff account and print its one-time enrolment link."""
    _check_offices(offices)
    session, now = db_session(), utcnow()
    hours = int(current_app.config["STAFF_ENROLMENT_HOURS"])
    try:
        account, token = services.invite(
            session, email, roles, offices, now, timedelta(hours=hours), name
        )
    except services.StaffError as error:
        raise click.ClickException(str(error)) from None
    record(
        session,
        Actor("system"),
        "staff.invited",
        Subject(object_type="staff_account", object_id=account.id),
        reason="flask staff create",
        detail=f"roles={','.join(sorted(roles))} offices={','.join(sorted(account.office_codes))}",
    )
    session.commit()
    click.echo(f"Enrolment link for {account.email} (works once, for {hours} hours):")
    click.echo(_enrolment_link(token))


@staff_cli.command("demo")
def demo_command() -> None:
    """Create (or renew) the demo's accounts and print how to sign in with each."""
    if is_production(current_app.config):
        raise click.ClickException("refusing to create demo accounts in production")
    session, now = db_session(), utcnow()
    click.echo("Demo staff accounts (sign in at /staff/sign-in):")
    for email, name, roles, offices in DEMO_ACCOUNTS:
        account = services.account_by_email(session, email)
        if account is None:
            account, _token = services.invite(
                session, email, roles, offices, now, timedelta(0), name
            )
        password = secrets.token_urlsafe(12)
        services.set_password(account, password)
        secret = totp.new_secret()
        account.totp_secret, account.totp_last_step = secret, 0
        account.enrolment_token_hash = account.enrolment_expires_at = None
        account.enrolled_at = account.enrolled_at or now
        _describe(account, password, secret)
    session.commit()


def _describe(account: StaffAccount, password: str, secret: str) -> None:
    click.echo(f"\n  {account.display_name}: {account.email}")
    click.echo(f"    password:    {password}")
    click.echo(f"    TOTP secret: {secret} (add it to an authenticator app, or get a code:")
    code = f"import pyotp; print(pyotp.TOTP('{secret}').now())"
    click.echo(f'                 .venv/bin/python -c "{code}")')
