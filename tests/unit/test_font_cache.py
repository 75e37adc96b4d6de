"""Font facts and common cuts are prepared by the first process and read by the others."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fpdf import FPDF

from checkout.receipts import fonts
from checkout.receipts.font_cache import SharedFiles, source_digest
from checkout.receipts.fonts import FontSubsets, _FontFacts

COMMON_TEXT = "Anna Müller, Ring 1, 10115 Berlin: 25,00 €"


def counting(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[object]:
    """Record each call of `owner.name` (which still runs)."""
    calls: list[object] = []
    real: Callable[..., Any] = getattr(owner, name)

    def recorded(*args: Any) -> Any:
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(owner, name, recorded)
    return calls


def test_a_second_process_reads_what_the_first_prepared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = FontSubsets(shared=tmp_path)
    first.add_to(FPDF(), COMMON_TEXT)
    kept = sorted(path.name.rsplit(".", 2)[-2] for path in tmp_path.iterdir())
    assert kept == ["common", "common", "facts", "facts"]  # regular and bold

    cuts = counting(monkeypatch, fonts, "_write_subset")
    reads = counting(monkeypatch, _FontFacts, "read")
    second = FontSubsets(shared=tmp_path)  # as in another process: nothing in memory
    page = FPDF()
    second.add_to(page, COMMON_TEXT)
    assert (cuts, reads) == ([], [])
    assert set(page.fonts) == {"dejavu", "dejavuB"}
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        assert second.facts(name) == _FontFacts.read(name)


def test_unusual_characters_are_cut_per_process_not_kept(tmp_path: Path) -> None:
    FontSubsets(shared=tmp_path).add_to(FPDF(), "Ἀλέξανδρος 山田")  # beyond the common set
    kept = {path.name.rsplit(".", 2)[-2] for path in tmp_path.iterdir()}
    assert kept == {"facts"}, "the metrics only: these cuts are for this process alone"


def test_without_a_writable_folder_each_process_prepares_its_own(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    subsets = FontSubsets(shared=blocked / "font-cache")
    page = FPDF()
    with caplog.at_level(logging.INFO, logger="checkout.receipts.font_cache"):
        subsets.add_to(page, COMMON_TEXT)
    assert set(page.fonts) == {"dejavu", "dejavuB"}
    assert "prepared per process" in caplog.text
    assert blocked.read_text() == "not a folder"


def test_files_are_named_by_the_fonts_content(tmp_path: Path) -> None:
    """A changed font file gives new names: nothing prepared from the old one is read."""
    source = tmp_path / "Face.ttf"
    files = SharedFiles(tmp_path / "shared")
    source.write_bytes(b"one")
    source_digest.cache_clear()
    old = files.get(source, "facts.json", lambda path: path.write_text("old"))
    source.write_bytes(b"two")
    source_digest.cache_clear()  # a new process: the digest is taken again
    new = files.get(source, "facts.json", lambda path: path.write_text("new"))
    assert old is not None and new is not None and old != new
    assert (old.read_text(), new.read_text()) == ("old", "new")
    assert files.get(source, "facts.json", lambda path: path.write_text("again")) == new
    assert new.read_text() == "new"
    assert not [path for path in (tmp_path / "shared").iterdir() if path.name.startswith(".")]


def test_a_failed_preparation_leaves_no_partial_file(tmp_path: Path) -> None:
    source = tmp_path / "Face.ttf"
    source.write_bytes(b"font")
    files = SharedFiles(tmp_path / "shared")

    def half_written(path: Path) -> None:
        path.write_text("half")
        raise ValueError("the font could not be cut")

    with pytest.raises(ValueError, match="could not be cut"):
        files.get(source, "common.ttf", half_written)
    assert list((tmp_path / "shared").iterdir()) == []


def test_damaged_shared_files_are_ignored_not_trusted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    FontSubsets(shared=tmp_path).add_to(FPDF(), COMMON_TEXT)
    for path in tmp_path.iterdir():
        path.write_bytes(path.read_bytes()[:100])  # cut short, as a full disk might leave it
    subsets = FontSubsets(shared=tmp_path)
    page = FPDF()
    with caplog.at_level(logging.WARNING, logger="checkout.receipts.fonts"):
        subsets.add_to(page, COMMON_TEXT)
    assert caplog.text.count("ignoring the shared font") == 4  # two facts, two cuts
    assert set(page.fonts) == {"dejavu", "dejavuB"}
    assert subsets.facts("DejaVuSans.ttf") == _FontFacts.read("DejaVuSans.ttf")
