"""Staff accounts: invitation, enrolment, sign-in, second factors, sessions, administration.

Services take a Session and plain values; no Flask here. Tokens (enrolment links, session
cookies) are random and only their SHA-256 is stored, so a copy of the database signs no one in.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from checkout.core.clock import as_utc
from checkout.core.errors import CheckoutError
from checkout.staff import passwords, totp
from checkout.staff.models import (
    ALL_OFFICES,
    ROLES,
    Passkey,
    RecoveryCode,
    StaffAccount,
    StaffOffice,
    StaffRole,
    StaffSession,
)

RECOVERY_CODES = 10


class StaffError(CheckoutError):
    """A staff administration request that cannot be done as asked."""


@dataclass(frozen=True, slots=True)
class Timeouts:
    """How long a session lives: since its last request, and at most."""

    idle: timedelta
    absolute: timedelta


def token_hash(token: str) -> str:
    """What is stored of a random token."""
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    """Staff addresses are compared lower-cased and without surrounding blanks."""
    return email.strip().lower()


# --- accounts --------------------------------------------------------------------------------


def invite(
    session: Session,
    email: str,
    roles: Iterable[str],
    offices: Iterable[str],
    now: datetime,
    valid_for: timedelta,
    display_name: str = "",
) -> tuple[StaffAccount, str]:
    """A new account waiting for enrolment, and the one-time token of its enrolment link."""
    email = normalise_email(email)
    if session.scalar(select(StaffAccount.id).where(StaffAccount.email == email)) is not None:
        raise StaffError(f"there is already a staff account for {email}")
    account = StaffAccount(
        email=email,
        display_name=display_name.strip(),
        webauthn_user_handle=secrets.token_urlsafe(32),
    )
    set_roles_and_offices(account, roles, offices)
    session.add(account)
    token = renew_enrolment(account, now, valid_for)
    session.flush()
    return account, token


def renew_enrolment(account: StaffAccount, now: datetime, valid_for: timedelta) -> str:
    """A new enrolment token for `account` (the previous link stops working)."""
    token = secrets.token_urlsafe(32)
    account.enrolment_token_hash = token_hash(token)
    account.enrolment_expires_at = now + valid_for
    return token


def reset_credentials(
    session: Session, account: StaffAccount, now: datetime, valid_for: timedelta
) -> str:
    """Forget the password and every second factor, end every session, and return a new
    enrolment token: for a person who lost their factors, or an address taken over."""
    account.password_hash = None
    account.totp_secret = None
    account.totp_last_step = None
    account.enrolled_at = None
    account.passkeys.clear()
    session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.account_id == account.id, RecoveryCode.used_at.is_(None))
        .values(used_at=now)
    )
    end_all_sessions(session, account, now)
    return renew_enrolment(account, now, valid_for)


def set_roles_and_offices(
    account: StaffAccount, roles: Iterable[str], offices: Iterable[str]
) -> None:
    """Replace the account's roles and office grants; at least one of each."""
    wanted_roles = sorted(set(roles))
    wanted_offices = sorted({code.upper() for code in offices})
    if not wanted_roles or not set(wanted_roles) <= set(ROLES):
        raise StaffError(f"roles must be some of {', '.join(ROLES)}")
    if not wanted_offices:
        raise StaffError("at least one office (or ALL) is needed")
    if ALL_OFFICES in wanted_offices:
        wanted_offices = [ALL_OFFICES]
    account.roles = [StaffRole(role=role) for role in wanted_roles]
    account.offices = [StaffOffice(office_code=code) for code in wanted_offices]


def deactivate(session: Session, account: StaffAccount, now: datetime) -> None:
    """No more sign-ins, and every session ends now."""
    account.active = False
    account.deactivated_at = now
    end_all_sessions(session, account, now)


def reactivate(account: StaffAccount) -> None:
    """Allow sign-ins again (the person keeps their password and factors)."""
    account.active = True
    account.deactivated_at = None


# --- enrolment -------------------------------------------------------------------------------


def account_for_enrolment(session: Session, token: str, now: datetime) -> StaffAccount | None:
    """The active account a valid, unused enrolment token belongs to."""
    account = session.scalar(
        select(StaffAccount).where(StaffAccount.enrolment_token_hash == token_hash(token))
    )
    if account is None or not account.active or account.enrolment_expires_at is None:
        return None
    if as_utc(account.enrolment_expires_at) <= now:
        return None
    return account


def set_password(account: StaffAccount, password: str) -> None:
    """Store the hash of a password that `passwords.password_problem` accepted."""
    problem = passwords.password_problem(password, account.email)
    if problem is not None:
        raise StaffError(f"password refused: {problem}")
    account.password_hash = passwords.hash_password(password)


def confirm_totp(account: StaffAccount, secret: str, code: str, now: datetime) -> bool:
    """Keep `secret` as the account's TOTP secret once a right code proves the app has it."""
    step = totp.accepted_step(secret, code, None, now)
    if step is None:
        return False
    account.totp_secret, account.totp_last_step = secret, step
    return True


