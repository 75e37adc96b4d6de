"""The architecture's import rules, checked on the source: who may import what."""

from __future__ import annotations

from pathlib import Path

import checkout
from tests.standin.test_import_boundary import imports_in

ROOT = Path(checkout.__file__).parent
GATEWAY = ROOT / "payments" / "stripe_gateway.py"


def production_files() -> list[Path]:
    """Every module of the app itself (the test infrastructure in checkout/testing aside)."""
    return [p for p in sorted(ROOT.rglob("*.py")) if p.relative_to(ROOT).parts[0] != "testing"]


def package_of(path: Path) -> str:
    return ".".join(path.relative_to(ROOT.parent).parts[:-1])


def importers_of(prefix: str) -> set[Path]:
    found = set()
    for path in production_files():
        names = imports_in(path.read_text(encoding="utf-8"), package_of(path))
        if any(name == prefix or name.startswith(prefix + ".") for name in names):
            found.add(path)
    return found


def test_only_the_gateway_imports_stripe() -> None:
    assert importers_of("stripe") == {GATEWAY}


def test_services_never_touch_the_request() -> None:
    services = [p for p in production_files() if p.name == "services.py"]
    assert len(services) >= 3
    for path in services:
        names = imports_in(path.read_text(encoding="utf-8"), package_of(path))
        flask_names = {n for n in names if n == "flask" or n.startswith("flask.")}
        assert not flask_names & {"flask.request", "flask.session", "flask.g"}, path


def test_core_is_pure_python() -> None:
    for path in (ROOT / "core").glob("*.py"):
        names = imports_in(path.read_text(encoding="utf-8"), package_of(path))
        assert not [n for n in names if n.split(".")[0] in {"flask", "sqlalchemy", "stripe"}], path
