"""Links in emails: confirm an email opt-in, withdraw it, cancel a Gift Aid declaration.

A link's token is the donation's random public id encrypted and authenticated with Fernet
(`cryptography`), under a key derived from EVIDENCE_HASH_KEY for each action: it reveals nothing
to whoever reads it (itsdangerous tokens were only signed, and their base64 payload named the
donation), and a withdrawal link cannot be replayed as a confirmation. That key is never
rotated, so links in old receipts keep working; each action has its own lifetime. Tokens are
kept out of our access logs (checkout/site/access_log.py). Pure Python: no Flask.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from checkout.core.clock import utcnow
from checkout.core.errors import CheckoutError


class LinkAction(StrEnum):
    """What a link does; also the path segment of its URL."""

    CONFIRM = "confirm"
    WITHDRAW = "withdraw"
    CANCEL_GIFT_AID = "cancel-gift-aid"


class LinkInvalid(CheckoutError):
    """The link was altered, truncated, or made for another action or by another key."""


class LinkExpired(CheckoutError):
    """The link was genuine but is older than its action allows."""


@dataclass(frozen=True, slots=True)
class LinkSigner:
    """Makes and reads the links of one key, with each action's lifetime."""

    key: str
    lifetimes: dict[LinkAction, timedelta]

    def _fernet(self, action: LinkAction) -> Fernet:
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=f"consent-{action}".encode()
        ).derive(self.key.encode())
        return Fernet(base64.urlsafe_b64encode(derived))

    def token(self, action: LinkAction, donation_public_id: str) -> str:
        """An opaque token that names the donation and proves we made it for `action`."""
        now = int(utcnow().timestamp())
        encrypted = self._fernet(action).encrypt_at_time(donation_public_id.encode(), now)
        return encrypted.decode("ascii").rstrip("=")

    def read(self, action: LinkAction, token: str) -> str:
        """The donation public id inside a genuine, unexpired token for `action`."""
        padded = (token + "=" * (-len(token) % 4)).encode("ascii", "replace")
        fernet, now = self._fernet(action), int(utcnow().timestamp())
        try:
            fernet.extract_timestamp(padded)  # checks the token is ours, whatever its age
        except (InvalidToken, ValueError) as error:  # altered, another key or action
            raise LinkInvalid(str(action)) from error
        max_age = int(self.lifetimes[action].total_seconds())
        try:
            value = fernet.decrypt_at_time(padded, ttl=max_age, current_time=now).decode()
        except InvalidToken as error:  # genuine, so it can only be too old
            raise LinkExpired(str(action)) from error
        if not value:
            raise LinkInvalid(str(action))
        return value

    def url(self, base_url: str, action: LinkAction, donation_public_id: str, language: str) -> str:
        """The absolute URL of the page that performs `action` (the language is not personal)."""
        token = self.token(action, donation_public_id)
        query = urlencode({"lang": language})
        return f"{base_url.rstrip('/')}/consent/{action}/{token}?{query}"

    def one_click_url(self, base_url: str, donation_public_id: str) -> str:
        """The RFC 8058 one-click unsubscribe address that mail clients POST to."""
        token = self.token(LinkAction.WITHDRAW, donation_public_id)
        return f"{base_url.rstrip('/')}/consent/unsubscribe/{token}"


def link_signer(config: Mapping[str, Any]) -> LinkSigner:
    """The signer this app's settings describe."""
    days = {
        LinkAction.CONFIRM: config["CONSENT_CONFIRM_LINK_DAYS"],
        LinkAction.WITHDRAW: config["CONSENT_LINK_DAYS"],
        LinkAction.CANCEL_GIFT_AID: config["CONSENT_LINK_DAYS"],
    }
    return LinkSigner(
        str(config["EVIDENCE_HASH_KEY"]),
        {action: timedelta(days=int(value)) for action, value in days.items()},
    )
