"""The webhook floor: the least a Stripe webhook endpoint can do, for bench/webhooks.py.

A bare Flask app that verifies the signature on the raw body with the Stripe SDK, then inserts
the event's id into one table of the same PostgreSQL server, and answers 200. Served by the
same gunicorn settings as the app (config/gunicorn.conf.py). FLOOR_DB names the database,
FLOOR_SECRET the signing secret.
"""

from __future__ import annotations

import json
import os

import stripe
from flask import Flask, request
from sqlalchemy import create_engine, text

engine = create_engine(os.environ["FLOOR_DB"].replace("postgresql://", "postgresql+psycopg://"))
secret = os.environ["FLOOR_SECRET"]
app = Flask("webhook_floor")


@app.post("/webhooks/stripe/<office>")
def receive(office: str) -> tuple[str, int]:
    body = request.get_data()
    try:
        stripe.WebhookSignature.verify_header(
            body, request.headers.get("Stripe-Signature", ""), secret, 300
        )
    except stripe.SignatureVerificationError:
        return "", 400
    event = json.loads(body)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO floor_events (event_id, office) VALUES (:id, :office)"),
            {"id": event["id"], "office": office},
        )
    return "", 200
