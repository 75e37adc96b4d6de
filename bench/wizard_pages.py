"""Bytes and latency of each wizard step, against a bare Flask endpoint in the same run.

Usage: .venv/bin/python bench/wizard_pages.py [--requests 300]

Both apps are served by werkzeug on loopback in this process; a client walks one draft to the
review page, then times GET requests of each step. Bytes count the page's own HTML plus the
CSS and JS it links (Stripe.js excluded). Targets (issue 3): at most 50 KB per step, and a
median latency at most 1.5 times the bare endpoint's.
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

from flask import Flask
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from checkout import create_app, migrate

STEPS = ["amount", "details", "method", "review"]


def serve(app: Flask) -> str:
    """Serve `app` on a free loopback port in a daemon thread; return its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


def bare_app() -> Flask:
    """The smallest Flask app: the floor any page's latency is compared with."""
    app = Flask("bare")
    app.add_url_rule("/bare", "bare", lambda: "ok")
    return app


class Browser:
    """A cookie-keeping client that submits forms with their CSRF token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.opener.addheaders = [("Accept-Language", "de-DE")]

    def get(self, path: str) -> bytes:
        with self.opener.open(self.base + path) as response:
            return response.read()

    def submit(self, step: str, fields: dict[str, str]) -> None:
        page = self.get(f"/donate/{step}").decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token, f"no form on {step}"
        notice = re.search(r'name="shown_notice" value="([^"]*)"', page)
        data = {"csrf_token": token.group(1), **fields}
        if notice:
            data["shown_notice"] = notice.group(1)
        body = urllib.parse.urlencode(data).encode()
        self.opener.open(self.base + f"/donate/{step}", data=body).read()


def walk_to_review(browser: Browser) -> None:
    """A German donor's €50 once by SEPA, up to the review page."""
    browser.submit("amount", {"currency": "EUR", "frequency": "once", "amount": "EUR:5000"})
    browser.submit(
        "details",
        {
            "country": "DE",
            "first_name": "Erika",
            "last_name": "Muster",
            "email": "erika@example.org",
            "address_line1": "Ring 1",
            "postcode": "10115",
            "city": "Berlin",
        },
    )
    browser.submit("method", {"method": "sepa_debit"})
    assert b"Lastschrift" in browser.get("/donate/review")


def page_bytes(browser: Browser, path: str) -> int:
    """HTML plus every linked stylesheet and script (Stripe.js excluded)."""
    html = browser.get(path)
    total = len(html)
    assets = re.findall(rb'<link rel="stylesheet" href="([^"]+)"|<script src="([^"]+)"', html)
    for css, js in assets:
        url = (css or js).decode()
        if "stripe" not in url and url.startswith("/"):
            total += len(browser.get(url))
    return total


def timings(fetch, requests: int) -> list[float]:
    """Seconds per request for `requests` sequential requests (after a warm-up)."""
    for _ in range(20):
        fetch()
    result = []
    for _ in range(requests):
        start = time.perf_counter()
        fetch()
        result.append(time.perf_counter() - start)
    return result


def percentile(values: list[float], share: float) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * share))]


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log per request
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.sqlite3"
        migrate.upgrade(url)
        app = create_app(
            {"DATABASE_URL": url, "WIZARD_RATE_LIMIT": "100000 per minute"}, environ={}
        )
        browser = Browser(serve(app))
        bare = Browser(serve(bare_app()))
        walk_to_review(browser)
        bare_times = timings(lambda: bare.get("/bare"), args.requests)
        base_p50 = statistics.median(bare_times)
        print(f"{'page':<10} {'bytes':>8} {'p50 ms':>8} {'p95 ms':>8} {'p50/bare':>9}")
        print(
            f"{'bare':<10} {'':>8} {base_p50 * 1000:8.2f} "
            f"{percentile(bare_times, 0.95) * 1000:8.2f} {1.0:9.2f}"
        )
        for step in STEPS:
            path = f"/donate/{step}"
            size = page_bytes(browser, path)
            times = timings(lambda path=path: browser.get(path), args.requests)
            p50 = statistics.median(times)
            print(
                f"{step:<10} {size:8d} {p50 * 1000:8.2f} {percentile(times, 0.95) * 1000:8.2f}"
                f" {p50 / base_p50:9.2f}"
            )


if __name__ == "__main__":
    main()
