"""Staff accounts end to end over HTTP: enrolment by a one-time link, the second factor,
throttled sign-in with one answer for every failure, session lifetimes, signing out
everywhere, re-proving the factor, and the commands that make accounts."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from checkout.audit.models import AuditEvent
from checkout.core.clock import utcnow
from checkout.staff.models import StaffAccount, StaffSession
from tests.staff_support import Console, fresh_code, make_staff

STRONG = "violet kettle drums at noon"


def actions(session: Session) -> list[tuple[str, str]]:
    session.expire_all()
    return [
        (e.action, e.outcome) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    ]


def enrolment_link(runner, *args: str) -> str:
    result = runner.invoke(args=["staff", "create", *args])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def test_the_first_admin_enrols_by_the_link_and_it_works_once(
    app: Flask, runner, db_session: Session
) -> None:
    link = enrolment_link(runner, "First@Example.org", "--role", "admin", "--office", "ALL")
    assert link.startswith("http://127.0.0.1:5000/staff/enrol/")
    path = link.removeprefix("http://127.0.0.1:5000")
    console = Console(app.test_client())
    opened = console.get(path)
    assert opened.status_code == 302 and opened.headers["Location"] == "/staff/enrol"
    console.get("/staff/enrol")
    weak = console.post("/staff/enrol", {"password": "password1234", "confirm": "password1234"})
    page = weak.get_data(as_text=True)
    assert "too common or too easy to guess" in page
    assert 'aria-invalid="true"' in page and 'href="#password"' in page  # tied to the field
    assert "password1234" not in page  # a password is never written back
    assert console.post("/staff/enrol", {"password": STRONG, "confirm": STRONG}).status_code == 302
    setup = console.get("/staff/enrol").get_data(as_text=True)
    assert "<svg" in setup and "https://" not in setup.split("<svg")[1].split("</svg>")[0]
    secret = re.search(r"data-totp-secret>([A-Z2-7]+)<", setup).group(1)
    assert "That code is not right" in console.post("/staff/enrol", {"code": "000000"}).get_data(
        as_text=True
    )
    done = console.post("/staff/enrol", {"code": pyotp.TOTP(secret).now()})
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", done.get_data(as_text=True))
    assert len(codes) == 10
    assert console.get("/staff/").status_code == 200  # signed in with both factors
    account = db_session.scalar(
        select(StaffAccount).where(StaffAccount.email == "first@example.org")
    )
    assert account is not None and account.role_names == {"admin"}
    assert account.enrolment_token_hash is None
    again = Console(app.test_client()).get(path)
    assert again.status_code == 404  # the link is spent
    assert ("staff.enrolled", "ok") in actions(db_session)
    assert ("staff.enrolment", "failed") in actions(db_session)


def test_a_code_works_once_and_a_recovery_code_once(app: Flask, db_session: Session) -> None:
    staff = make_staff(db_session, "once@example.org", ("support",), ("DE",))
    db_session.commit()
    first = Console(app.test_client())
    first.password_step(staff)
    first.get("/staff/sign-in/code")
    code = fresh_code(staff.secret, 0)
    assert first.post("/staff/sign-in/code", {"code": code}).status_code == 302
    second = Console(app.test_client())
    second.password_step(staff)
    second.get("/staff/sign-in/code")
    replay = second.post("/staff/sign-in/code", {"code": code})
    assert "was used already" in replay.get_data(as_text=True)
    codes = _new_recovery_codes(first, staff, db_session)
    assert second.post("/staff/sign-in/recovery", {"code": codes[0]}).status_code == 302
    third = Console(app.test_client())
    third.password_step(staff)
    third.get("/staff/sign-in/recovery")
    assert "not right or was used" in third.post(
        "/staff/sign-in/recovery", {"code": codes[0]}
    ).get_data(as_text=True)


def _new_recovery_codes(console: Console, staff, session: Session) -> list[str]:
    console.get("/staff/account")
    page = console.post("/staff/account/recovery-codes").get_data(as_text=True)
    return re.findall(r"<li><code>([a-z0-9-]+)</code></li>", page)


def _failure_page(app: Flask, email: str, password: str) -> tuple[int, str]:
    console = Console(app.test_client())
    console.get("/staff/sign-in")
    answer = console.post("/staff/sign-in", {"email": email, "password": password})
    body = re.sub(
        r'(csrf_token" value|csrf-token" content)="[^"]+"', "TOKEN", answer.get_data(as_text=True)
    )
    return answer.status_code, body


def test_unknown_accounts_and_wrong_passwords_get_the_same_answer_and_are_throttled(
    app: Flask, db_session: Session
) -> None:
    app.config["STAFF_ACCOUNT_RATE_LIMIT"] = "3 per 15 minutes"
    staff = make_staff(db_session, "known@example.org", ("support",), ("DE",))
    db_session.commit()
    wrong = _failure_page(app, "known@example.org", "not the password at all")
    unknown = _failure_page(app, "nobody@example.org", "not the password at all")
    assert wrong[0] == unknown[0] == 200
    assert wrong[1].replace("known@", "X@") == unknown[1].replace("nobody@", "X@")
    assert "The email address or password is not right." in wrong[1]
    for _ in range(2):
        _failure_page(app, "known@example.org", "still wrong, sorry")
        _failure_page(app, "nobody@example.org", "still wrong, sorry")
    assert _failure_page(app, "known@example.org", staff.password)[0] == 429  # even the right one
    assert _failure_page(app, "nobody@example.org", "x" * 12)[0] == 429
    assert Console(app.test_client()).password_step(
        make_staff(db_session, "other@example.org", ("support",), ("DE",))
    ).status_code in (302, 200)
    failures = [a for a in actions(db_session) if a == ("staff.sign_in", "failed")]
    assert len(failures) == 6


def test_failures_from_one_address_are_throttled_across_accounts(
    app: Flask, db_session: Session
) -> None:
    app.config["STAFF_ADDRESS_RATE_LIMIT"] = "4 per 15 minutes"
    for n in range(4):
        assert _failure_page(app, f"guess{n}@example.org", "wrong password here")[0] == 200
    assert _failure_page(app, "guess9@example.org", "wrong password here")[0] == 429


def _signed_in(app: Flask, db_session: Session, email: str = "s@example.org", roles=("support",)):
    staff = make_staff(db_session, email, roles, ("DE",))
    db_session.commit()
    console = Console(app.test_client())
    console.sign_in(staff, db_session)
    return staff, console


@pytest.mark.parametrize(
    ("column", "age"),
    [("last_seen_at", timedelta(minutes=31)), ("created_at", timedelta(hours=12, minutes=1))],
)
def test_sessions_end_after_30_idle_minutes_and_12_hours_in_all(
    app: Flask, db_session: Session, column: str, age: timedelta
) -> None:
    _staff, console = _signed_in(app, db_session)
    assert console.get("/staff/").status_code == 200
    db_session.execute(update(StaffSession).values({column: utcnow() - age}))
    db_session.commit()
    answer = console.get("/staff/")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/staff/sign-in")
    db_session.expire_all()
    assert db_session.scalar(select(StaffSession.ended_at)) is not None


def test_signing_out_everywhere_ends_every_session(app: Flask, db_session: Session) -> None:
    staff, laptop = _signed_in(app, db_session)
    phone = Console(app.test_client())
    phone.sign_in(staff, db_session)
    assert phone.get("/staff/").status_code == 200
    laptop.get("/staff/account")
    assert laptop.post("/staff/sign-out-everywhere").status_code == 302
    assert phone.get("/staff/").status_code == 302
    assert laptop.get("/staff/").status_code == 302


def test_a_deactivated_account_is_signed_out_and_cannot_sign_in(
    app: Flask, db_session: Session
) -> None:
    _admin, console = _signed_in(app, db_session, "boss@example.org", ("admin",))
    staff, victim = _signed_in(app, db_session, "leaver@example.org")
    console.get(f"/staff/admin/accounts/{staff.account.id}")
    done = console.post(f"/staff/admin/accounts/{staff.account.id}/deactivate", {"reason": "left"})
    assert done.status_code == 302
    assert victim.get("/staff/").status_code == 302
    assert Console(app.test_client()).password_step(staff).status_code == 200  # refused


def test_sensitive_actions_ask_for_the_second_factor_again(app: Flask, db_session: Session) -> None:
    staff, console = _signed_in(app, db_session, "admin2@example.org", ("admin",))
    db_session.execute(
        update(StaffSession).values(second_factor_at=utcnow() - timedelta(minutes=11))
    )
    db_session.commit()
    asked = console.get("/staff/admin/accounts/new")
    assert asked.status_code == 302
    assert asked.headers["Location"].startswith("/staff/confirm?next=/staff/admin/accounts/new")
    console.get(asked.headers["Location"])
    db_session.refresh(staff.account)
    proved = console.post(
        "/staff/confirm", {"code": fresh_code(staff.secret, staff.account.totp_last_step)}
    )
    assert proved.headers["Location"] == "/staff/admin/accounts/new"
    assert console.get("/staff/admin/accounts/new").status_code == 200


def test_forms_need_their_csrf_token_and_pages_are_not_cached_or_framed(
    app: Flask, db_session: Session
) -> None:
    _staff, console = _signed_in(app, db_session)
    refused = console.client.post("/staff/sign-out", data={})
    assert refused.status_code == 400
    page = console.get("/staff/")
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Frame-Options"] == "DENY"
    cookie = console.client.get_cookie(app.config["STAFF_SESSION_COOKIE_NAME"], path="/staff")
    assert cookie is not None and cookie.http_only and cookie.path == "/staff"
    assert console.client.get_cookie(app.config["SESSION_COOKIE_NAME"]) is None  # not the donors'


def test_an_admin_grants_only_offices_they_hold(app: Flask, db_session: Session) -> None:
    _staff, console = _signed_in(app, db_session, "uk-admin@example.org", ("admin",))
    form = console.get("/staff/admin/accounts/new").get_data(as_text=True)
    assert 'value="DE"' in form and 'value="UK"' not in form and 'value="ALL"' not in form
    grab = console.post(
        "/staff/admin/accounts/new",
        {"email": "new@example.org", "roles": "support", "offices": "UK", "reason": "hire"},
    )
    assert "is not a valid choice" in grab.get_data(as_text=True)
    made = console.post(
        "/staff/admin/accounts/new",
        {"email": "new@example.org", "roles": "support", "offices": "DE", "reason": "hire"},
    )
    assert "/staff/enrol/" in made.get_data(as_text=True)
    assert ("staff.invited", "ok") in actions(db_session)


def test_demo_accounts_are_made_outside_production_only(
    app: Flask, runner, db_session: Session
) -> None:
    made = runner.invoke(args=["staff", "demo"])
    assert made.exit_code == 0, made.output
    secrets = re.findall(r"TOTP secret: ([A-Z2-7]+)", made.output)
    passwords = re.findall(r"password: +(\S+)", made.output)
    assert len(secrets) == len(passwords) == 3
    emails = db_session.scalars(select(StaffAccount.email).order_by(StaffAccount.email)).all()
    assert emails == ["admin@demo.invalid", "finance.uk@demo.invalid", "support.de@demo.invalid"]
    console = Console(app.test_client())
    console.get("/staff/sign-in")
    signed = console.post(
        "/staff/sign-in", {"email": "support.de@demo.invalid", "password": passwords[1]}
    )
    assert signed.status_code == 302
    console.get("/staff/sign-in/code")
    assert (
        console.post("/staff/sign-in/code", {"code": pyotp.TOTP(secrets[1]).now()}).status_code
        == 302
    )
    app.config["ENV"] = "production"
    refused = runner.invoke(args=["staff", "demo"])
    assert refused.exit_code != 0 and "refusing" in refused.output


def test_staff_create_refuses_unknown_offices(runner) -> None:
    result = runner.invoke(
        args=["staff", "create", "x@example.org", "--role", "admin", "--office", "XX"]
    )
    assert result.exit_code != 0 and "unknown offices: XX" in result.output
