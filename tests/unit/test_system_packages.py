"""`make test` installs Debian's chromium and qpdf when it can, and says loudly when it cannot
(tests/system_packages.sh, run here with stand-in commands on an otherwise empty PATH)."""

from __future__ import annotations

import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "system_packages.sh"
BASH = "/bin/bash"


def fake(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text(f"#!{BASH}\n{body}\n")
    path.chmod(0o755)


def run(folder: Path, **environ: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BASH, str(SCRIPT)],
        env={"PATH": str(folder), **environ},
        capture_output=True,
        text=True,
        check=False,
    )


def test_as_root_it_installs_what_is_missing(tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    fake(tmp_path, "id", "echo 0")
    fake(tmp_path, "apt-get", f'echo "$@" >> {calls}')
    fake(tmp_path, "qpdf", "true")  # already there: not installed again
    done = run(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert calls.read_text().splitlines() == ["update -qq", "install -y -qq chromium"]
    assert "SKIPPED" not in done.stdout


def test_without_root_or_sudo_it_names_the_tests_it_skips(tmp_path: Path) -> None:
    fake(tmp_path, "id", "echo 1000")
    done = run(tmp_path)
    assert done.returncode == 0
    assert "Tests that will be SKIPPED (no root, no password-less sudo" in done.stdout
    assert "the browser tests (tests/browser)" in done.stdout
    assert "the independent PDF checks (tests/unit/test_receipt_pdf.py)" in done.stdout
    assert run(tmp_path, CI="true").returncode == 1  # CI must run them all


def test_with_everything_there_it_does_nothing(tmp_path: Path) -> None:
    for name in ("chromium", "qpdf"):
        fake(tmp_path, name, "true")
    fake(tmp_path, "apt-get", "exit 99")
    done = run(tmp_path)
    assert (done.returncode, done.stdout) == (0, "")
