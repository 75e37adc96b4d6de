"""Signing in and out of the consoles: password, then a second factor (an authenticator
app's code, a passkey, or a recovery code), and re-proving the factor before sensitive acts.

Between the two factors the cookie holds only the account's id and when the password was
right; the signed-in session starts, with a new random token, once the second factor is
proved. A failed step is written to the audit log and answers the same whether or not the
account exists.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import login_user, logout_user
from werkzeug.wrappers import Response

from checkout.audit.services import Actor, record
from checkout.core.clock import as_utc, utcnow
from checkout.db import db_session
from checkout.extensions import limiter
from checkout.site.i18n import gettext as _
from checkout.staff import passkeys, services
from checkout.staff.access import (
    StaffUser,
    client_hash,
    local_path,
    log,
    protect_response,
    relying_party,
    requires,
    signed_in,
    staff,
)
from checkout.staff.forms import CodeForm, RecoveryForm, SignInForm, error_list
from checkout.staff.models import StaffAccount

blueprint = Blueprint("staff", __name__, url_prefix="/staff")
blueprint.after_request(protect_response)

PENDING = "staff_pending"  # {"id": account id, "at": when the password was right}
NEXT = "staff_next"
CHALLENGE = "staff_passkey_challenge"
#: The second factor must follow the password within this time.
PENDING_SECONDS = 300


# --- throttling: failures only, per typed address and per client address ---------------------


def _typed_account_key() -> str:
    """A keyed hash of the address typed: unknown and known addresses are counted alike, and
    no address is kept in the limiter's store."""
    email = services.normalise_email(request.form.get("email", ""))
    key = str(current_app.config["EVIDENCE_HASH_KEY"]).encode()
    return "staff-sign-in:" + hmac.new(key, email.encode(), hashlib.sha256).hexdigest()


def _pending_account_key() -> str:
    pending = session.get(PENDING) or {}
    return f"staff-factor:{pending.get('id', request.remote_addr)}"


def _failed(response: Response) -> bool:
    """A form shown again (200) is a failed attempt; a redirect is a success."""
    return response.status_code == 200 and request.method == "POST"


def _limit(setting: str) -> Any:
    return lambda: str(current_app.config[setting])


# --- signing in -------------------------------------------------------------------------------


@blueprint.get("/")
@requires()
def home() -> str:
    """The console's start page: what this person may open."""
    return render_template("staff/home.html", user=signed_in())


@blueprint.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_limit("STAFF_ADDRESS_RATE_LIMIT"), methods=["POST"], deduct_when=_failed)
@limiter.limit(
    _limit("STAFF_ACCOUNT_RATE_LIMIT"),
    key_func=_typed_account_key,
    methods=["POST"],
    deduct_when=_failed,
)
def sign_in() -> Any:
    """Email address and password: the first factor."""
    if staff() is not None:
        return redirect(url_for(".home"))
    form = SignInForm()
    if form.validate_on_submit():
        account = services.authenticate(db_session(), form.email.data, form.password.data)
        if account is not None:
            return _await_second_factor(account)
        _log_failure(services.account_by_email(db_session(), form.email.data), "password")
        form.email.errors.append(_("The email address or password is not right."))
    elif request.method == "GET":
        session[NEXT] = local_path(request.args.get("next"))
    return render_template("staff/sign_in.html", form=form, errors=error_list(form))


def _await_second_factor(account: StaffAccount) -> Response:
    """The password was right: remember that (and nothing else) until the second factor."""
    next_url = session.get(NEXT)
    session.clear()  # nothing from before the sign-in survives it
    session[PENDING] = {"id": account.id, "at": utcnow().isoformat()}
    session[NEXT] = next_url
    return redirect(url_for(".second_factor"))


def _log_failure(account: StaffAccount | None, detail: str) -> None:
    """A failed sign-in step, tied to the account when the typed address has one."""
    who = Actor("anonymous", account.id if account else None, client_hash())
    record(db_session(), who, "staff.sign_in", outcome="failed", detail=detail)


def pending_account() -> StaffAccount | None:
    """The account whose password was right moments ago, still allowed to sign in."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    try:
        started = as_utc(datetime.fromisoformat(str(pending["at"])))
    except (KeyError, ValueError):
        return None
    if utcnow() - started > timedelta(seconds=PENDING_SECONDS):
        return None
    account = db_session().get(StaffAccount, int(pending["id"]))
    return account if account is not None and account.active else None


@blueprint.route("/sign-in/code", methods=["GET", "POST"])
@limiter.limit(
    _limit("STAFF_FACTOR_RATE_LIMIT"),
    key_func=_pending_account_key,
    methods=["POST"],
    deduct_when=_failed,
)
def second_factor() -> Any:
    """The authenticator app's code, or the way to a passkey or a recovery code."""
    account = pending_account()
    if account is None:
        return _start_again()
    form = CodeForm()
    if form.validate_on_submit():
        if services.check_totp(account, form.code.data, utcnow()):
            return _signed_in_redirect(account, "totp")
        _log_failure(account, "totp")
        form.code.errors.append(_("That code is not right or was used already."))
    return render_template(
        "staff/second_factor.html", form=form, errors=error_list(form), account=account
    )


