"""Features that keep short-lived rows with an address (the portal's sign-in links and
sessions, sign-ups waiting for confirmation) register how to forget them here, as outbox
handlers are registered: retention calls them and imports none of those features.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

#: Nightly: forget what has outlived its keeping at `now`; how many rows went.
ForgetOld = Callable[[Session, datetime], int]
#: On an erasure request: forget everything held under this address now.
ForgetAddress = Callable[[Session, str], None]

_NIGHTLY: list[ForgetOld] = []
_ON_ERASURE: list[ForgetAddress] = []


def nightly(forget: ForgetOld) -> ForgetOld:
    """Register `forget` for the nightly retention run."""
    if forget not in _NIGHTLY:
        _NIGHTLY.append(forget)
    return forget


def on_erasure(forget: ForgetAddress) -> ForgetAddress:
    """Register `forget` for every erasure request (portal, support, `donors erase`)."""
    if forget not in _ON_ERASURE:
        _ON_ERASURE.append(forget)
    return forget


def forget_old(session: Session, now: datetime) -> int:
    """Run every nightly hook; how many rows went in all."""
    return sum(forget(session, now) for forget in _NIGHTLY)


def forget_address(session: Session, email: str) -> None:
    """Run every erasure hook for `email`."""
    for forget in _ON_ERASURE:
        forget(session, email)
