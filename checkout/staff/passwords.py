"""Passwords: Argon2id hashes (argon2-cffi's defaults) and the rule for new ones.

The rule follows NIST SP 800-63B and OWASP ASVS 4 (V2.1): at least 12 characters, no
composition rules, and not easy to guess: zxcvbn's estimate, whose dictionaries include the
most common passwords, must reach 3 of 4 ("safely unguessable").
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 256  # hashing is slow on purpose: a megabyte of password would tie up a worker
_GOOD_ENOUGH = 3

_hasher = PasswordHasher()
#: Verified against when no account matches, so an unknown address costs the same time.
_DECOY_HASH = _hasher.hash("decoy password for unknown accounts")


def hash_password(password: str) -> str:
    """The Argon2id hash to store."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches; an account without a password costs a decoy check."""
    try:
        return _hasher.verify(stored_hash or _DECOY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with older parameters than today's (re-hash at sign-in)."""
    return _hasher.check_needs_rehash(stored_hash)


def password_problem(password: str, email: str) -> str | None:
    """Why a new password is refused ("short", "long", "guessable"), or None when it is fine."""
    if len(password) < MIN_LENGTH:
        return "short"
    if len(password) > MAX_LENGTH:
        return "long"
    if zxcvbn(password, user_inputs=[email, *email.split("@")])["score"] < _GOOD_ENOUGH:
        return "guessable"
    return None