@blueprint.route("/sign-in/recovery", methods=["GET", "POST"])
@limiter.limit(
    _limit("STAFF_FACTOR_RATE_LIMIT"),
    key_func=_pending_account_key,
    methods=["POST"],
    deduct_when=_failed,
)
def recovery() -> Any:
    """A one-use recovery code instead of the second factor."""
    account = pending_account()
    if account is None:
        return _start_again()
    form = RecoveryForm()
    if form.validate_on_submit():
        if services.use_recovery_code(db_session(), account, form.code.data, utcnow()):
            flash(_("You used a recovery code. Make new ones on your account page."))
            return _signed_in_redirect(account, "recovery_code")
        _log_failure(account, "recovery_code")
        form.code.errors.append(_("That recovery code is not right or was used already."))
    return render_template("staff/recovery.html", form=form, errors=error_list(form))


def _start_again() -> Response:
    flash(_("Please sign in again."))
    return redirect(url_for(".sign_in"))


def start_signed_in_session(account: StaffAccount, method: str) -> None:
    """Both factors passed: a new session with a new token, and the event logged."""
    session.clear()
    row, token = services.start_session(db_session(), account, client_hash(), utcnow())
    login_user(StaffUser(row, token))
    log("staff.sign_in", detail=method)


def _signed_in_redirect(account: StaffAccount, method: str) -> Response:
    next_url = local_path(session.get(NEXT))
    start_signed_in_session(account, method)
    return redirect(next_url or url_for(".home"))


# --- passkeys: sign-in and re-proof -------------------------------------------------------------


@blueprint.post("/passkey/options")
def passkey_options() -> Any:
    """Options for navigator.credentials.get: for the signed-in or the half-signed-in person."""
    account = _passkey_account()
    if account is None or not account.passkeys:
        return jsonify(error=_("No passkey is set up for this account.")), 400
    options, challenge = passkeys.authentication_options(
        relying_party(), [p.credential_id for p in account.passkeys]
    )
    session[CHALLENGE] = challenge
    return current_app.response_class(options, mimetype="application/json")


@blueprint.post("/passkey")
@limiter.limit(
    _limit("STAFF_FACTOR_RATE_LIMIT"),
    key_func=_pending_account_key,
    deduct_when=lambda response: response.status_code == 400,
)
def passkey_answer() -> Any:
    """The browser's signed answer: signs in, or renews the proof of a signed-in person."""
    account, challenge = _passkey_account(), session.pop(CHALLENGE, None)
    answer = request.get_data(as_text=True)
    if account is None or not isinstance(challenge, str):
        return jsonify(error=_("Please sign in again.")), 400
    try:
        passkey = services.passkey_of(account, passkeys.answered_credential(answer))
        if passkey is None:
            raise passkeys.PasskeyRefused("not one of this account's passkeys")
        count = passkeys.verify_authentication(
            relying_party(), answer, challenge, passkey.public_key, passkey.sign_count
        )
    except passkeys.PasskeyRefused:
        _log_failure(account, "passkey")
        return jsonify(error=_("The passkey could not be checked. Please try again.")), 400
    passkey.sign_count, passkey.last_used_at = count, utcnow()
    return jsonify(redirect=_after_passkey(account))


def _passkey_account() -> StaffAccount | None:
    user = staff()
    return user.account if user is not None else pending_account()


def _after_passkey(account: StaffAccount) -> str:
    """Where the page goes once the passkey verified."""
    user = staff()
    if user is None:
        next_url = local_path(session.get(NEXT))
        start_signed_in_session(account, "passkey")
        return next_url or url_for(".home")
    user.session_row.second_factor_at = utcnow()
    log("staff.confirm_identity", detail="passkey")
    return local_path(session.pop(NEXT, None)) or url_for(".home")


# --- proving the factor again before a sensitive action -----------------------------------------


@blueprint.route("/confirm", methods=["GET", "POST"])
@limiter.limit(
    _limit("STAFF_FACTOR_RATE_LIMIT"),
    key_func=lambda: f"staff-confirm:{request.remote_addr}",
    methods=["POST"],
    deduct_when=_failed,
)
@requires()
def confirm() -> Any:
    """Ask for the second factor again; then go on to where the person was going."""
    user = signed_in()
    if request.method == "GET":
        session[NEXT] = local_path(request.args.get("next"))
    form = CodeForm()
    if form.validate_on_submit():
        if services.check_totp(user.account, form.code.data, utcnow()):
            user.session_row.second_factor_at = utcnow()
            log("staff.confirm_identity", detail="totp")
            return redirect(local_path(session.pop(NEXT, None)) or url_for(".home"))
        log("staff.confirm_identity", outcome="failed", detail="totp")
        form.code.errors.append(_("That code is not right or was used already."))
    return render_template(
        "staff/confirm.html", form=form, errors=error_list(form), account=user.account
    )


# --- signing out --------------------------------------------------------------------------------


@blueprint.post("/sign-out")
@requires()
def sign_out() -> Response:
    """End this browser's session."""
    services.end_session(signed_in().session_row, utcnow())
    log("staff.sign_out")
    logout_user()
    session.clear()
    flash(_("You are signed out."))
    return redirect(url_for(".sign_in"))


@blueprint.post("/sign-out-everywhere")
@requires()
def sign_out_everywhere() -> Response:
    """End every session of this account, on every device."""
    services.end_all_sessions(db_session(), signed_in().account, utcnow())
    log("staff.sign_out_everywhere")
    logout_user()
    session.clear()
    flash(_("You are signed out on every device."))
    return redirect(url_for(".sign_in"))
