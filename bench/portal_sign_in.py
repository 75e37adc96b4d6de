"""How long asking for a portal sign-in link takes, for an address that gave and one that did
not: the two answers must not tell them apart (issue 20), by their time either.

Usage: .venv/bin/python bench/portal_sign_in.py [--requests 400]

The app is served by werkzeug on loopback in this process, on SQLite in a temporary folder,
with the rate limits raised out of the way. A client takes the sign-in page's CSRF token once,
then posts the form for the known and the unknown address in turn (interleaved, so load on the
machine hits both alike) and times each answer. The emails are sent later by the outbox worker
(not run here): the request does the same work for both addresses, a row and a message.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import logging
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from checkout import create_app, migrate
from checkout.db import get_database
from checkout.donations.models import Donor

KNOWN, UNKNOWN = "known@example.org", "unknown@example.org"


def build(folder: Path) -> str:
    """The app with one donor, served on a free port; its base URL."""
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    migrate.upgrade(url)
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench-not-secret",
            "PORTAL_ADDRESS_RATE_LIMIT": "1000000 per hour",
            "PORTAL_EMAIL_RATE_LIMIT": "1000000 per hour",
        },
        environ={},
    )
    with get_database(app).session_factory() as session:
        session.add(
            Donor(office_code="DE", email=KNOWN, first_name="K", last_name="D", country="DE")
        )
        session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


def timings(base: str, requests: int) -> dict[str, list[float]]:
    """Milliseconds per answer, per address, the two interleaved."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    page = opener.open(base + "/account/sign-in").read().decode()
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    token = found.group(1)
    times: dict[str, list[float]] = {KNOWN: [], UNKNOWN: []}
    bodies: dict[str, set[bytes]] = {KNOWN: set(), UNKNOWN: set()}
    for _ in range(requests):
        for email in (KNOWN, UNKNOWN):
            data = urllib.parse.urlencode({"csrf_token": token, "email": email}).encode()
            start = time.perf_counter()
            with opener.open(base + "/account/sign-in", data=data) as response:
                body = response.read()
            times[email].append((time.perf_counter() - start) * 1000)
            bodies[email].add(body)
    assert bodies[KNOWN] == bodies[UNKNOWN], "the answers differ"
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as folder:
        base = build(Path(folder))
        timings(base, 20)  # warm up: templates, the first connections
        measured = timings(base, args.requests)
    for email, values in measured.items():
        ordered = sorted(values)
        p95 = ordered[int(len(ordered) * 0.95) - 1]
        print(
            f"{email:22} n={len(values)} p50 {statistics.median(values):.2f} ms "
            f"mean {statistics.fmean(values):.2f} ms p95 {p95:.2f} ms"
        )
    ratio = statistics.median(measured[KNOWN]) / statistics.median(measured[UNKNOWN])
    print(f"median known / unknown: {ratio:.3f}")


if __name__ == "__main__":
    main()
