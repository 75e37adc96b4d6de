"""What a merge can leave behind unnoticed: conflict markers in committed text files."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from checkout.paths import PROJECT_ROOT

MARKER = re.compile(rb"^(<{7}|>{7}) ", re.MULTILINE)


def test_no_committed_file_holds_a_merge_conflict_marker() -> None:
    git = shutil.which("git")
    if git is None or not (PROJECT_ROOT / ".git").exists():
        pytest.skip("needs a git checkout to list the committed files")
    listed = subprocess.run(
        [git, "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, check=True
    ).stdout
    files = [PROJECT_ROOT / name.decode() for name in listed.split(b"\0") if name]
    marked = [
        str(path.relative_to(PROJECT_ROOT))
        for path in files
        if path.is_file() and MARKER.search(path.read_bytes())
    ]
    assert marked == [], f"merge conflict markers left in {marked}"
