"""The console's gatekeeping, for views: who is signed in, what they may do, what is logged.

Every staff view is wrapped in `requires(...)`: signed in with both factors, or sent to sign
in; holding a role that carries the permission, or 403; a fresh second factor where the
action is sensitive. A record of another office answers 404 through `not_found`, so its
existence is not confirmed. Both refusals are written to the audit log before the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlsplit

from flask import abort, current_app, redirect, request, url_for
from flask_login import UserMixin, current_user
from werkzeug.wrappers import Response

from checkout.audit import services as audit
from checkout.consent.services import keyed_ip_hash
from checkout.core.clock import as_utc, utcnow
from checkout.db import db_session
from checkout.extensions import login_manager
from checkout.staff import permissions, services
from checkout.staff.models import StaffAccount, StaffSession
from checkout.staff.passkeys import RelyingParty
from checkout.staff.permissions import Scope

View = TypeVar("View", bound=Callable[..., Any])


class StaffUser(UserMixin):  # type: ignore[misc]  # Flask-Login ships no types
    """The signed-in staff member: their account and this browser's session."""

    def __init__(self, row: StaffSession, token: str) -> None:
        """Wrap a live session; `token` is what the cookie holds."""
        self.session_row = row
        self.account: StaffAccount = row.account
        self._token = token

    def get_id(self) -> str:
        """Flask-Login keeps this in the cookie: the session's random token, not an id."""
        return self._token

    @property
    def roles(self) -> frozenset[str]:
        """The roles the account holds."""
        return self.account.role_names

    @property
    def scope(self) -> Scope:
        """The offices the account may see."""
        return Scope.of(self.account.office_codes)

    def may(self, permission: str) -> bool:
        """True when one of the account's roles carries `permission`."""
        return permissions.allows(self.roles, permission)


def timeouts() -> services.Timeouts:
    """The configured idle and absolute session lifetimes."""
    config = current_app.config
    return services.Timeouts(
        idle=timedelta(minutes=int(config["STAFF_IDLE_MINUTES"])),
        absolute=timedelta(hours=int(config["STAFF_ABSOLUTE_HOURS"])),
    )


@login_manager.user_loader  # type: ignore[untyped-decorator]  # Flask-Login has no types
def load_user(token: str) -> StaffUser | None:
    """The live session whose token the cookie holds (Flask-Login calls this)."""
    row = services.session_for_token(db_session(), token, utcnow(), timeouts())
    return StaffUser(row, token) if row is not None else None


def staff() -> StaffUser | None:
    """The signed-in staff member of this request, if any."""
    # The proxy answers isinstance for the object behind it.
    return current_user if isinstance(current_user, StaffUser) else None


def signed_in() -> StaffUser:
    """The signed-in staff member (only inside `requires`-wrapped views)."""
    user = staff()
    assert user is not None
    return user


def client_hash() -> str | None:
    """The keyed hash of the client's address, as the consent ledger keeps it."""
    return keyed_ip_hash(request.remote_addr, str(current_app.config["EVIDENCE_HASH_KEY"]))


def actor() -> audit.Actor:
    """Who is acting in this request, for the audit log."""
    user = staff()
    if user is None:
        return audit.Actor("anonymous", ip_hash=client_hash())
    return audit.Actor("staff", staff_account_id=user.account.id, ip_hash=client_hash())


def log(
    action: str,
    subject: audit.Subject | None = None,
    *,
    outcome: str = "ok",
    reason: str = "",
    detail: str = "",
) -> None:
    """Add an event for this request's actor (written when the request commits)."""
    audit.record(
        db_session(), actor(), action, subject, outcome=outcome, reason=reason, detail=detail
    )


def refuse(status: int, action: str, subject: audit.Subject | None = None) -> NoReturn:
    """Answer `status`, with the refusal in the audit log (committed now, because an error
    answer rolls the request back)."""
    session = db_session()
    session.rollback()
    log(action, subject, outcome="denied")
    session.commit()
    abort(status)


def not_found(subject: audit.Subject | None = None) -> NoReturn:
    """404 for a record that does not exist or belongs to an office out of scope."""
    refuse(404, "staff.out_of_scope", subject)


def factor_is_fresh(user: StaffUser) -> bool:
    """True when the second factor was proved recently enough for a sensitive action."""
    minutes = int(current_app.config["STAFF_REAUTH_MINUTES"])
    return utcnow() - as_utc(user.session_row.second_factor_at) <= timedelta(minutes=minutes)


def requires(permission: str | None = None, *, fresh: bool = False) -> Callable[[View], View]:
    """Guard a staff view: signed in (both factors), the permission, a fresh factor."""

    def decorator(view: View) -> View:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            user = staff()
            if user is None:
                return redirect(url_for("staff.sign_in", next=local_path(request.full_path)))
            if permission is not None and not user.may(permission):
                refuse(403, f"staff.forbidden:{permission}")
            if fresh and not factor_is_fresh(user):
                return redirect(url_for("staff.confirm", next=local_path(request.path)))
            return view(*args, **kwargs)

        guarded.staff_permission = permission  # type: ignore[attr-defined]  # for the matrix
        return guarded  # type: ignore[return-value]

    return decorator


def local_path(target: str | None) -> str | None:
    """`target` when it is a path on this site under /staff, else None (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/staff"):
        return None
    if "\\" in target or target.startswith("//"):
        return None
    return target.rstrip("?")


def relying_party() -> RelyingParty:
    """The passkeys' relying party: configured, or this request's host and origin."""
    config = current_app.config
    origin = str(config.get("STAFF_PASSKEY_ORIGIN") or request.host_url.rstrip("/"))
    rp_id = str(config.get("STAFF_PASSKEY_RP_ID") or urlsplit(origin).hostname or "")
    return RelyingParty(id=rp_id, origin=origin, name=f"{config['CHARITY_NAME']} staff")


def protect_response(response: Response) -> Response:
    """Console pages: never cached, never framed, and no Referer with an enrolment token."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
