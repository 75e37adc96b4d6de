"""Where the project's folders are, independent of the working directory."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"
TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"
TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def project_path(value: str | Path) -> Path:
    """Resolve a configured path: absolute stays, relative is taken from the project root."""
    path = Path(value)
    return path if path.is_absolute() else PROJECT_ROOT / path
