"""Changes to files that follow a database transaction: collected first, applied at the edge.

Erasure rewrites office batch files and deletes stored emails. The database work is done in
a transaction; the files are changed by the command just before it commits, so a dry run
changes none, and a run stopped between the two is repaired by the next (rewriting or deleting
a file again gives the same result).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class FileChanges:
    """Files to write whole and files to delete."""

    writes: dict[Path, bytes] = field(default_factory=dict)
    deletes: set[Path] = field(default_factory=set)

    def merge(self, other: FileChanges) -> None:
        """Add `other`'s changes to these."""
        self.writes.update(other.writes)
        self.deletes |= other.deletes

    def apply(self) -> int:
        """Write and delete; a file already gone counts as deleted. The number of files touched."""
        for path, data in sorted(self.writes.items()):
            write_atomically(path, data)
        for path in sorted(self.deletes):
            path.unlink(missing_ok=True)
        return len(self.writes) + len(self.deletes)


def write_atomically(target: Path, data: bytes) -> None:
    """Replace `target` whole (readable by its owner only): readers never see half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
