"""Production's server, config/gunicorn.conf.py, run for real: its access log has no tokens."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from checkout import migrate
from checkout.paths import PROJECT_ROOT

TOKEN = "gAAAAABnXq" + "x" * 80  # the shape of a link token (Fernet, URL-safe base64)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_gunicorns_access_log_keeps_tokens_out(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gunicorn.sqlite3'}"
    migrate.upgrade(url)
    port = free_port()
    environ = {
        **os.environ,
        "DATABASE_URL": url,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
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
        for path in (f"/consent/withdraw/{TOKEN}?lang=de", f"/consent/unsubscribe/{TOKEN}"):
            # Not a real token: 400, and a line in the access log all the same.
            with contextlib.suppress(urllib.error.HTTPError):
                urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5).close()
        time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=30)
    written = log.read_text()
    assert "/consent/withdraw/[token]?lang=de" in written, written
    assert TOKEN not in written
