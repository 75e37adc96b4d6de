"""No personal data in logs, and one request id from a request to the worker's lines.

A whole gift (card and SEPA), its receipts by email, and a support action, with every logger
of the app and the worker writing JSON lines at DEBUG into one place; then every line is
searched for what the donor typed and for every token and secret the flow used.
"""

from __future__ import annotations

import json
import re
import time

from sqlalchemy import select

from checkout.outbox.models import OutboxMessage
from checkout.payments.events import APPLY_EVENT
from checkout.receipts.models import Receipt
from tests.operations_support import (
    DONOR,
    IBAN,
    WEBHOOK_SECRET,
    captured_log,
    de_office,
    give,
    ops_app,
    settle,
)
from tests.outbox_support import run_outbox
from tests.payments_support import sign
from tests.staff_support import Console, make_staff

__all__ = ["captured_log", "ops_app"]  # fixtures

#: The loopback SMTP server of the tests logs what it receives: it is not the app.
NOT_THE_APP = ("mail.log",)


def lines_of(captured) -> list[dict]:
    """Every JSON line written, as objects (each line must be JSON)."""
    return [json.loads(line) for line in captured.getvalue().splitlines() if line]


def app_lines(captured) -> list[dict]:
    return [line for line in lines_of(captured) if line["logger"] not in NOT_THE_APP]


def secrets_seen(smtp_server, gifts, staff_cookie: str, csrf: str, standin_account) -> list[str]:
    """Tokens and secrets the flow handled: link tokens in the emails, ConfirmationTokens, the
    staff session, a CSRF token, Stripe's keys and the webhook secret."""
    found = [gift.confirmation_token for gift in gifts]
    for message in smtp_server.messages:
        body = message.get_body(("plain",)).get_content()
        found += re.findall(r"https://give\.example\.org/\S*?/([A-Za-z0-9_\-=]{30,})", body)
    found += [staff_cookie, csrf, standin_account.secret_key, WEBHOOK_SECRET]
    found += [standin_account.publishable_key]
    return [token for token in found if token]


def personal_data() -> list[re.Pattern[str]]:
    """What the donor typed, as patterns (case-insensitive; IBAN in fragments too)."""
    words = [DONOR[key] for key in ("first_name", "last_name", "email", "address_line1", "city")]
    patterns = [re.compile(re.escape(word), re.I) for word in words]
    patterns.append(re.compile(r"\b" + DONOR["postcode"] + r"\b"))
    patterns.append(re.compile(DONOR["phone"].replace(" ", r"\s?")))
    iban_fragments = [IBAN[i : i + 8] for i in range(0, len(IBAN) - 7, 4)] + [IBAN[-4:] + "\\b"]
    patterns += [re.compile(fragment, re.I) for fragment in iban_fragments]
    patterns.append(re.compile(r"@example\.org", re.I))
    return patterns


def test_a_gift_its_receipts_and_a_support_action_log_nothing_personal(
    ops_app, db_session, standin_account, stripe_standin, smtp_server, captured_log
) -> None:
    base, key = stripe_standin.base_url, standin_account.publishable_key
    gifts = [give(ops_app.test_client(), base, key, method) for method in ("card", "sepa_debit")]
    standin_account.control.settle_debits(standin_account.secret_key)
    settle(ops_app, de_office(ops_app, standin_account))
    receipt = db_session.scalars(select(Receipt).order_by(Receipt.id)).first()
    assert receipt is not None and len(smtp_server.messages) >= 2
    # Support finds the donor by email and resends a receipt, with a reason.
    staff = make_staff(db_session, "agent@support.example", ("support",), ("DE",))
    db_session.commit()
    console = Console(ops_app.test_client())
    console.sign_in(staff, db_session)
    found = console.get("/staff/support/", query_string={"q": DONOR["email"]})
    assert DONOR["last_name"] in found.get_data(as_text=True)
    path = f"/staff/support/receipts/{receipt.id}/resend"
    console.get(path)
    reason = {"target": "donor", "reason": "Wilhelmina lost it"}
    assert console.post(path, reason).status_code == 200
    assert console.post(path, {**reason, "confirmed": "yes"}).status_code == 302
    run_outbox(ops_app)
    cookie = console.client.get_cookie(ops_app.config["STAFF_SESSION_COOKIE_NAME"], path="/staff")
    assert cookie is not None

    lines = app_lines(captured_log)
    assert len(lines) > 20, lines  # the app did log: the search below has something to search
    assert any(line["request_id"] for line in lines)
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    for pattern in personal_data():
        leaked = [line for line in text.splitlines() if pattern.search(line)]
        assert not leaked, (pattern.pattern, leaked[:3])
    for token in secrets_seen(smtp_server, gifts, cookie.value, console.token, standin_account):
        leaked = [line for line in text.splitlines() if token in line]
        assert not leaked, (token, leaked[:3])


def test_the_request_id_reaches_the_outbox_and_the_workers_lines(
    ops_app, db_session, captured_log
) -> None:
    event = {
        "id": "evt_request_id_1",
        "object": "event",
        "type": "charge.refunded",
        "created": int(time.time()),
        "data": {"object": {"id": "ch_request_id_1", "object": "charge"}},
    }
    body = json.dumps(event).encode()
    response = ops_app.test_client().post(
        "/webhooks/stripe/DE",
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": sign(body, WEBHOOK_SECRET)},
    )
    assert response.status_code == 200
    request_id = response.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{16}", request_id)
    message = db_session.scalar(select(OutboxMessage).where(OutboxMessage.name == APPLY_EVENT))
    assert message is not None and message.request_id == request_id
    stored = [line for line in app_lines(captured_log) if "stored" in line["message"]]
    assert stored and stored[-1]["request_id"] == request_id

    run_outbox(ops_app, [APPLY_EVENT])
    done = [line for line in app_lines(captured_log) if line["message"].endswith("done")]
    assert [line["request_id"] for line in done] == [request_id]
    applied = [line for line in app_lines(captured_log) if "unmatched" in line["message"]]
    assert applied and applied[-1]["request_id"] == request_id  # the handler's own line
    other = ops_app.test_client().get("/healthz")
    assert other.headers["X-Request-Id"] not in ("", request_id)
