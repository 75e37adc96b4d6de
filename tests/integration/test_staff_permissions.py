"""The permission matrix: every staff route, for each role, on a record of the person's own
office and of another office, answers as designed; none answers without both factors.

The table below is the design. A route added under /staff without a line here fails
`test_every_staff_route_is_in_the_matrix`, so the matrix cannot fall behind the code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from checkout.staff.permissions import (
    MANAGE_STAFF,
    READ_AUDIT,
    READ_DONORS,
    READ_FINANCE,
    RECONCILE,
    REFUND,
    SUPPORT_DONORS,
    allows,
)
from tests.staff_support import Console, DonorRecords, Staff, make_donor_records, make_staff

ROLES = ("support", "finance", "admin")
#: Routes anyone may open: signing in and enrolling.
PUBLIC = {
    "staff.sign_in",
    "staff.second_factor",
    "staff.recovery",
    "staff.passkey_options",
    "staff.passkey_answer",
    "staff.open_enrolment",
    "staff.enrol",
}


@dataclass(frozen=True)
class World:
    """A DE account per role, the records of a DE and a UK donor, a DE and a UK colleague."""

    staff: dict[str, Staff]
    own: DonorRecords
    other: DonorRecords
    own_colleague: Staff
    other_colleague: Staff


Url = Callable[[DonorRecords, Staff], str]


@dataclass(frozen=True)
class Route:
    """One staff route: how to reach it for a record, the permission, and the method."""

    endpoint: str
    url: Url
    permission: str | None
    scoped: bool  # another office's record answers 404
    method: str = "GET"
    data: tuple[tuple[str, str], ...] = ()
    ok: int = 200  # the answer when allowed


MATRIX = (
    Route("staff.home", lambda r, s: "/staff/", None, False),
    Route("staff.account_page", lambda r, s: "/staff/account", None, False),
    Route("staff.confirm", lambda r, s: "/staff/confirm", None, False),
    Route("staff.sign_out", lambda r, s: "/staff/sign-out", None, False, "POST", ok=302),
    Route(
        "staff.sign_out_everywhere",
        lambda r, s: "/staff/sign-out-everywhere",
        None,
        False,
        "POST",
        ok=302,
    ),
    Route(
        "staff.renew_recovery_codes",
        lambda r, s: "/staff/account/recovery-codes",
        None,
        False,
        "POST",
    ),
    Route(
        "staff.passkey_registration_options",
        lambda r, s: "/staff/account/passkeys/options",
        None,
        False,
        "POST",
    ),
    # Allowed, then refused for want of a challenge (the passkey tests register one).
    Route(
        "staff.register_passkey",
        lambda r, s: "/staff/account/passkeys",
        None,
        False,
        "POST",
        ok=400,
    ),
    Route("staff_admin.accounts", lambda r, s: "/staff/admin/accounts", MANAGE_STAFF, False),
    Route("staff_admin.invite", lambda r, s: "/staff/admin/accounts/new", MANAGE_STAFF, False),
    Route(
        "staff_admin.account",
        lambda r, s: f"/staff/admin/accounts/{s.account.id}",
        MANAGE_STAFF,
        True,
    ),
    Route(
        "staff_admin.change_state",
        lambda r, s: f"/staff/admin/accounts/{s.account.id}/reset",
        MANAGE_STAFF,
        True,
        "POST",
        (("reason", "lost phone"),),
    ),
    Route("staff_admin.audit_log", lambda r, s: "/staff/admin/audit", READ_AUDIT, False),
    Route("staff_admin.audit_export", lambda r, s: "/staff/admin/audit.csv", READ_AUDIT, False),
    Route(
        "support.search", lambda r, s: f"/staff/support/?q={r.receipt.number}", READ_DONORS, False
    ),
    Route("support.donor", lambda r, s: f"/staff/support/donors/{r.donor.id}", READ_DONORS, True),
    Route(
        "support.receipt_pdf",
        lambda r, s: f"/staff/support/receipts/{r.receipt.id}.pdf",
        READ_DONORS,
        True,
    ),
    Route(
        "support.add_note",
        lambda r, s: f"/staff/support/donors/{r.donor.id}/notes",
        SUPPORT_DONORS,
        True,
    ),
    Route(
        "support.resend",
        lambda r, s: f"/staff/support/receipts/{r.receipt.id}/resend",
        SUPPORT_DONORS,
        True,
    ),
    Route(
        "support.correct",
        lambda r, s: f"/staff/support/receipts/{r.receipt.id}/correct",
        SUPPORT_DONORS,
        True,
    ),
    Route(
        "support.change_plan",
        lambda r, s: f"/staff/support/plans/{r.plan.id}/cancel",
        SUPPORT_DONORS,
        True,
    ),
    Route(
        "support.refund",
        lambda r, s: f"/staff/support/payments/{r.payment.id}/refund",
        REFUND,
        True,
    ),
    Route(
        "support.retry",
        lambda r, s: f"/staff/support/outbox/{r.dead_message.id}/retry",
        SUPPORT_DONORS,
        True,
    ),
    Route(
        "finance.home",
        lambda r, s: f"/staff/finance/?office={r.donor.office_code}",
        READ_FINANCE,
        True,
    ),
    Route(
        "finance.payouts",
        lambda r, s: f"/staff/finance/payouts?office={r.donor.office_code}",
        READ_FINANCE,
        True,
    ),
    Route(
        "finance.payout", lambda r, s: f"/staff/finance/payouts/{r.payout.id}", READ_FINANCE, True
    ),
    Route(
        "finance.payout_export",
        lambda r, s: f"/staff/finance/payouts/{r.payout.id}/journal.csv",
        READ_FINANCE,
        True,
    ),
    Route(
        "finance.period_export",
        lambda r, s: f"/staff/finance/exports/lines.csv?office={r.donor.office_code}",
        READ_FINANCE,
        True,
    ),
    Route(
        "finance.explain_exception",
        lambda r, s: f"/staff/finance/exceptions/{r.exception.id}/explain",
        RECONCILE,
        True,
        "POST",
        (("note", "A test charge made by the treasurer"),),
        ok=302,
    ),
)
BY_ENDPOINT = {route.endpoint: route for route in MATRIX}


@pytest.fixture
def world(db_session: Session) -> World:
    staff = {
        role: make_staff(db_session, f"{role}@de.example.org", (role,), ("DE",)) for role in ROLES
    }
    world = World(
        staff=staff,
        own=make_donor_records(db_session, "DE", "own@example.org"),
        other=make_donor_records(db_session, "UK", "other@example.org", "GBP"),
        own_colleague=make_staff(db_session, "colleague@de.example.org", ("support",), ("DE",)),
        other_colleague=make_staff(db_session, "colleague@uk.example.org", ("support",), ("UK",)),
    )
    db_session.commit()  # a savepoint: the app's requests see the rows
    return world


def expected(route: Route, role: str, own: bool) -> int:
    """The designed answer: 403 without the permission; 404 for another office's record."""
    if route.permission is not None and not allows([role], route.permission):
        return 403
    if route.scoped and not own:
        return 404
    return route.ok


