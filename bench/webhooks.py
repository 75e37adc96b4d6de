"""Webhook throughput: our endpoint against a floor, under the same gunicorn on PostgreSQL.

Usage: .venv/bin/python bench/webhooks.py [--seconds 20] [--rounds 2] [--connections 16]
       [--database postgresql://postgres@127.0.0.1:5432/test]

The floor (bench/webhook_floor_app.py) verifies the signature with the Stripe SDK and inserts
one row. Ours (`POST /webhooks/stripe/DE`) verifies, stores the minimised event under its
unique id and queues it in the outbox, in one transaction, and answers; applying it is the
workers' job and is not part of this figure (no worker runs here). Both run under
`gunicorn -c config/gunicorn.conf.py` with 2 processes (GUNICORN_WORKERS), ours as production
runs it (JSON logs at INFO, metrics in PROMETHEUS_MULTIPROC_DIR, Redis for the counters),
driven by Debian's wrk with signed events of realistic size, each with a new id, interleaved
floor, ours, floor, ours. Goal (issue 21): ours at least 0.5 x the floor's events per second.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bench.receipt_throughput import create_scratch, drop_scratch, free_port  # noqa: E402
from checkout import migrate  # noqa: E402
from checkout.db import make_engine  # noqa: E402
from checkout.payments.credentials import standin_keys  # noqa: E402

GOAL = 0.5
WRK = shutil.which("wrk") or "wrk"  # Debian's wrk
#: A payment_intent.succeeded event as Stripe sends it (about 2 KB): the id is filled in.
EVENT = {
    "id": "{id}",
    "object": "event",
    "api_version": "2025-10-29.clover",
    "created": 0,
    "livemode": False,
    "pending_webhooks": 1,
    "type": "payment_intent.succeeded",
    "request": {"id": None, "idempotency_key": None},
    "data": {
        "object": {
            "id": "pi_{id}",
            "object": "payment_intent",
            "amount": 5000,
            "amount_capturable": 0,
            "amount_received": 5000,
            "capture_method": "automatic_async",
            "client_secret": "pi_{id}_secret_bench",
            "confirmation_method": "manual",
            "created": 0,
            "currency": "eur",
            "customer": None,
            "description": "Donation",
            "latest_charge": "ch_{id}",
            "livemode": False,
            "metadata": {"donation_id": "123", "office": "DE"},
            "payment_method": "pm_bench",
            "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
            "payment_method_types": ["card"],
            "receipt_email": "donor@example.org",
            "shipping": None,
            "status": "succeeded",
            "last_payment_error": None,
            "next_action": None,
            "statement_descriptor": None,
            "setup_future_usage": None,
            "transfer_data": None,
        }
    },
}
#: wrk's script: each request posts the next pre-signed event (its id and signature from
#: SIGNED, one "id signature" per line), so every event is new to the endpoint.
LUA = r"""
local events = {}
for line in io.lines(os.getenv("SIGNED")) do
  local id, signature = line:match("(%S+) (%S+)")
  events[#events + 1] = {id, signature}
end
local prefix, suffix = os.getenv("PREFIX"), os.getenv("SUFFIX")
local n = 0
request = function()
  n = n + 1
  local event = events[(n - 1) % #events + 1]
  local body = prefix .. event[1] .. suffix
  body = body:gsub("{id}", event[1])
  return wrk.format("POST", os.getenv("TARGET"), {
    ["Content-Type"] = "application/json",
    ["Stripe-Signature"] = event[2],
  }, body)
end
"""


def signed_events(folder: Path, secret: str, count: int, tag: str) -> tuple[Path, str, str]:
    """`count` new event ids with a valid signature each, for the Lua script; the body
    template around the id."""
    template = json.dumps(EVENT, separators=(",", ":")).replace(
        '"created":0', f'"created":{int(time.time())}'
    )
    prefix, suffix = template.split("{id}", 1)
    moment = int(time.time())
    path = folder / f"signed-{tag}.txt"
    with path.open("w") as out:
        for _ in range(count):
            event_id = f"evt_{tag}{secrets.token_hex(10)}"
            body = (prefix + event_id + suffix).replace("{id}", event_id)
            digest = hmac.new(secret.encode(), f"{moment}.{body}".encode(), hashlib.sha256)
            out.write(f"{event_id} t={moment},v1={digest.hexdigest()}\n")
    return path, prefix, suffix


def serve(app: str, environ: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """gunicorn with config/gunicorn.conf.py serving `app` on `port`, once it answers."""
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", app],
        cwd=ROOT,
        env={**environ, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2"},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).close()
            return process
        except urllib.error.HTTPError:
            return process  # it answers (the floor has no page at /)
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"gunicorn did not start: {log.read_text()}")


def drive(port: int, secret: str, seconds: int, connections: int, folder: Path, tag: str):
    """wrk against one endpoint: (events per second, p50 ms, p99 ms)."""
    signed, prefix, suffix = signed_events(folder, secret, 4000 * seconds, tag)
    script = folder / "events.lua"
    script.write_text(LUA)
    out = subprocess.run(
        [
            WRK,
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        env={
            **os.environ,
            "SIGNED": str(signed),
            "PREFIX": prefix,
            "SUFFIX": suffix,
            "TARGET": "/webhooks/stripe/DE",
        },
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"errors under load:\n{out}")

    def ms(label: str) -> float:
        found = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        assert found, out
        return float(found.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]

    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return rate, ms("50%"), ms("99%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    secret = standin_keys("DE").webhook_secret
    url = create_scratch(args.database, "bench_webhooks")
    migrate.upgrade(url)
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE floor_events (id bigserial PRIMARY KEY,"
                " event_id text UNIQUE NOT NULL, office text NOT NULL)"
            )
        )
    engine.dispose()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "metrics").mkdir()
        ours_env = {
            **os.environ,
            "DATABASE_URL": url,
            "CHECKOUT_RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
            "CHECKOUT_COUNTERS_PREFIX": "bench-webhooks",
            "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics"),
        }
        floor_env = {
            **os.environ,
            "FLOOR_DB": url,
            "FLOOR_SECRET": secret,
            "PYTHONPATH": str(ROOT / "bench"),
        }
        results: dict[str, list[tuple[float, float, float]]] = {"floor": [], "ours": []}
        try:
            for round_ in range(args.rounds):
                for kind, app, environ in (
                    ("floor", "webhook_floor_app:app", floor_env),
                    ("ours", "wsgi:app", ours_env),
                ):
                    port = free_port()
                    server = serve(app, environ, port, folder / f"{kind}.log")
                    try:
                        figures = drive(
                            port, secret, args.seconds, args.connections, folder, f"{kind}{round_}"
                        )
                    finally:
                        server.terminate()
                        server.wait(timeout=30)
                    results[kind].append(figures)
                    print(
                        f"round {round_ + 1} {kind:5}: {figures[0]:8.1f} events/s, "
                        f"p50 {figures[1]:.2f} ms, p99 {figures[2]:.2f} ms",
                        flush=True,
                    )
        finally:
            drop_scratch(args.database, url)
    floor = sum(r[0] for r in results["floor"]) / len(results["floor"])
    ours = sum(r[0] for r in results["ours"]) / len(results["ours"])
    print(
        f"mean: floor {floor:.1f} events/s, ours {ours:.1f} events/s: {ours / floor:.2f} x "
        f"(goal at least {GOAL} x)"
    )
    sys.exit(0 if ours / floor >= GOAL else 1)


if __name__ == "__main__":
    main()
