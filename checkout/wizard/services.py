"""Drafts on the server: start, find, save a step's input, copy, purge. No Flask in here."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from checkout.core.clock import utcnow
from checkout.wizard.models import CheckoutDraft

#: Longest value kept per field: enough for any name or address, small enough that nobody can
#: fill the database through the wizard.
MAX_FIELD_LENGTH = 500
#: Where the draft's data keeps the assessment of what was typed (remembered.py).
MEMO_KEY = "assessed"


# The statements of every wizard request, built once: plain Core on the table, which skips
# building them and the ORM's bulk-update path each time (a sixth of a submission's time).
_DRAFTS: Table = CheckoutDraft.__table__  # type: ignore[assignment]
_BY_PUBLIC_ID = select(CheckoutDraft).where(CheckoutDraft.public_id == bindparam("public_id"))
_SAVE_INPUT = (
    update(_DRAFTS)
    .where(_DRAFTS.c.id == bindparam("draft_id"), _DRAFTS.c.frozen_at.is_(None))
    .values(
        data=bindparam("new_data"),
        locale=bindparam("new_locale"),
        updated_at=bindparam("new_updated_at"),
    )
)
_REMEMBER = (  # not a change by the donor: updated_at stays as it was read
    update(_DRAFTS)
    .where(
        _DRAFTS.c.id == bindparam("draft_id"),
        _DRAFTS.c.updated_at == bindparam("seen_updated_at"),
        _DRAFTS.c.frozen_at.is_(None),
        _DRAFTS.c.purged_at.is_(None),
    )
    .values(data=bindparam("new_data"), updated_at=_DRAFTS.c.updated_at)
)


def blank_draft(locale: str, country_guess: str) -> CheckoutDraft:
    """An empty draft that is not stored; the guessed country picks the office until the donor
    chooses."""
    return CheckoutDraft(locale=locale, data={"country_guess": country_guess})


def start_draft(session: Session, locale: str, country_guess: str) -> CheckoutDraft:
    """A new, empty draft, stored."""
    draft = blank_draft(locale, country_guess)
    session.add(draft)
    session.flush()
    return draft


def draft_of(session: Session, draft_id: int) -> CheckoutDraft:
    """The draft a donation was started from (it keeps only the draft's id)."""
    return session.get_one(CheckoutDraft, draft_id)


def find_live_draft(
    session: Session, public_id: str, idle_limit: timedelta, now: datetime | None = None
) -> CheckoutDraft | None:
    """The draft with `public_id` unless it was purged or left idle past `idle_limit`."""
    draft = session.scalar(_BY_PUBLIC_ID, {"public_id": public_id})
    if draft is None or draft.purged_at is not None:
        return None
    if draft.frozen_at is None and draft.updated_at < (now or utcnow()) - idle_limit:
        return None
    return draft


class DraftFrozen(ValueError):
    """Payment has started on this draft: nothing typed may change it any more."""


def save_step_input(
    session: Session,
    draft: CheckoutDraft,
    step: str,
    fields: Mapping[str, str],
    locale: str,
    remembered: Mapping[str, Any] | None = None,
) -> None:
    """Keep what the donor typed on `step` (valid or not: nothing typed is ever lost), with
    the part of the remembered assessment that still holds (remembered.py).

    One UPDATE that also checks the draft is not frozen, so a "Donate" in another tab that
    froze it a moment ago wins (DraftFrozen), and no ORM flush: a sixth of a submission.
    """
    if draft.frozen_at is not None:
        raise DraftFrozen("a draft is frozen once payment starts")
    kept = {name: value[:MAX_FIELD_LENGTH] for name, value in fields.items()}
    # The rest of the remembered assessment no longer holds, and would keep what the donor
    # has just replaced.
    data = {**typed(draft.data), step: {"fields": kept, "locale": locale}}
    if remembered:
        data[MEMO_KEY] = dict(remembered)
    values = {"data": data, "locale": locale, "updated_at": utcnow()}
    if not _write(session, draft, _SAVE_INPUT, values):
        raise DraftFrozen("a draft is frozen once payment starts")


def _write(
    session: Session,
    draft: CheckoutDraft,
    statement: Any,
    values: dict[str, Any],
    **conditions: Any,
) -> bool:
    """Run one of the UPDATEs above with `values` (and the `conditions` it checks), and keep
    `values` on `draft` as what is stored; whether the row was written."""
    session.flush()  # the draft's row exists and nothing pending overwrites these columns
    parameters = {"draft_id": draft.id, **{f"new_{k}": v for k, v in values.items()}}
    if getattr(session.execute(statement, {**parameters, **conditions}), "rowcount", 0) != 1:
        return False
    for column, value in values.items():
        set_committed_value(draft, column, value)
    return True


def typed(data: Mapping[str, Any]) -> dict[str, Any]:
    """What the donor typed, without the assessment remembered beside it (remembered.py)."""
    return {key: value for key, value in data.items() if key != MEMO_KEY}


def keep_with_draft(session: Session, draft: CheckoutDraft, key: str, value: Any) -> None:
    """Add `value` under `key` to the draft's data, unless the draft changed since it was read
    (another tab saved a step, payment started, it was purged): never overwrite what was typed
    with an older copy. Not a change by the donor, so `updated_at` stays."""
    data = {**draft.data, key: value}
    _write(session, draft, _REMEMBER, {"data": data}, seen_updated_at=draft.updated_at)


def copy_draft(session: Session, original: CheckoutDraft, **changes: str) -> CheckoutDraft:
    """A fresh draft with the original's input, e.g. to give again or to make a gift monthly."""
    data = typed(original.data)
    if changes:
        amount = dict(data.get("amount") or {})
        amount["fields"] = {**(amount.get("fields") or {}), **changes}
        data["amount"] = amount
    draft = CheckoutDraft(locale=original.locale, data=data)
    session.add(draft)
    session.flush()
    return draft


def lock_draft(session: Session, draft: CheckoutDraft) -> CheckoutDraft:
    """`draft`, re-read under a row lock (PostgreSQL): concurrent "Donate" clicks queue here."""
    statement = select(CheckoutDraft).where(CheckoutDraft.id == draft.id).with_for_update()
    return session.scalars(statement.execution_options(populate_existing=True)).one()


def freeze(draft: CheckoutDraft) -> None:
    """Payment has started: nothing typed may change any more."""
    draft.frozen_at = utcnow()


def purge_expired(session: Session, idle_limit: timedelta, now: datetime | None = None) -> int:
    """Erase what donors typed into drafts idle past `idle_limit` that never reached payment."""
    cutoff = (now or utcnow()) - idle_limit
    result = session.execute(
        update(CheckoutDraft)
        .where(CheckoutDraft.frozen_at.is_(None), CheckoutDraft.purged_at.is_(None))
        .where(CheckoutDraft.updated_at < cutoff)
        .values(data={}, purged_at=now or utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)
