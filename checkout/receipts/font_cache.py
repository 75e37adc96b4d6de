"""Font files prepared once per machine rather than once per process.

Before its first receipt every process read DejaVu's character maps and metrics (0.4 s) and
cut the fonts down to the common characters (0.35 s): with a few workers starting, restarting
after a deploy or running from cron with `--once`, that was more than any receipt cost. Both
depend only on the vendored font files, so they are kept in a folder the machine's processes
share, each named by the SHA-256 of the font file it comes from: a changed font gives new
names and is never read stale. A file is written under a temporary name and renamed, so no
process reads one half-written; if the folder cannot be written, the caller prepares its own
as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import secrets
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Final

from checkout.paths import PROJECT_ROOT

LOG = logging.getLogger(__name__)

#: Next to the app's other instance files (mail in the demo, the SQLite database).
SHARED_FONT_DIR: Final = PROJECT_ROOT / "instance" / "font-cache"


class SharedFiles:
    """Files in `folder` (None: none are shared), made by the first process that needs one."""

    def __init__(self, folder: Path | None) -> None:
        self._folder = folder

    def get(self, source: Path, kind: str, make: Callable[[Path], None]) -> Path | None:
        """The file of `kind` prepared from `source`, made with `make(path)` if it is not there
        yet; None if it cannot be kept (the caller makes its own)."""
        if self._folder is None:
            return None
        target = self._folder / f"{source.stem}.{source_digest(source)}.{kind}"
        if target.exists():
            return target
        scratch = self._folder / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}"
        try:
            self._folder.mkdir(parents=True, exist_ok=True)
            make(scratch)
            os.replace(scratch, target)  # atomic: others see all of it or nothing
        except OSError as error:
            LOG.info("font files are prepared per process: %s cannot be kept (%s)", target, error)
            return None
        finally:
            with contextlib.suppress(OSError):  # left only if making or renaming failed
                scratch.unlink(missing_ok=True)
        return target


@lru_cache(maxsize=16)
def source_digest(source: Path) -> str:
    """The start of the SHA-256 of a font file, read once per process."""
    return hashlib.sha256(source.read_bytes()).hexdigest()[:24]
