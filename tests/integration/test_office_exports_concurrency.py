"""Exports of one office at the same moment: one batch gets each gift, and numbers stay gapless."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from checkout.donations.models import Donation, Donor, Payment
from checkout.transfers import services
from checkout.transfers.models import (
    OfficeExportBatch,
    OfficeExportConsent,
    OfficeExportCounter,
    OfficeExportGift,
)
from checkout.wizard.models import CheckoutDraft
from tests.transfers_support import HASH_KEY, HOLD, NOW, give, make_donor, payment_ids

OFFICE = "NL"


@pytest.fixture
def committed(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions that commit for real (exports on threads), with everything removed after."""
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    yield factory
    with factory() as session, session.begin():
        batches = select(OfficeExportBatch.id).where(OfficeExportBatch.office_code == OFFICE)
        session.execute(delete(OfficeExportGift).where(OfficeExportGift.batch_id.in_(batches)))
        session.execute(
            delete(OfficeExportConsent).where(OfficeExportConsent.batch_id.in_(batches))
        )
        session.execute(delete(OfficeExportBatch).where(OfficeExportBatch.office_code == OFFICE))
        session.execute(
            delete(OfficeExportCounter).where(OfficeExportCounter.office_code == OFFICE)
        )
        donors = select(Donor.id).where(Donor.email.like("race-%@example.org"))
        donations = select(Donation.id).where(Donation.donor_id.in_(donors))
        drafts = list(session.scalars(select(Donation.draft_id).where(Donation.id.in_(donations))))
        session.execute(delete(Payment).where(Payment.donation_id.in_(donations)))
        session.execute(delete(Donation).where(Donation.id.in_(donations)))
        session.execute(delete(CheckoutDraft).where(CheckoutDraft.id.in_(drafts)))
        session.execute(delete(Donor).where(Donor.email.like("race-%@example.org")))


def export_at_once(factory: sessionmaker[Session], exporters: int) -> list[object]:
    """Start `exporters` exports of the office together; each outcome (batch, None or error)."""
    start = threading.Barrier(exporters)
    outcomes: list[object] = []

    def run() -> None:
        with factory() as session:
            start.wait()
            try:
                batch = services.export_next(session, OFFICE, now=NOW, hold=HOLD, hash_key=HASH_KEY)
                session.commit()
                outcomes.append(batch)
            except Exception as error:  # the test reports it
                outcomes.append(error)

    threads = [threading.Thread(target=run) for _ in range(exporters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


@pytest.mark.postgres
def test_concurrent_exports_never_send_a_gift_twice(committed) -> None:
    with committed() as session, session.begin():
        donors = [make_donor(session, OFFICE, f"race-{n}@example.org") for n in range(5)]
        gifts = sorted(give(session, donor).id for donor in donors for _ in range(4))
    first = export_at_once(committed, 4)
    assert not [o for o in first if isinstance(o, Exception)], first
    made = [o for o in first if isinstance(o, OfficeExportBatch)]
    assert len(made) == 1 and made[0].number == 1
    assert payment_ids(made[0]) == gifts
    with committed() as session, session.begin():
        more = [give(session, session.get(Donor, donors[0].id)).id for _ in range(3)]
    second = export_at_once(committed, 3)
    assert not [o for o in second if isinstance(o, Exception)], second
    made = [o for o in second if isinstance(o, OfficeExportBatch)]
    assert [(b.number, payment_ids(b)) for b in made] == [(2, sorted(more))]
