"""Staff accounts and what proves who they are. No donor data lives here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from checkout.core.clock import utcnow
from checkout.db import Base
from checkout.dbtypes import UtcDateTime

ROLES = ("support", "finance", "admin")
#: The office "code" that grants every office, present and future.
ALL_OFFICES = "ALL"


class StaffAccount(Base):
    """A person who works in the consoles; enrolled through a one-time link."""

    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True, comment="Lower-cased")
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str | None] = mapped_column(
        String(200), comment="Argon2id; empty until enrolment"
    )
    totp_secret: Mapped[str | None] = mapped_column(
        String(64), comment="Base32 RFC 6238 secret; set once the first code was right"
    )
    totp_last_step: Mapped[int | None] = mapped_column(
        comment="The 30-second step of the last code accepted: a code is good once"
    )
    webauthn_user_handle: Mapped[str] = mapped_column(
        String(64), unique=True, comment="Random, base64url; what passkeys know the person as"
    )
    active: Mapped[bool] = mapped_column(default=True)
    session_generation: Mapped[int] = mapped_column(
        default=0, comment="Raised to end every session at once (sign out everywhere)"
    )
    enrolment_token_hash: Mapped[str | None] = mapped_column(
        String(64), unique=True, comment="SHA-256 of the one-time enrolment link's token"
    )
    enrolment_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    enrolled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    deactivated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    roles: Mapped[list[StaffRole]] = relationship(
        cascade="all, delete-orphan", order_by="StaffRole.role"
    )
    offices: Mapped[list[StaffOffice]] = relationship(
        cascade="all, delete-orphan", order_by="StaffOffice.office_code"
    )
    passkeys: Mapped[list[Passkey]] = relationship(
        cascade="all, delete-orphan", order_by="Passkey.id"
    )

    @property
    def role_names(self) -> frozenset[str]:
        """The roles this person holds."""
        return frozenset(role.role for role in self.roles)

    @property
    def office_codes(self) -> frozenset[str]:
        """The offices granted; ALL_OFFICES stands for every one."""
        return frozenset(office.office_code for office in self.offices)

    @property
    def totp_confirmed(self) -> bool:
        """True once a right code proved the authenticator app holds the secret."""
        return bool(self.totp_secret) and self.totp_last_step is not None

    @property
    def has_second_factor(self) -> bool:
        """True once TOTP or a passkey is set up."""
        return self.totp_confirmed or bool(self.passkeys)


class StaffRole(Base):
    """One role one account holds."""

    __tablename__ = "staff_roles"
    __table_args__ = (
        UniqueConstraint("account_id", "role"),
        CheckConstraint("role IN ('support', 'finance', 'admin')", name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))


class StaffOffice(Base):
    """One office whose donors an account may see (ALL for every office)."""

    __tablename__ = "staff_offices"
    __table_args__ = (UniqueConstraint("account_id", "office_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    office_code: Mapped[str] = mapped_column(String(8))


class RecoveryCode(Base):
    """A one-use code for when the second factor is lost; only its hash is kept."""

    __tablename__ = "staff_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(200), comment="Argon2id of the code")
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Passkey(Base):
    """A WebAuthn credential: its id, public key and signature counter."""

    __tablename__ = "staff_passkeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True, comment="base64url")
    public_key: Mapped[bytes] = mapped_column(LargeBinary, comment="COSE public key")
    sign_count: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(60), default="", comment="Chosen by its owner")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class StaffSession(Base):
    """A signed-in browser; the cookie holds only a random token whose hash is kept here."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, comment="SHA-256 of token")
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    generation: Mapped[int] = mapped_column(comment="The account's session generation at start")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    second_factor_at: Mapped[datetime] = mapped_column(
        UtcDateTime, default=utcnow, comment="Last proof of the second factor (re-auth)"
    )
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ip_hash: Mapped[str | None] = mapped_column(String(64), comment="Keyed hash, never the IP")

    account: Mapped[StaffAccount] = relationship()
