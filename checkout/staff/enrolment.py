"""Enrolment by a one-time link, and the person's own account page: password, authenticator
app (its QR code drawn here), passkeys, recovery codes shown once.

The link's token goes into the cookie only as its hash, and the link is spent when enrolment
ends; opening it again answers that it no longer works.
"""

from __future__ import annotations

from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from checkout.audit.services import Actor, Subject, record
from checkout.core.clock import utcnow
from checkout.db import db_session
from checkout.site.i18n import gettext as _
from checkout.staff import passkeys, services, totp
from checkout.staff.access import client_hash, log, relying_party, requires, signed_in
from checkout.staff.forms import CodeForm, NewPasswordForm, error_list
from checkout.staff.models import StaffAccount
from checkout.staff.views import blueprint, start_signed_in_session

ENROLMENT = "staff_enrolment"  # {"id": account id, "hash": the link token's SHA-256}
REGISTRATION = "staff_passkey_registration"


@blueprint.get("/enrol/<token>")
def open_enrolment(token: str) -> Response:
    """The link from the invitation: check it, keep only its hash, and drop it from the URL."""
    account = services.account_for_enrolment(db_session(), token, utcnow())
    if account is None:
        record(
            db_session(),
            Actor("anonymous", ip_hash=client_hash()),
            "staff.enrolment",
            outcome="failed",
            detail="link unknown, used or expired",
        )
        db_session().commit()  # the 404 below would roll the event back
        abort(404)
    session.clear()
    session[ENROLMENT] = {"id": account.id, "hash": services.token_hash(token)}
    return redirect(url_for(".enrol"))


def enrolling_account() -> StaffAccount | None:
    """The account whose enrolment link this browser opened, while the link is valid."""
    kept = session.get(ENROLMENT)
    if not isinstance(kept, dict):
        return None
    account = db_session().get(StaffAccount, int(kept.get("id", 0)))
    if account is None or account.enrolment_token_hash != kept.get("hash"):
        return None
    expires = account.enrolment_expires_at
    if expires is None or expires <= utcnow() or not account.active:
        return None
    return account


@blueprint.route("/enrol", methods=["GET", "POST"])
def enrol() -> Any:
    """Choose a password, then set up the authenticator app; then the recovery codes."""
    account = enrolling_account()
    if account is None:
        abort(404)
    if account.password_hash is None:
        return _choose_password(account)
    return _set_up_totp(account)


def _choose_password(account: StaffAccount) -> Any:
    form = NewPasswordForm(account.email)
    if form.validate_on_submit():
        services.set_password(account, form.password.data)
        return redirect(url_for(".enrol"))
    return render_template(
        "staff/enrol_password.html", form=form, errors=error_list(form), account=account
    )


def _set_up_totp(account: StaffAccount) -> Any:
    if not account.totp_secret:
        account.totp_secret = totp.new_secret()  # kept unconfirmed until a code matches
    form = CodeForm()
    if form.validate_on_submit():
        if services.confirm_totp(account, account.totp_secret, form.code.data, utcnow()):
            codes = services.finish_enrolment(db_session(), account, utcnow())
            start_signed_in_session(account, "enrolment")
            log("staff.enrolled", Subject(object_type="staff_account", object_id=account.id))
            return render_template("staff/recovery_codes.html", codes=codes, first_time=True)
        form.code.errors.append(_("That code is not right. Check the time on your phone."))
    uri = totp.provisioning_uri(
        account.totp_secret, account.email, str(current_app.config["CHARITY_NAME"])
    )
    return render_template(
        "staff/enrol_totp.html",
        form=form,
        errors=error_list(form),
        account=account,
        qr_svg=totp.qr_svg(uri),
        secret=account.totp_secret,
    )


# --- the person's own account -------------------------------------------------------------------


@blueprint.get("/account")
@requires()
def account_page() -> str:
    """Second factors, recovery codes left, sign out everywhere."""
    user = signed_in()
    left = services.unused_recovery_codes(db_session(), user.account)
    return render_template("staff/account.html", account=user.account, codes_left=left)


@blueprint.post("/account/recovery-codes")
@requires(fresh=True)
def renew_recovery_codes() -> str:
    """Ten new recovery codes, shown once; the old ones stop working."""
    account = signed_in().account
    codes = services.new_recovery_codes(db_session(), account, utcnow())
    log("staff.recovery_codes_renewed", Subject(object_type="staff_account", object_id=account.id))
    return render_template("staff/recovery_codes.html", codes=codes, first_time=False)


@blueprint.post("/account/passkeys/options")
@requires(fresh=True)
def passkey_registration_options() -> Response:
    """Options for navigator.credentials.create."""
    account = signed_in().account
    options, challenge = passkeys.registration_options(
        relying_party(),
        account.webauthn_user_handle,
        account.email,
        [p.credential_id for p in account.passkeys],
    )
    session[REGISTRATION] = challenge
    return current_app.response_class(options, mimetype="application/json")


@blueprint.post("/account/passkeys")
@requires(fresh=True)
def register_passkey() -> Any:
    """Store the passkey the browser made, once its answer verifies."""
    account, challenge = signed_in().account, session.pop(REGISTRATION, None)
    if not isinstance(challenge, str):
        return jsonify(error=_("Please try again.")), 400
    try:
        made = passkeys.verify_registration(
            relying_party(), request.get_data(as_text=True), challenge
        )
    except passkeys.PasskeyRefused:
        log("staff.passkey_added", outcome="failed")
        return jsonify(error=_("The passkey could not be checked. Please try again.")), 400
    passkey = services.add_passkey(
        db_session(), account, made.credential_id, made.public_key, made.sign_count
    )
    log("staff.passkey_added", Subject(object_type="passkey", object_id=passkey.id))
    flash(_("Your passkey is set up. You can use it instead of a code when you sign in."))
    return jsonify(redirect=url_for(".account_page"))
