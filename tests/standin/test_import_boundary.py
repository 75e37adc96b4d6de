"""Production code never imports the stand-in: an AST scan of checkout/ outside testing/."""

from __future__ import annotations

import ast
from pathlib import Path

import checkout

ROOT = Path(checkout.__file__).parent


def imports_in(source: str, package: str) -> list[str]:
    """Every module `source` imports, relative imports resolved against `package`."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found += [base] + [f"{base}.{alias.name}" for alias in node.names]
    return found


def _package_of(path: Path) -> str:
    """The dotted package a file belongs to (checkout/payments/x.py -> checkout.payments)."""
    return ".".join(path.relative_to(ROOT.parent).parts[:-1])


def _is_standin(name: str) -> bool:
    """Tell whether a module name is the test infrastructure."""
    return name == "checkout.testing" or name.startswith("checkout.testing.")


def test_nothing_outside_checkout_testing_imports_it() -> None:
    production = [
        p for p in sorted(ROOT.rglob("*.py")) if p.relative_to(ROOT).parts[0] != "testing"
    ]
    assert len(production) > 10
    offenders = [
        f"{path.relative_to(ROOT.parent)} imports {name}"
        for path in production
        for name in imports_in(path.read_text(encoding="utf-8"), _package_of(path))
        if _is_standin(name)
    ]
    assert offenders == []


def test_the_scan_catches_absolute_and_relative_imports() -> None:
    absolute = imports_in("import checkout.testing.stripe_standin.app\n", "checkout.payments")
    relative = imports_in("from ..testing import stripe_standin\n", "checkout.payments")
    dynamic_free = imports_in("from checkout.core import money\n", "checkout.payments")
    assert any(_is_standin(n) for n in absolute)
    assert "checkout.testing.stripe_standin" in relative
    assert not any(_is_standin(n) for n in dynamic_free)
