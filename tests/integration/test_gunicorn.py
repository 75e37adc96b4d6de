"""Production's server, config/gunicorn.conf.py, run for real: its access log has no tokens."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from checkout import migrate
from checkout.paths import PROJECT_ROOT

TOKEN = "gAAAAABnXq" + "x" * 80  # the shape of a link token (Fernet, URL-safe base64)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def gunicorn(tmp_path: Path, workers: int = 1, **variables: str) -> Iterator[tuple[int, Path]]:
    """config/gunicorn.conf.py serving wsgi:app on a free loopback port; (port, its log)."""
    url = f"sqlite:///{tmp_path / 'gunicorn.sqlite3'}"
    migrate.upgrade(url)
    port = free_port()
    environ = {
        **os.environ,
        "DATABASE_URL": url,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
        **variables,
    }
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "wsgi:app"],
            cwd=PROJECT_ROOT,
            env=environ,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).close()
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("gunicorn did not start:\n" + log.read_text())
                time.sleep(0.2)
        yield port, log
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_gunicorns_access_log_keeps_tokens_out(tmp_path: Path) -> None:
    with gunicorn(tmp_path) as (port, log):
        for path in (f"/consent/withdraw/{TOKEN}?lang=de", f"/consent/unsubscribe/{TOKEN}"):
            # Not a real token: 400, and a line in the access log all the same.
            with contextlib.suppress(urllib.error.HTTPError):
                urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5).close()
        time.sleep(0.5)
    written = log.read_text()
    assert "/consent/withdraw/[token]?lang=de" in written, written
    assert TOKEN not in written
    # Each access line carries the request id of the app's own JSON lines.
    assert re.search(
        r"/consent/unsubscribe/\[token\] HTTP/1.1\" 4\d\d .* request_id=[0-9a-f]{16}", written
    )


def healthz(port: int) -> None:
    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).close()


def healthz_count(port: int) -> float:
    """What /metrics says about GET /healthz answered 200, as one scrape sees it."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "checkout_http_requests_total"
        and sample.labels.get("route") == "/healthz"
    )


def test_metrics_add_up_every_gunicorn_process(tmp_path: Path) -> None:
    """Two processes answer; any of them scraped reports the requests of both."""
    shared = tmp_path / "metrics"
    shared.mkdir()
    (shared / "counter_999999999.db").write_bytes(b"")  # a process long gone, from before
    with gunicorn(tmp_path, workers=2, PROMETHEUS_MULTIPROC_DIR=str(shared)) as (port, _log):
        assert not (shared / "counter_999999999.db").exists()
        with ThreadPoolExecutor(8) as pool:  # at once: one process alone cannot take them all
            list(pool.map(lambda _: healthz(port), range(80)))
        pids = {path.name.rsplit("_", 1)[-1] for path in shared.glob("counter_*.db")}
        assert len(pids) == 2, pids  # both processes counted requests
        scrapes = {healthz_count(port) for _ in range(6)}
    assert scrapes == {81.0}  # the start-up probe and 80 more, whichever process answers