def finish_enrolment(session: Session, account: StaffAccount, now: datetime) -> list[str]:
    """The link is spent; the account is enrolled; its recovery codes, to be shown once."""
    if account.password_hash is None or not account.has_second_factor:
        raise StaffError("enrolment needs a password and a second factor")
    account.enrolment_token_hash = None
    account.enrolment_expires_at = None
    account.enrolled_at = now
    return new_recovery_codes(session, account, now)


def new_recovery_codes(session: Session, account: StaffAccount, now: datetime) -> list[str]:
    """Ten fresh one-use codes (the old ones stop working); only their hashes are kept.

    A code carries 60 random bits, so a fast hash keeps it as safe as a slow one would.
    """
    session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.account_id == account.id, RecoveryCode.used_at.is_(None))
        .values(used_at=now)
    )
    codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
    session.add_all(RecoveryCode(account_id=account.id, code_hash=token_hash(c)) for c in codes)
    session.flush()
    return codes


def _recovery_code() -> str:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    chars = "".join(secrets.choice(alphabet) for _ in range(12))
    return f"{chars[:4]}-{chars[4:8]}-{chars[8:]}"


# --- signing in ------------------------------------------------------------------------------


def account_by_email(session: Session, email: str) -> StaffAccount | None:
    """The account with this address, if any."""
    return session.scalar(select(StaffAccount).where(StaffAccount.email == normalise_email(email)))


def authenticate(session: Session, email: str, password: str) -> StaffAccount | None:
    """The enrolled, active account with this email and password, or None; an unknown
    address takes as long as a wrong password (a decoy hash is checked)."""
    account = account_by_email(session, email)
    stored = account.password_hash if account is not None else None
    if not passwords.verify_password(stored, password) or account is None:
        return None
    if not account.active or account.enrolled_at is None:
        return None
    if stored and passwords.needs_rehash(stored):
        account.password_hash = passwords.hash_password(password)
    return account


def check_totp(account: StaffAccount, code: str, now: datetime) -> bool:
    """True for a right code not used before; the code is spent."""
    if not account.totp_secret or not account.totp_confirmed:
        return False
    step = totp.accepted_step(account.totp_secret, code, account.totp_last_step, now)
    if step is None:
        return False
    account.totp_last_step = step
    return True


def use_recovery_code(session: Session, account: StaffAccount, code: str, now: datetime) -> bool:
    """True when `code` is one of the account's unused recovery codes; it is spent."""
    found = session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.account_id == account.id,
            RecoveryCode.code_hash == token_hash(code.strip().lower()),
            RecoveryCode.used_at.is_(None),
        )
    )
    if found is None:
        return False
    found.used_at = now
    return True


def unused_recovery_codes(session: Session, account: StaffAccount) -> int:
    """How many recovery codes are left."""
    return len(
        session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.account_id == account.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def add_passkey(
    session: Session, account: StaffAccount, credential_id: str, public_key: bytes, sign_count: int
) -> Passkey:
    """Store a verified passkey for the account."""
    passkey = Passkey(
        credential_id=credential_id,
        public_key=public_key,
        sign_count=sign_count,
        name=f"Passkey {len(account.passkeys) + 1}",
    )
    account.passkeys.append(passkey)
    session.flush()
    return passkey


def passkey_of(account: StaffAccount, credential_id: str) -> Passkey | None:
    """The account's passkey with this credential id."""
    return next((p for p in account.passkeys if p.credential_id == credential_id), None)


# --- sessions --------------------------------------------------------------------------------


def start_session(
    session: Session, account: StaffAccount, ip_hash: str | None, now: datetime
) -> tuple[StaffSession, str]:
    """A new signed-in session (both factors passed) and the token for its cookie."""
    token = secrets.token_urlsafe(32)
    row = StaffSession(
        token_hash=token_hash(token),
        account=account,
        generation=account.session_generation,
        created_at=now,
        last_seen_at=now,
        second_factor_at=now,
        ip_hash=ip_hash,
    )
    account.last_sign_in_at = now
    session.add(row)
    session.flush()
    return row, token


def session_for_token(
    session: Session, token: str, now: datetime, timeouts: Timeouts
) -> StaffSession | None:
    """The live session of this cookie token, seen now; None (and ended) when it timed out,
    was signed out, or its account was deactivated or signed out everywhere."""
    row = session.scalar(select(StaffSession).where(StaffSession.token_hash == token_hash(token)))
    if row is None or row.ended_at is not None:
        return None
    account = row.account
    idle = now - as_utc(row.last_seen_at) > timeouts.idle
    too_old = now - as_utc(row.created_at) > timeouts.absolute
    revoked = not account.active or row.generation != account.session_generation
    if idle or too_old or revoked:
        row.ended_at = now
        return None
    row.last_seen_at = now
    return row


def end_session(row: StaffSession, now: datetime) -> None:
    """Sign this browser out."""
    row.ended_at = row.ended_at or now


def end_all_sessions(session: Session, account: StaffAccount, now: datetime) -> None:
    """Sign the account out everywhere: every session ends, and any cookie still around
    belongs to an older generation."""
    account.session_generation += 1
    session.execute(
        update(StaffSession)
        .where(StaffSession.account_id == account.id, StaffSession.ended_at.is_(None))
        .values(ended_at=now)
    )
