"""The architecture's import rules, checked on the source: who may import what."""

from __future__ import annotations

import subprocess
import sys
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


def test_languages_are_switched_only_through_in_language() -> None:
    # checkout.site.i18n keeps the page's translations on `g`; Flask-Babel's force_locale
    # called directly would leave an email in the page's language.
    assert importers_of("flask_babel.force_locale") == set()


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


#: The app factory, the commands and the schema wire every feature together, so they import
#: them all; they are not features themselves.
WIRING = {"factory", "cli", "schema", "migrations"}


def package_graph() -> dict[str, set[str]]:
    """Top-level package (or module) of checkout -> those it imports."""
    graph: dict[str, set[str]] = {}
    for path in production_files():
        parts = path.relative_to(ROOT).parts
        source = parts[0] if len(parts) > 1 else path.stem
        if source in WIRING:
            continue
        for name in imports_in(path.read_text(encoding="utf-8"), package_of(path)):
            pieces = name.split(".")
            if pieces[0] == "checkout" and len(pieces) > 1 and pieces[1] != source:
                graph.setdefault(source, set()).add(pieces[1])
    return graph


def cycles_in(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Every arrow a -> b where b also leads back to a, directly or through others."""

    def reachable(start: str) -> set[str]:
        seen: set[str] = set()
        stack = [start]
        while stack:
            for target in graph.get(stack.pop(), ()):
                if target not in seen:
                    seen.add(target)
                    stack.append(target)
        return seen

    return sorted((a, b) for a in graph for b in graph[a] if a in reachable(b))


def kind_of(path: Path) -> str:
    """views, services or models by the file's name (`pay_views.py` is views)."""
    for kind in ("views", "services", "models"):
        if path.stem == kind or path.stem.endswith(f"_{kind}"):
            return kind
    return "other"


#: What a module of each kind may not import: arrows point views -> services -> models.
FORBIDDEN = {"models": {"services", "views"}, "services": {"views"}}


def wrong_arrows(paths: list[Path], root: Path) -> list[tuple[str, str]]:
    """(file, imported module) for every import that points up instead of down."""
    wrong = []
    for path in paths:
        forbidden = FORBIDDEN.get(kind_of(path), set())
        package = ".".join(path.relative_to(root.parent).parts[:-1])
        for name in imports_in(path.read_text(encoding="utf-8"), package):
            module = root.parent.joinpath(*name.split(".")).with_suffix(".py")
            if module.is_file() and kind_of(module) in forbidden:
                wrong.append((path.name, name))
    return wrong


def test_no_two_packages_import_each_other_even_through_others() -> None:
    assert not cycles_in(package_graph())


def test_arrows_point_from_views_to_services_to_models() -> None:
    assert not wrong_arrows(production_files(), ROOT)


def test_the_rules_find_what_they_describe(tmp_path: Path) -> None:
    """A cycle through a third package, and a model importing views, are both found."""
    assert cycles_in({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        ("a", "b"),
        ("b", "c"),
        ("c", "a"),
    ]
    package = tmp_path / "checkout" / "gifts"
    package.mkdir(parents=True)
    (package / "views.py").write_text("from checkout.gifts.models import Gift\n")
    (package / "models.py").write_text("from checkout.gifts.views import page\n")
    assert wrong_arrows(sorted(package.glob("*.py")), tmp_path / "checkout") == [
        ("models.py", "checkout.gifts.views")
    ]


def test_one_module_of_the_package_loads_without_the_whole_app() -> None:
    """A process that streams an export (or runs the migrations) imports what it uses: the
    package itself wires nothing until `create_app` is called (a third of the memory)."""
    probe = (
        "import sys; import checkout.finance.exports;"
        " print(sorted(m for m in ('stripe', 'reportlab', 'pygal', 'checkout.factory')"
        " if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT.parent, check=True
    )
    assert result.stdout.strip() == "[]"
