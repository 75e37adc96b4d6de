"""The notice lock: a text changed under a released version stops the app before it serves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checkout import create_app
from checkout.consent import notice_lock
from checkout.core.errors import ConfigurationError
from checkout.offices import load_registry
from checkout.paths import CONFIG_DIR

OFFICES_TOML = CONFIG_DIR / "offices.toml"
LOCK = CONFIG_DIR / "notices.lock"
GERMAN_NOTICE_START = "Deine Spende geht an IJM Deutschland, unser Büro in Deutschland."


def edited_offices(tmp_path: Path, *, new_version: str | None = None) -> Path:
    """A copy of the offices file whose German data-transfer text says something else."""
    text = OFFICES_TOML.read_text(encoding="utf-8")
    assert GERMAN_NOTICE_START in text
    text = text.replace(GERMAN_NOTICE_START, "Deine Spende geht an IJM Deutschland (geändert).")
    if new_version:
        head = '[offices.DE.notices.data_transfer]\nversion = "2026-11-01"'
        assert head in text
        text = text.replace(head, f'[offices.DE.notices.data_transfer]\nversion = "{new_version}"')
    path = tmp_path / "offices.toml"
    path.write_text(text, encoding="utf-8")
    return path


def app_with(offices: Path, lock: Path, **extra: object):
    settings = {"OFFICES_FILE": str(offices), "NOTICE_LOCK_FILE": str(lock), "TESTING": True}
    return create_app({**settings, **extra}, environ={})


def test_the_committed_lock_covers_every_configured_notice() -> None:
    registry = load_registry(OFFICES_TOML)
    lock = notice_lock.read_lock(LOCK)
    assert notice_lock.conflicts(registry, lock) == []
    assert notice_lock.unlocked(registry, lock) == [], "run `flask --app wsgi consent lock-notices`"


def test_a_text_changed_under_its_released_version_stops_the_app(tmp_path) -> None:
    with pytest.raises(ConfigurationError) as refused:
        app_with(edited_offices(tmp_path), LOCK)
    assert "DE/data_transfer/de/2026-11-01" in str(refused.value)
    assert "new version" in str(refused.value)


def test_a_changed_text_with_a_new_version_starts_and_is_locked_beside_the_old(tmp_path) -> None:
    lock = tmp_path / "notices.lock"
    lock.write_bytes(LOCK.read_bytes())
    app = app_with(edited_offices(tmp_path, new_version="2027-01-15"), lock)
    result = app.test_cli_runner().invoke(args=["consent", "lock-notices"])
    assert result.exit_code == 0, result.output
    assert "4 new texts locked" in result.output  # every language of the new version
    entries = json.loads(lock.read_text(encoding="utf-8"))["notices"]
    assert "DE/data_transfer/de/2026-11-01" in entries  # the old version stays resolvable
    assert entries["DE/data_transfer/de/2027-01-15"] == notice_lock.text_digest(
        load_registry(tmp_path / "offices.toml").get("DE").notices["data_transfer"].text("de")
    )


def test_production_refuses_a_version_that_was_never_locked(tmp_path) -> None:
    registry = load_registry(edited_offices(tmp_path, new_version="2027-01-15"))
    notice_lock.check_lock(registry, LOCK, require_complete=False)  # development: fine
    with pytest.raises(ConfigurationError, match="DE/data_transfer/de/2027-01-15: not in"):
        notice_lock.check_lock(registry, LOCK, require_complete=True)


def test_locking_never_rewrites_a_released_text(tmp_path) -> None:
    registry = load_registry(edited_offices(tmp_path))
    with pytest.raises(ConfigurationError, match="DE/data_transfer/de/2026-11-01"):
        notice_lock.locked(registry, notice_lock.read_lock(LOCK))


@pytest.mark.parametrize("content", ["not json", '{"notices": ["a"]}', '{"notices": {"k": 1}}'])
def test_a_damaged_lock_file_is_a_clear_error(tmp_path, content) -> None:
    lock = tmp_path / "notices.lock"
    lock.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"notices\.lock"):
        notice_lock.read_lock(lock)
