"""The audit log: rows are only ever added, on SQLite and PostgreSQL alike; admins filter and
export it; erasing a donor blanks their traces in its free text and changes nothing else."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from checkout.audit import services as audit
from checkout.audit.models import AuditEvent
from tests.staff_support import make_donor_records

STAFF = audit.Actor("system")


def an_event(session: Session, **values: object) -> AuditEvent:
    event = audit.record(
        session,
        audit.Actor("donor", ip_hash="a" * 64),
        str(values.pop("action", "support.search")),
        audit.Subject(office_code="DE"),
        reason=str(values.pop("reason", "donor asked")),
        detail=str(values.pop("detail", "email: erika@example.org")),
    )
    return event


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET outcome = 'denied'",
        "UPDATE audit_events SET reason = 'rewritten'",
        "UPDATE audit_events SET action = 'nothing', reason = '', detail = ''",
        "UPDATE audit_events SET occurred_at = NULL, reason = '', detail = ''",
        "DELETE FROM audit_events",
    ],
)
def test_the_database_refuses_to_change_or_delete_events(
    db_session: Session, statement: str
) -> None:
    an_event(db_session)
    with pytest.raises(DBAPIError, match="append-only"), db_session.begin_nested():
        db_session.execute(text(statement))
    db_session.expire_all()
    assert db_session.scalars(select(AuditEvent.outcome)).all() == ["ok"]


@pytest.mark.postgres
def test_postgresql_refuses_to_truncate_the_log(db_session: Session) -> None:
    an_event(db_session)
    with pytest.raises(DBAPIError, match="append-only"), db_session.begin_nested():
        db_session.execute(text("TRUNCATE audit_events"))
    assert db_session.scalar(select(AuditEvent.id)) is not None


def test_erasure_blanks_the_donors_traces_and_nothing_else(db_session: Session) -> None:
    records = make_donor_records(db_session, "DE", "erika@example.org")
    searched = an_event(db_session)  # the search typed their address
    viewed = audit.record(
        db_session,
        audit.Actor("staff", None, "b" * 64),
        "support.view_donor",
        audit.Subject("DE", records.donor.id, "donor", records.donor.id),
        reason="called about receipt",
    )
    unrelated = an_event(db_session, detail="email: someone@else.org", reason="other call")
    blanked = audit.erase_donor(db_session, records.donor.id, ["erika@example.org", "Erika"])
    assert blanked == 2
    db_session.expire_all()
    assert (searched.reason, searched.detail, searched.ip_hash) == ("", "", None)  # a donor acted
    assert (viewed.reason, viewed.detail, viewed.ip_hash) == ("", "", "b" * 64)  # staff's kept
    assert (viewed.action, viewed.donor_id) == ("support.view_donor", records.donor.id)
    assert (unrelated.reason, unrelated.detail) == ("other call", "email: someone@else.org")


def test_admins_filter_within_their_offices(db_session: Session) -> None:
    an_event(db_session, action="support.search")
    audit.record(db_session, STAFF, "support.search", audit.Subject(office_code="UK"))
    audit.record(db_session, STAFF, "staff.sign_in")  # tied to no office: every admin sees it
    german, _more = audit.find(db_session, audit.AuditFilter(), frozenset({"DE"}))
    assert sorted(e.office_code or "-" for e in german) == ["-", "DE"]
    searches, _more = audit.find(db_session, audit.AuditFilter(action="support.search"), None)
    assert sorted(e.office_code or "-" for e in searches) == ["DE", "UK"]


def test_the_export_is_csv_that_no_spreadsheet_runs_as_a_formula(db_session: Session) -> None:
    an_event(db_session, reason='=HYPERLINK("http://x")')
    exported = "".join(audit.export_csv(db_session, audit.AuditFilter(), None))
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert len(rows) == 1
    assert rows[0]["reason"].startswith("'=")
    assert rows[0]["detail"] == "email: erika@example.org"
