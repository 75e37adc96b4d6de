"""gunicorn's server hooks for prometheus_client's multiprocess mode (config/gunicorn.conf.py).

Each process writes its values to files named after its pid in PROMETHEUS_MULTIPROC_DIR. A
process that exits leaves its counters there (they still add up: a counter never goes back);
`child_exit` drops its live gauges, and at start-up the files of processes long gone are
removed, so the folder does not grow with every restart. Files of running processes (the
outbox workers share the folder) are left alone.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from prometheus_client import multiprocess

from checkout.metrics import multiprocess_dir

_PID = re.compile(r"_(\d+)\.db$")


def forget_dead_processes(_server: Any) -> None:
    """Remove the files of processes that no longer run (gunicorn's `on_starting`)."""
    folder = multiprocess_dir()
    if folder is None:
        return
    for path in Path(folder).glob("*.db"):
        found = _PID.search(path.name)
        if found and not _running(int(found.group(1))):
            path.unlink(missing_ok=True)


def metrics_of_exited(_server: Any, worker: Any) -> None:
    """Drop an exited web process's live gauges (gunicorn's `child_exit`)."""
    if multiprocess_dir() is not None:
        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: running
        return True
    return True
