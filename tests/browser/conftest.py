"""Browser tests: the app on a real HTTP server, driven in Debian's chromium by Playwright.

Playwright cannot download its own browsers here, so it launches /usr/bin/chromium through
`executable_path`. Without chromium these tests skip with the reason, except under CI=true,
where a missing browser fails the run.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright
from werkzeug.serving import make_server

from checkout import create_app, migrate
from checkout.payments.credentials import standin_keys
from checkout.payments.events import APPLY_EVENT
from checkout.payments.wiring import OFFICES_KEY
from checkout.testing.stripe_standin.pytest_plugin import RunningStandin
from tests.conftest import test_settings
from tests.outbox_support import WorkerThread

IN_CI = os.environ.get("CI", "").lower() == "true"
# Flags that keep chromium off the network this machine does not have, and quiet as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything in this folder is a browser test."""
    for item in items:
        if "tests/browser" in str(item.path):
            item.add_marker(pytest.mark.browser)


@dataclass
class LiveServer:
    """The app served over HTTP on a free loopback port."""

    app: Flask
    base_url: str

    def url(self, path: str) -> str:
        """An absolute URL on this server."""
        return self.base_url + path


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app on its own SQLite file (a server thread cannot share a test's transaction)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'live.sqlite3'}"
    migrate.upgrade(url)
    app = create_app(test_settings(url, WIZARD_RATE_LIMIT="10000 per minute"), environ={})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(app, app.config["PUBLIC_BASE_URL"])
    server.shutdown()
    thread.join(timeout=5)


@dataclass
class PayingServer(LiveServer):
    """A live server wired to the Stripe stand-in, which sends it signed webhooks."""

    standin: RunningStandin


@pytest.fixture(scope="session")
def paying_server(
    tmp_path_factory: pytest.TempPathFactory, stripe_standin: RunningStandin
) -> Iterator[PayingServer]:
    """The app talking to the session's stand-in, every office's webhooks registered to it.

    Session-scoped on purpose: each office uses the shared stand-in account of
    `standin_keys(code)`, and the stand-in cannot unregister an endpoint, so registering once
    per session keeps one delivery per event and none to a server that has stopped. Events of
    other tests on those accounts reach this app too; it answers 200 to objects it does not know.
    """
    url = f"sqlite:///{tmp_path_factory.mktemp('paying') / 'paying.sqlite3'}"
    migrate.upgrade(url)
    settings = test_settings(
        url,
        STRIPE_API_BASE=stripe_standin.base_url,
        STRIPE_JS_URL=stripe_standin.base_url + "/v3/",
        STRIPE_MAX_NETWORK_RETRIES=0,
        WIZARD_RATE_LIMIT="10000 per minute",
        PAY_RATE_LIMIT="10000 per minute",
    )
    app = create_app(settings, environ={})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = base_url  # links and Stripe's return address
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    for office in app.extensions[OFFICES_KEY]:
        keys = standin_keys(office.code)
        stripe_standin.control.register_webhook(
            keys.secret_key, f"{base_url}/webhooks/stripe/{office.code}", keys.webhook_secret
        )
    # The webhook stores events; a worker beside the server applies them, as in the demo.
    worker = WorkerThread(app, [APPLY_EVENT]).start()
    yield PayingServer(app, base_url, stripe_standin)
    server.shutdown()
    thread.join(timeout=5)
    worker.stop()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """Debian's chromium, started once per run."""
    path = shutil.which("chromium")
    if path is None:
        if IN_CI:
            pytest.fail("CI=true but chromium is not installed (.ci/run installs it)")
        pytest.skip("Debian's chromium is not installed: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(chromium: Browser) -> Iterator[Callable[..., Page]]:
    """Open a page as a donor whose browser speaks `locale`, at `width` pixels.

    Every page is watched for Content-Security-Policy violations (Chromium reports each one on
    the console): a test whose pages broke the policy fails, so each browser test also proves
    that what it did works under the headers production sends.
    """
    contexts = []
    violations: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    def opener(locale: str = "en-GB", width: int = 1024) -> Page:
        context = chromium.new_context(locale=locale, viewport={"width": width, "height": 900})
        context.set_default_timeout(10_000)
        context.on("console", watch)
        contexts.append(context)
        return context.new_page()

    yield opener
    for context in contexts:
        context.close()
    assert not violations, violations
