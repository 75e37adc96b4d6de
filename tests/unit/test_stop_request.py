"""The worker's stop request survives signals arriving at any moment of its idle wait."""

from __future__ import annotations

import subprocess
import sys
import time

from checkout.outbox.stopping import StopRequest
from checkout.paths import PROJECT_ROOT

# Signals every half millisecond while the main thread waits and waits again: a handler that
# takes a lock the interrupted wait holds (as threading.Event.set does) deadlocks here.
STORM = """
import signal, sys, time
from checkout.outbox.stopping import StopRequest
stop = StopRequest()
signal.signal(signal.SIGALRM, lambda _s, _f: stop.request())
signal.setitimer(signal.ITIMER_REAL, 0.0005, 0.0005)
waits, started = 0, time.monotonic()
while time.monotonic() - started < 1.0:
    stop.wait(0.00001)
    stop._requested = False  # wait again, as if no request had come yet
    waits += 1
signal.setitimer(signal.ITIMER_REAL, 0)
print(waits)
"""


def test_a_storm_of_signals_during_waits_never_deadlocks() -> None:
    done = subprocess.run(
        [sys.executable, "-c", STORM],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout) > 100


def test_a_request_ends_a_wait_at_once_even_one_made_before_it() -> None:
    stop = StopRequest()
    try:
        assert not stop.is_set()
        started = time.monotonic()
        stop.wait(0.05)
        assert time.monotonic() - started >= 0.04, "no request: the whole timeout"
        stop.request()
        stop.request()  # twice is fine
        started = time.monotonic()
        stop.wait(30)
        assert stop.is_set()
        assert time.monotonic() - started < 5
    finally:
        stop.close()
