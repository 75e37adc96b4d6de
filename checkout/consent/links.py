"""Signed links in emails: confirm an email opt-in, withdraw it, cancel a Gift Aid declaration.

A link carries only the donation's random public id and the time it was made, signed with
EVIDENCE_HASH_KEY under a salt per action (a withdrawal link cannot be replayed as a
confirmation). No personal data is in it. That key is never rotated, so links in old receipts
keep working; each action has its own lifetime. Pure Python: no Flask.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

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


class _ClockSigner(TimestampSigner):
    """Timestamps from the app's clock, so tests can move time."""

    def get_timestamp(self) -> int:
        return int(utcnow().timestamp())


@dataclass(frozen=True, slots=True)
class LinkSigner:
    """Makes and reads the links of one key, with each action's lifetime."""

    key: str
    lifetimes: dict[LinkAction, timedelta]

    def _serializer(self, action: LinkAction) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.key, salt=f"consent-{action}", signer=_ClockSigner)

    def token(self, action: LinkAction, donation_public_id: str) -> str:
        """A token that names the donation and proves we made it for `action`."""
        return str(self._serializer(action).dumps(donation_public_id))

    def read(self, action: LinkAction, token: str) -> str:
        """The donation public id inside a genuine, unexpired token for `action`."""
        max_age = int(self.lifetimes[action].total_seconds())
        try:
            value = self._serializer(action).loads(token, max_age=max_age)
        except SignatureExpired as error:
            raise LinkExpired(str(action)) from error
        except BadSignature as error:  # also a bad timestamp or an undecodable payload
            raise LinkInvalid(str(action)) from error
        if not isinstance(value, str) or not value:
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
