"""Staff administration and the audit log, for admins: invite, change, deactivate, reset;
read, filter and export the log. An admin manages only accounts whose offices are within
their own, and grants only offices they hold."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from checkout.audit import services as audit
from checkout.audit.services import Subject
from checkout.core.clock import utcnow
from checkout.db import db_session
from checkout.site.i18n import gettext as _
from checkout.staff import services
from checkout.staff.access import log, not_found, protect_response, requires, signed_in
from checkout.staff.forms import AccountForm, InviteForm, ReasonForm, error_list, office_choices
from checkout.staff.models import ALL_OFFICES, StaffAccount
from checkout.staff.permissions import MANAGE_STAFF, READ_AUDIT

blueprint = Blueprint("staff_admin", __name__, url_prefix="/staff/admin")
blueprint.after_request(protect_response)


def _office_choices() -> list[tuple[str, str]]:
    scope = signed_in().scope
    codes = [office.code for office in current_app.extensions["checkout.offices"]]
    allowed = [code for code in codes if scope.allows(code)]
    return office_choices(allowed, include_all=scope.codes is None)


def _managed(account_id: int) -> StaffAccount:
    """An account this admin may manage, or 404."""
    account = db_session().get(StaffAccount, account_id)
    if account is None or not signed_in().scope.covers(account.office_codes):
        not_found(Subject(object_type="staff_account", object_id=account_id))
    return account


def _enrolment_hours() -> timedelta:
    return timedelta(hours=int(current_app.config["STAFF_ENROLMENT_HOURS"]))


def enrolment_link(token: str) -> str:
    """The absolute address of an enrolment link."""
    return url_for("staff.open_enrolment", token=token, _external=True)


@blueprint.get("/accounts")
@requires(MANAGE_STAFF)
def accounts() -> str:
    """Every account this admin manages."""
    scope = signed_in().scope
    rows = db_session().scalars(select(StaffAccount).order_by(StaffAccount.email))
    return render_template(
        "staff/admin_accounts.html", accounts=[a for a in rows if scope.covers(a.office_codes)]
    )


@blueprint.route("/accounts/new", methods=["GET", "POST"])
@requires(MANAGE_STAFF, fresh=True)
def invite() -> Any:
    """A new account; its one-time enrolment link is shown once, for the admin to pass on."""
    form = InviteForm(_office_choices())
    if form.validate_on_submit():
        if services.account_by_email(db_session(), form.email.data) is not None:
            form.email.errors.append(_("There is already an account with this address."))
        else:
            account, token = services.invite(
                db_session(),
                form.email.data,
                form.roles.data,
                form.offices.data,
                utcnow(),
                _enrolment_hours(),
                form.display_name.data or "",
            )
            _log_account("staff.invited", account, form.reason.data)
            return render_template(
                "staff/admin_link.html", account=account, link=enrolment_link(token)
            )
    return render_template("staff/admin_invite.html", form=form, errors=error_list(form))


def _log_account(action: str, account: StaffAccount, reason: str) -> None:
    roles, offices = ",".join(sorted(account.role_names)), ",".join(sorted(account.office_codes))
    detail = f"roles={roles} offices={offices}"
    log(
        action,
        Subject(object_type="staff_account", object_id=account.id),
        reason=reason,
        detail=detail,
    )


@blueprint.route("/accounts/<int:account_id>", methods=["GET", "POST"])
@requires(MANAGE_STAFF, fresh=True)
def account(account_id: int) -> Any:
    """Change roles and offices; deactivate, reactivate, or reset the factors."""
    managed = _managed(account_id)
    form = AccountForm(
        _office_choices(), data=_current(managed) if request.method == "GET" else None
    )
    if form.validate_on_submit():
        services.set_roles_and_offices(managed, form.roles.data, form.offices.data)
        _log_account("staff.changed", managed, form.reason.data)
        flash(_("The account is changed."))
        return redirect(url_for(".account", account_id=managed.id))
    return render_template(
        "staff/admin_account.html",
        form=form,
        errors=error_list(form),
        managed=managed,
        state_form=ReasonForm(),
    )


def _current(account: StaffAccount) -> dict[str, Any]:
    offices = sorted(account.office_codes)
    return {"roles": sorted(account.role_names), "offices": offices}


@blueprint.post("/accounts/<int:account_id>/<any(deactivate, reactivate, reset):change>")
@requires(MANAGE_STAFF, fresh=True)
def change_state(account_id: int, change: str) -> Any:
    """Deactivate (every session ends), reactivate, or reset the factors (a new link)."""
    managed = _managed(account_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("Give a reason: it goes into the audit log."))
        return redirect(url_for(".account", account_id=managed.id))
    if managed.id == signed_in().account.id and change != "reactivate":
        flash(_("You cannot do this to your own account; ask another admin."))
        return redirect(url_for(".account", account_id=managed.id))
    _log_account(f"staff.{change}", managed, form.reason.data)
    if change == "deactivate":
        services.deactivate(db_session(), managed, utcnow())
    elif change == "reactivate":
        services.reactivate(managed)
    else:
        token = services.reset_credentials(db_session(), managed, utcnow(), _enrolment_hours())
        return render_template("staff/admin_link.html", account=managed, link=enrolment_link(token))
    flash(_("The account is changed."))
    return redirect(url_for(".account", account_id=managed.id))


# --- the audit log ------------------------------------------------------------------------------


def _day(name: str, end: bool = False) -> datetime | None:
    """A yyyy-mm-dd query argument as the start of that day (or of the next), UTC."""
    text = request.args.get(name, "").strip()
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None
    if day is None:
        return None
    moment = datetime.combine(day, time.min).replace(tzinfo=utcnow().tzinfo)
    return moment + timedelta(days=1) if end else moment


def _int_arg(name: str) -> int | None:
    text = request.args.get(name, "").strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


def _audit_filter() -> audit.AuditFilter:
    """The filter the query string asks for; anything unreadable is left out."""
    args = request.args
    outcome = args.get("outcome") if args.get("outcome") in ("ok", "denied", "failed") else None
    return audit.AuditFilter(
        action=args.get("action", "").strip() or None,
        staff_account_id=_int_arg("staff"),
        donor_id=_int_arg("donor"),
        office_code=args.get("office", "").strip().upper() or None,
        outcome=outcome,
        since=_day("since"),
        until=_day("until", end=True),
    )


@blueprint.get("/audit")
@requires(READ_AUDIT)
def audit_log() -> str:
    """The log, newest first, filtered by the form's fields, 50 to a page."""
    page = max(1, _int_arg("page") or 1)
    wanted = _audit_filter()
    rows, more = audit.find(db_session(), wanted, signed_in().scope.codes, page=page)
    log("audit.read", detail=request.query_string.decode()[:500])
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "staff/audit.html", rows=rows, page=page, more=more, args=args, all_offices=ALL_OFFICES
    )


@blueprint.get("/audit.csv")
@requires(READ_AUDIT, fresh=True)
def audit_export() -> Response:
    """The filtered log as a CSV file (every matching row, oldest first)."""
    wanted = _audit_filter()
    log("audit.export", detail=request.query_string.decode()[:500])
    chunks = list(audit.export_csv(db_session(), wanted, signed_in().scope.codes))
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    return Response(
        "".join(chunks),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'},
    )