def call(console: Console, route: Route, records: DonorRecords, colleague: Staff) -> int:
    url = route.url(records, colleague)
    response = console.post(url, dict(route.data)) if route.method == "POST" else console.get(url)
    return response.status_code


def test_every_staff_route_is_in_the_matrix(app: Flask) -> None:
    staff_endpoints = {
        rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith("/staff")
    }
    assert staff_endpoints - PUBLIC == set(BY_ENDPOINT), "add the new route to MATRIX"
    for endpoint in BY_ENDPOINT:
        guarded = app.view_functions[endpoint]
        assert getattr(guarded, "staff_permission", "missing") == BY_ENDPOINT[endpoint].permission


ENDS_SESSION = {"staff.sign_out", "staff.sign_out_everywhere"}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_on_its_own_and_another_office(
    app: Flask, db_session: Session, world: World, role: str
) -> None:
    console = Console(app.test_client())
    console.sign_in(world.staff[role], db_session)
    answers: dict[tuple[str, bool], int] = {}
    designed: dict[tuple[str, bool], int] = {}
    for route in [r for r in MATRIX if r.endpoint not in ENDS_SESSION] + [
        r for r in MATRIX if r.endpoint in ENDS_SESSION
    ][:1]:
        for own in (True, False) if route.endpoint not in ENDS_SESSION else (True,):
            console.get("/staff/")  # a page with a CSRF token for the POSTs
            records = world.own if own else world.other
            colleague = world.own_colleague if own else world.other_colleague
            answers[(route.endpoint, own)] = call(console, route, records, colleague)
            designed[(route.endpoint, own)] = expected(route, role, own)
    mismatches = {k: (answers[k], designed[k]) for k in answers if answers[k] != designed[k]}
    assert mismatches == {}, f"{role}: (got, designed) {mismatches}"


@pytest.mark.parametrize("route", MATRIX, ids=lambda route: route.endpoint)
def test_nothing_is_reachable_without_both_factors(
    app: Flask, db_session: Session, world: World, route: Route
) -> None:
    nobody = Console(app.test_client())
    nobody.get("/staff/sign-in")
    half = Console(app.test_client())
    assert half.password_step(world.staff["admin"]).status_code == 302
    half.get("/staff/sign-in/code")
    for console in (nobody, half):
        response = (
            console.post(route.url(world.own, world.own_colleague), dict(route.data))
            if route.method == "POST"
            else console.get(route.url(world.own, world.own_colleague))
        )
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/staff/sign-in")


def test_signing_out_ends_the_session_for_good(
    app: Flask, db_session: Session, world: World
) -> None:
    console = Console(app.test_client())
    console.sign_in(world.staff["support"], db_session)
    console.get("/staff/")
    cookie = app.config["STAFF_SESSION_COOKIE_NAME"]
    kept = console.client.get_cookie(cookie, path="/staff")
    assert kept is not None
    assert console.post("/staff/sign-out").status_code == 302
    replay = app.test_client()
    replay.set_cookie(cookie, kept.value, path="/staff")
    assert replay.get("/staff/").status_code == 302  # the old cookie signs no one in
