"""Passkeys (WebAuthn) through py_webauthn's public API: options for the browser, checks of
its answers. The relying party is this site's host; user verification is preferred.

The browser side lives in static/js/passkeys.js; the challenge waits in the server's session
between the options and the answer (it is random, not personal data).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import webauthn
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)


class PasskeyRefused(Exception):
    """The browser's answer did not verify (wrong challenge, origin, signature, ...)."""


@dataclass(frozen=True, slots=True)
class RelyingParty:
    """Who the passkeys are for: this site's host and origin, and the name people see."""

    id: str
    origin: str
    name: str


@dataclass(frozen=True, slots=True)
class NewPasskey:
    """A verified registration: what to store."""

    credential_id: str  # base64url
    public_key: bytes
    sign_count: int


def registration_options(
    rp: RelyingParty, user_handle: str, email: str, existing: list[str]
) -> tuple[str, str]:
    """The options for navigator.credentials.create as JSON, and the challenge (base64url)."""
    options = webauthn.generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=user_handle.encode(),
        user_name=email,
        user_display_name=email,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[_descriptor(credential) for credential in existing],
    )
    return webauthn.options_to_json(options), bytes_to_base64url(options.challenge)


def verify_registration(rp: RelyingParty, answer: str, challenge: str) -> NewPasskey:
    """Check the browser's answer to `registration_options`; raise PasskeyRefused if wrong."""
    try:
        verified = webauthn.verify_registration_response(
            credential=_parsed(answer),
            expected_challenge=webauthn.base64url_to_bytes(challenge),
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        raise PasskeyRefused(str(error)) from None
    return NewPasskey(
        bytes_to_base64url(verified.credential_id),
        verified.credential_public_key,
        verified.sign_count,
    )


def authentication_options(rp: RelyingParty, credentials: list[str]) -> tuple[str, str]:
    """The options for navigator.credentials.get as JSON, and the challenge (base64url)."""
    options = webauthn.generate_authentication_options(
        rp_id=rp.id,
        allow_credentials=[_descriptor(credential) for credential in credentials],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return webauthn.options_to_json(options), bytes_to_base64url(options.challenge)


def answered_credential(answer: str) -> str:
    """The credential id (base64url) a sign-in answer claims to come from."""
    raw = _parsed(answer).get("rawId") or _parsed(answer).get("id")
    if not isinstance(raw, str):
        raise PasskeyRefused("the answer names no credential")
    return raw


def verify_authentication(
    rp: RelyingParty, answer: str, challenge: str, public_key: bytes, sign_count: int
) -> int:
    """Check a sign-in answer against the stored key; the new signature counter."""
    try:
        verified = webauthn.verify_authentication_response(
            credential=_parsed(answer),
            expected_challenge=webauthn.base64url_to_bytes(challenge),
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=public_key,
            credential_current_sign_count=sign_count,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        raise PasskeyRefused(str(error)) from None
    return verified.new_sign_count


def _parsed(answer: str) -> dict[str, Any]:
    try:
        parsed = json.loads(answer)
    except ValueError:
        raise PasskeyRefused("the answer is not JSON") from None
    if not isinstance(parsed, dict):
        raise PasskeyRefused("the answer is not an object")
    return parsed


def _descriptor(credential_id: str) -> PublicKeyCredentialDescriptor:
    return PublicKeyCredentialDescriptor(id=webauthn.base64url_to_bytes(credential_id))
