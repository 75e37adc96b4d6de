"""The package builds without setuptools' warnings and ships its data: migrations, compiled
catalogues, the stand-in's Stripe.js (built with pip from a copy of the sources)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from checkout.paths import PROJECT_ROOT

SOURCES = ("setup.cfg", "pyproject.toml", "README.md", "checkout")


def test_the_wheel_builds_quietly_with_its_data(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        origin = PROJECT_ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(tmp_path), "."],
        cwd=source,
        capture_output=True,
        text=True,
        check=False,
    )
    output = built.stdout + built.stderr
    assert built.returncode == 0, output[-3000:]
    assert "BuildBackendWarning" not in output, output[-3000:]
    assert "SetuptoolsDeprecationWarning" not in output
    [wheel] = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "checkout/migrations/env.py" in names
    assert "checkout/migrations/script.py.mako" in names
    assert "checkout/migrations/versions/0001_checkout_drafts.py" in names
    assert "checkout/testing/stripe_standin/static/stripe.js" in names
    for language in ("de", "fr", "nl"):
        assert f"checkout/translations/{language}/LC_MESSAGES/messages.po" in names
        assert f"checkout/translations/{language}/LC_MESSAGES/messages.mo" in names
    assert not [name for name in names if "__pycache__" in name]
