"""Signing in to the donor portal with an emailed link: the same answer for every address, a
link that works once and for twenty minutes, a cookie of its own, idle timeout, sign out."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from checkout.audit.models import AuditEvent
from checkout.core.clock import utcnow
from checkout.portal.models import PortalSession, SignInLink
from tests.integration.test_receipt_delivery import drain
from tests.portal_support import ask_for_link, csrf_of, give_once, link_in, make_donor, sign_in


def test_the_answer_is_the_same_for_known_and_unknown_addresses(
    mailing_app, db_session, smtp_server
) -> None:
    give_once(db_session, make_donor(db_session, "known@example.org"))
    db_session.commit()
    first, second = mailing_app.test_client(), mailing_app.test_client()
    first.environ_base["REMOTE_ADDR"] = "192.0.2.1"  # each its own rate-limit count
    second.environ_base["REMOTE_ADDR"] = "192.0.2.2"
    known = ask_for_link(first, "known@example.org")
    unknown = ask_for_link(second, "stranger@example.org")
    assert known.status_code == unknown.status_code == 200
    assert known.get_data() == unknown.get_data()
    assert _headers(known) == _headers(unknown)
    # The same work was done for both: a row and an outbox message each.
    assert db_session.scalar(
        select(SignInLink.id).where(SignInLink.email == "stranger@example.org")
    )
    drain(mailing_app)
    assert [m["To"] for m in smtp_server.messages] == ["known@example.org"]


def test_the_link_signs_in_once(mailing_app, db_session, smtp_server) -> None:
    give_once(db_session, make_donor(db_session, "once@example.org"))
    db_session.commit()
    client = mailing_app.test_client()
    ask_for_link(client, "Once@Example.org ")
    drain(mailing_app)
    token = link_in(smtp_server.messages[-1])
    opened = client.get(f"/account/sign-in/{token}")
    assert opened.status_code == 200 and "Sign in" in opened.get_data(as_text=True)
    assert client.get("/account/").status_code == 302  # opening the link signed no one in
    client.post(f"/account/sign-in/{token}", data={"csrf_token": csrf_of(opened)})
    home = client.get("/account/")
    assert home.status_code == 200 and "once@example.org" in home.get_data(as_text=True)
    other = mailing_app.test_client()
    assert other.get(f"/account/sign-in/{token}").status_code == 410
    events = db_session.scalars(select(AuditEvent.action).where(AuditEvent.actor_kind == "donor"))
    assert {"portal.sign_in", "portal.view_history"} <= set(events)


def test_a_link_expires_after_twenty_minutes(mailing_app, db_session, smtp_server) -> None:
    give_once(db_session, make_donor(db_session, "late@example.org"))
    db_session.commit()
    client = mailing_app.test_client()
    ask_for_link(client, "late@example.org")
    drain(mailing_app)
    token = link_in(smtp_server.messages[-1])
    link = db_session.scalar(select(SignInLink).where(SignInLink.email == "late@example.org"))
    assert link is not None and link.expires_at is not None
    assert timedelta(minutes=19) < link.expires_at - link.created_at <= timedelta(minutes=21)
    assert link.token_hash is not None and token not in link.token_hash  # only its hash
    link.expires_at = utcnow() - timedelta(seconds=1)
    db_session.commit()
    assert client.get(f"/account/sign-in/{token}").status_code == 410


def test_the_portal_has_its_own_cookie_and_an_idle_timeout(
    mailing_app, db_session, smtp_server
) -> None:
    give_once(db_session, make_donor(db_session, "idle@example.org"))
    db_session.commit()
    client = sign_in(mailing_app, mailing_app.test_client(), smtp_server, "idle@example.org")
    cookie = client.get_cookie("checkout_portal", path="/account")
    assert cookie is not None and cookie.http_only
    assert client.get_cookie("checkout_session") is None
    row = db_session.scalars(select(PortalSession)).one()
    row.last_seen_at = utcnow() - timedelta(minutes=31)
    db_session.commit()
    expired = client.get("/account/")
    assert expired.status_code == 302 and "expired=1" in expired.headers["Location"]


def test_signing_out_ends_the_session(mailing_app, db_session, smtp_server) -> None:
    give_once(db_session, make_donor(db_session, "out@example.org"))
    db_session.commit()
    client = sign_in(mailing_app, mailing_app.test_client(), smtp_server, "out@example.org")
    home = client.get("/account/")
    out = client.post("/account/sign-out", data={"csrf_token": csrf_of(home)})
    assert out.status_code == 302
    assert db_session.scalars(select(PortalSession.ended_at)).one() is not None
    assert client.get("/account/").status_code == 302


def test_links_per_address_are_limited_with_the_same_answer(
    mailing_app, db_session, smtp_server
) -> None:
    give_once(db_session, make_donor(db_session, "many@example.org"))
    db_session.commit()
    answers = [ask_for_link(mailing_app.test_client(), "many@example.org") for _ in range(5)]
    assert {a.status_code for a in answers} == {200}
    assert len({a.get_data() for a in answers}) == 1
    drain(mailing_app)
    assert len(smtp_server.messages) == 3  # PORTAL_EMAIL_RATE_LIMIT: 3 per 20 minutes


def _headers(response) -> dict[str, str]:
    """The headers but the cookie (its signature differs), the rate limit's reset moment and
    the request's own id (each request has one)."""
    varying = ("Set-Cookie", "X-RateLimit-Reset", "X-Request-Id")
    return {k: v for k, v in response.headers if k not in varying}


def test_the_nightly_run_forgets_old_links_sessions_and_unconfirmed_sign_ups(
    app, db_session, runner
) -> None:
    from checkout.signup.models import PendingSignup

    now = utcnow()
    old, recent = now - timedelta(days=2), now - timedelta(hours=1)
    db_session.add_all(
        [
            SignInLink(email="old@example.org", language="en", created_at=old),
            SignInLink(email="new@example.org", language="en", created_at=recent),
            PortalSession(token_hash="a" * 64, email="old@example.org", created_at=old),
            PortalSession(token_hash="b" * 64, email="new@example.org", created_at=recent),
        ]
    )
    db_session.commit()
    notice_id = _some_notice(db_session)
    db_session.add_all(
        PendingSignup(
            office_code="DE",
            email=f"{name}@example.org",
            country="DE",
            language="en",
            notice_id=notice_id,
            expires_at=expires,
        )
        for name, expires in (
            ("stale", now - timedelta(minutes=1)),
            ("fresh", now + timedelta(days=3)),
        )
    )
    db_session.commit()
    result = runner.invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    db_session.expire_all()
    assert db_session.scalars(select(SignInLink.email)).all() == ["new@example.org"]
    assert db_session.scalars(select(PortalSession.email)).all() == ["new@example.org"]
    assert db_session.scalars(select(PendingSignup.email)).all() == ["fresh@example.org"]


def _some_notice(db_session) -> int:
    from checkout.consent.services import stored_notice
    from tests.transfers_support import OFFICES

    office = OFFICES.get("DE")
    return stored_notice(db_session, office, office.notices["email_fundraising"], "en").id
