"""The fonts receipts are set in: vendored TrueType files, cut down to what receipts print.

Donors' names come in any script and the 14 core PDF fonts know only Latin-1, so receipts use
DejaVu Sans (static/fonts), with Droid Sans Fallback for the Chinese, Japanese and Korean
characters DejaVu lacks. fpdf2 parses and subsets the whole font file for every document, which
for DejaVu's 6,000 glyphs took longer than everything else in a receipt together; so each font
is first cut down, once per process and set of characters, to the characters a receipt prints.
Receipts whose donors' names hold no unusual characters all share the same small files.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import tempfile
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

from fontTools import subset as ft_subset
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.fonts import TTFFont

from checkout.paths import STATIC_DIR

LOG = logging.getLogger(__name__)

FONT_DIR: Final = STATIC_DIR / "fonts"
FAMILY: Final = "dejavu"
_FACES: Final = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
_FALLBACK: Final = "DroidSansFallback.ttf"
_FALLBACK_FAMILY: Final = "fallback"
#: Always kept in the cut-down fonts, so that most receipts share one file per face.
_COMMON: Final = frozenset(
    [chr(code) for code in (*range(0x20, 0x7F), *range(0xA0, 0x180))]
    + list("€–—‘’‚“”„…•·§\u202f\u2009")
)
_MM_PER_PT: Final = 25.4 / 72


@dataclass(frozen=True, slots=True)
class _FontFacts:
    """What a vendored font covers, and each character's advance width in 1/1000 em."""

    advances: dict[str, float]
    coverage: frozenset[str]

    @classmethod
    def read(cls, name: str) -> _FontFacts:
        """Read the cmap and horizontal metrics of font file `name`."""
        with TTFont(FONT_DIR / name, lazy=True) as font:
            scale = 1000 / font["head"].unitsPerEm
            metrics = font["hmtx"].metrics
            cmap = font.getBestCmap()
            advances = {chr(code): metrics[glyph][0] * scale for code, glyph in cmap.items()}
            return cls(advances, frozenset(advances))


class FontSubsets:
    """Cut-down copies of the vendored fonts, one per set of characters, kept for the process."""

    def __init__(self, capacity: int = 64) -> None:
        self._capacity = capacity
        self._files: OrderedDict[tuple[str, frozenset[str]], Path] = OrderedDict()
        self._facts: dict[str, _FontFacts] = {}
        self._lock = threading.Lock()
        self._folder: Path | None = None
        self._pid = os.getpid()

    def add_to(self, pdf: FPDF, text: str) -> None:
        """Add the faces (and the fallback, if `text` needs it) cut down to `text`'s characters."""
        chars = frozenset(text) - {"\n"}
        with self._lock:  # add_font opens the file, so no other thread may evict it meanwhile
            covered = chars
            for style, name in _FACES.items():
                have = self.facts(name).coverage
                covered &= have
                _add_font(pdf, FAMILY, style, self._file(name, (chars & have) | _COMMON))
            extra = (chars - covered) & self.facts(_FALLBACK).coverage
            if extra:
                _add_font(pdf, _FALLBACK_FAMILY, "", self._file(_FALLBACK, extra))
                pdf.set_fallback_fonts([_FALLBACK_FAMILY], exact_match=False)
        missing = chars - covered - extra
        if missing:
            LOG.warning("no font has %s; they are left out of the receipt", sorted(missing))

    def facts(self, name: str) -> _FontFacts:
        """Coverage and widths of a vendored font, read once."""
        facts = self._facts.get(name)
        if facts is None:
            facts = self._facts[name] = _FontFacts.read(name)
        return facts

    def _file(self, name: str, chars: frozenset[str]) -> Path:
        """The cut-down copy of font `name` with `chars`, made now or taken from the cache."""
        if self._pid != os.getpid():  # a forked worker: the parent's folder is not ours
            self._files.clear()
            self._folder, self._pid = None, os.getpid()
        key = (name, chars)
        path = self._files.get(key)
        if path is not None:
            self._files.move_to_end(key)
            return path
        path = self._folder_path() / f"{secrets.token_hex(6)}-{name}"
        _write_subset(FONT_DIR / name, chars, path)
        self._files[key] = path
        if len(self._files) > self._capacity:
            _, oldest = self._files.popitem(last=False)
            oldest.unlink(missing_ok=True)
        return path

    def _folder_path(self) -> Path:
        """A private temporary folder, removed when the process ends."""
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="receipt-fonts-"))
            weakref.finalize(self, _remove, self._folder, self._pid)
        return self._folder


def _remove(folder: Path, owner: int) -> None:
    """Remove the font folder at exit, but only in the process that made it."""
    if os.getpid() == owner:
        shutil.rmtree(folder, ignore_errors=True)


def _add_font(pdf: FPDF, family: str, style: str, path: Path) -> None:
    """Add a cut-down font to `pdf`, trusting the bounding boxes it was saved with."""
    pdf.add_font(family, style, str(path))
    font = pdf.fonts[f"{family}{style}"]
    if isinstance(font, TTFFont):
        # Otherwise fontTools decodes and re-encodes every glyph's outline when fpdf2 saves its
        # subset, only to recompute boxes that our subset already holds.
        font.ttfont.recalcBBoxes = False


def _write_subset(source: Path, chars: frozenset[str], target: Path) -> None:
    """Save the glyphs of `chars` from font `source` as a font file `target`."""
    options = ft_subset.Options()
    options.notdef_outline = True
    options.recommended_glyphs = True
    options.layout_features = []  # no shaping: fpdf2 drops GSUB and GPOS anyway
    options.drop_tables += ["FFTM"]  # a FontForge timestamp, which fontTools cannot subset
    options.name_IDs = ["*"]  # keep the copyright and licence notices
    # Hinting only sharpens glyphs on low-resolution screens; without it the embedded fonts
    # are a third smaller: less to subset, compress and encrypt for every receipt.
    options.hinting = False
    with TTFont(source, lazy=True) as font:
        subsetter = ft_subset.Subsetter(options)
        subsetter.populate(unicodes=[ord(char) for char in chars])
        subsetter.subset(font)
        font.save(target)


SUBSETS: Final = FontSubsets()


@lru_cache(maxsize=8192)
def text_width(bold: bool, size_pt: float, text: str) -> float:
    """The width of `text` in millimetres, as drawn in the bold or regular face at `size_pt`.

    Read from the fonts' own metrics, so that wrapping a line measures each word once (fpdf2's
    multi_cell measured the line again for every character); the fallback font's widths count
    for the characters DejaVu lacks.
    """
    face = SUBSETS.facts(_FACES["B" if bold else ""]).advances
    units = 0.0
    for char in text:
        width = face.get(char)
        if width is None:
            width = SUBSETS.facts(_FALLBACK).advances.get(char, 0.0)
        units += width
    return units * size_pt / 1000 * _MM_PER_PT
