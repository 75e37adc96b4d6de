"""Limits and counters live in Redis when configured, shared by every web process; Redis down
must not stop donations (each process then counts alone, and /healthz says so)."""

from __future__ import annotations

import json
import logging
import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest
import redis
from flask import Flask

from checkout.counters import Counters
from checkout.paths import PROJECT_ROOT
from tests.wizard_driver import WizardDriver, amount_data, registry_of

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
#: Port 1 on loopback refuses at once: a Redis that is down, without waiting.
DOWN_URL = "redis://127.0.0.1:1/0"
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own in the real Redis; its keys are deleted afterwards."""
    try:
        connection = redis.Redis.from_url(REDIS_URL)
        connection.ping()
    except redis.RedisError as error:
        if IN_CI:
            pytest.fail(f"CI=true and Redis is unreachable at {REDIS_URL}: {error}")
        pytest.skip(f"Redis unreachable at {REDIS_URL}: {error}")
    prefix = f"test-{secrets.token_hex(6)}"
    yield prefix
    for key in connection.scan_iter(f"*{prefix}*"):
        connection.delete(key)


@pytest.fixture
def web_process(bound_apps) -> Callable[..., Flask]:
    """Apps as gunicorn processes would be, inside the test's transaction."""

    def maker(storage: str, prefix: str, **extra) -> Flask:
        return bound_apps(
            RATELIMIT_STORAGE_URI=storage,
            RATELIMIT_KEY_PREFIX=prefix,
            COUNTERS_PREFIX=prefix,
            **extra,
        )

    return maker


def test_two_processes_share_the_wizard_limit_through_redis(web_process, redis_prefix: str) -> None:
    first, second = (
        web_process(REDIS_URL, redis_prefix, WIZARD_RATE_LIMIT="3 per hour") for _ in range(2)
    )
    office = registry_of(first.test_client()).get("DE")
    statuses = []
    for app in (first, second, first, second):
        statuses.append(
            WizardDriver(app.test_client()).post("amount", amount_data(office)).status_code
        )
    assert statuses == [302, 302, 302, 429]


def test_counters_are_shared_and_hold_no_personal_data(redis_prefix: str) -> None:
    one, two = (Counters(REDIS_URL, "k" * 32, prefix=redis_prefix) for _ in range(2))
    assert one.hit("2 per minute", "declines-email", "erika@example.org")
    assert two.hit("2 per minute", "declines-email", "erika@example.org")
    assert not one.hit("2 per minute", "declines-email", "erika@example.org")
    assert two.used("2 per minute", "declines-email", "erika@example.org") == 2
    assert 0 < two.retry_after("2 per minute", "declines-email", "erika@example.org") <= 60
    keys = [key.decode() for key in redis.Redis.from_url(REDIS_URL).scan_iter(f"*{redis_prefix}*")]
    assert keys
    assert not [key for key in keys if "erika" in key or "example.org" in key]


#: Run in a process of its own: Flask-Limiter keeps "the store is down" on its one module-wide
#: instance, which would leak into every later test's app in this process.
_REDIS_DOWN = """
import json, sys
from checkout import create_app, migrate
from checkout.paths import PROJECT_ROOT
from tests.conftest import test_settings
from tests.wizard_driver import WizardDriver, amount_data, registry_of
url, down = sys.argv[1], sys.argv[2]
migrate.upgrade(url)
app = create_app(
    test_settings(url, RATELIMIT_STORAGE_URI=down, WIZARD_RATE_LIMIT="2 per hour"), environ={}
)
client = app.test_client()
office = registry_of(client).get("DE")
statuses = [WizardDriver(client).post("amount", amount_data(office)).status_code for _ in range(3)]
health = client.get("/healthz")
print(json.dumps({"statuses": statuses, "health": [health.status_code, health.json]}))
"""


def test_redis_down_keeps_donations_going_and_healthz_says_degraded(
    tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'down.sqlite3'}"
    ran = subprocess.run(
        [sys.executable, "-c", _REDIS_DOWN, url, DOWN_URL],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    result = json.loads(ran.stdout.strip().splitlines()[-1])
    # The limit still holds, counted in this process's memory.
    assert result["statuses"] == [302, 302, 429]
    status, body = result["health"]
    assert status == 200
    assert body == {"status": "ok", "database": "ok", "ratelimit": "degraded"}
    counters = Counters(DOWN_URL, "k" * 32)
    with caplog.at_level(logging.ERROR, logger="checkout.counters"):
        assert counters.hit("1 per minute", "pay", "203.0.113.9")
        assert not counters.hit("1 per minute", "pay", "203.0.113.9")
    assert counters.degraded
    assert "counting in this process only" in caplog.text
