"""The fonts receipts are set in: vendored TrueType files, cut down to what receipts print.

Donors' names come in any script and the 14 core PDF fonts know only Latin-1, so receipts use
DejaVu Sans (static/fonts), with Droid Sans Fallback for the Chinese, Japanese and Korean
characters DejaVu lacks. Left to itself, fpdf2 reads the whole font file for every document and
subsets it again when it writes the PDF; for DejaVu's 6,000 glyphs that took longer than
everything else in a receipt together. So the work is done once per process:

- each font is cut down, once per set of characters, to the characters a receipt prints
  (receipts whose donors' names hold no unusual characters all share the same small files,
  which, with the fonts' metrics, are also kept for the machine's other processes: see
  `font_cache`);
- each cut-down file is read by fpdf2 once, and every document gets a copy of that font object
  with its own record of the glyphs it uses;
- the font program a PDF embeds (the glyphs one document uses, and always the letters and
  digits, so that most documents use the same set) is made once per set of glyphs and kept,
  compressed; `embeddings` hands it, with the document's own widths, ToUnicode map (what
  makes the text extractable) and CID-to-glyph map, to the PDF writer (`pdf_file`), in place
  of fpdf2's subsetting at output.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import secrets
import shutil
import sys
import tempfile
import threading
import weakref
import zlib
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import Final, Generic, TypeVar

from fontTools import subset as ft_subset
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.fonts import PDFFontDescriptor, SubsetMap, TTFFont

from checkout.paths import STATIC_DIR
from checkout.receipts.font_cache import SHARED_FONT_DIR, SharedFiles

LOG = logging.getLogger(__name__)
_K = TypeVar("_K")
_V = TypeVar("_V")

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
#: Always embedded (if the face has them), whether a document prints them or not: without them
#: a donor's name or address would make most receipts' glyph sets differ (an uppercase "Q", a
#: "x" the legal text lacks, a hyphen in bold), and each new set costs a font program (5 ms a
#: face). This makes a receipt about 3 KB bigger and lets most receipts share a few programs.
_ALWAYS_EMBEDDED: Final = tuple(
    ord(char) for char in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-'.,/&()"
)


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
            return cls.of({chr(code): metrics[glyph][0] * scale for code, glyph in cmap.items()})

    @classmethod
    def of(cls, advances: dict[str, float]) -> _FontFacts:
        return cls(advances, frozenset(advances))

    @classmethod
    def shared(cls, name: str, files: SharedFiles) -> _FontFacts:
        """The facts of font file `name`, from the machine's shared files or read now."""
        made: list[_FontFacts] = []

        def write(path: Path) -> None:
            made.append(cls.read(name))
            path.write_text(json.dumps(made[0].advances), encoding="utf-8")

        path = files.get(FONT_DIR / name, "facts.json", write)
        if made:
            return made[0]
        if path is not None:
            try:
                return cls.of(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError) as error:  # damaged by hand or by the disk
                LOG.warning("ignoring the shared font facts %s: %s", path, error)
        return cls.read(name)


class FontSubsets:
    """Cut-down copies of the vendored fonts, one per set of characters, kept for the process."""

    def __init__(self, capacity: int = 64, shared: Path | None = None) -> None:
        """Up to `capacity` cut-down fonts per process; the facts and the cuts to the common
        characters (what most receipts use) also in folder `shared`, for other processes."""
        self._capacity = capacity
        self._shared = SharedFiles(shared)
        self._faces: OrderedDict[tuple[str, frozenset[str]], _Face] = OrderedDict()
        self._facts: dict[str, _FontFacts] = {}
        self._lock = threading.Lock()
        self._folder: Path | None = None
        self._pid = os.getpid()

    def add_to(self, pdf: FPDF, text: str) -> None:
        """Add the faces (and the fallback, if `text` needs it) cut down to `text`'s characters."""
        chars = frozenset(text) - {"\n"}
        with self._lock:
            covered = chars
            for style, name in _FACES.items():
                have = self.facts(name).coverage
                covered &= have
                self._face(name, (chars & have) | _COMMON).add_to(pdf, FAMILY, style)
            extra = frozenset[str]()
            if chars - covered:  # the fallback's big character map is read only when needed
                extra = (chars - covered) & self.facts(_FALLBACK).coverage
            if extra:
                # with a space: fpdf2 reserves code 32 for it in every font it embeds
                self._face(_FALLBACK, extra | {" "}).add_to(pdf, _FALLBACK_FAMILY, "")
                pdf.set_fallback_fonts([_FALLBACK_FAMILY], exact_match=False)
        missing = chars - covered - extra
        if missing:
            LOG.warning("no font has %s; they are left out of the receipt", sorted(missing))

    def facts(self, name: str) -> _FontFacts:
        """Coverage and widths of a vendored font, read once."""
        facts = self._facts.get(name)
        if facts is None:
            facts = self._facts[name] = _FontFacts.shared(name, self._shared)
        return facts

    def _face(self, name: str, chars: frozenset[str]) -> _Face:
        """Font `name` cut down to `chars`, made now or taken from the cache."""
        if self._pid != os.getpid():  # a forked worker: the parent's folder is not ours
            self._faces.clear()
            self._folder, self._pid = None, os.getpid()
        key = (name, chars)
        face = self._faces.get(key)
        if face is not None:
            self._faces.move_to_end(key)
            return face
        source = FONT_DIR / name
        face = None
        if chars == _COMMON:
            shared = self._shared.get(source, "common.ttf", partial(_write_subset, source, chars))
            face = _shared_face(shared) if shared is not None else None
        if face is None:
            path = self._folder_path() / f"{secrets.token_hex(6)}-{name}"
            _write_subset(source, chars, path)
            face = _Face(path)
        self._faces[key] = face
        if len(self._faces) > self._capacity:
            _, oldest = self._faces.popitem(last=False)
            if oldest.path.parent == self._folder:  # this process's own, not a shared one
                oldest.path.unlink(missing_ok=True)
        return face

    def _folder_path(self) -> Path:
        """A private temporary folder, removed when the process ends."""
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="receipt-fonts-"))
            weakref.finalize(self, _remove, self._folder, self._pid)
        return self._folder


def _shared_face(path: Path) -> _Face | None:
    """The face in a shared file, or None (logged) if the file is not whole."""
    try:
        whole = _checksum_holds(path.read_bytes())
    except OSError:
        whole = False
    if not whole:
        LOG.warning("ignoring the shared font %s: damaged (its checksum fails)", path)
        return None
    return _Face(path)


def _checksum_holds(data: bytes) -> bool:
    """TrueType's check of a whole file: its 32-bit big-endian words add up to 0xB1B0AFBA
    (the head table's checkSumAdjustment makes them, and fontTools sets it on saving)."""
    words = array("I", data + bytes(-len(data) % 4))
    assert words.itemsize == 4  # C's unsigned int: 32 bits on every platform we run on
    if sys.byteorder == "little":
        words.byteswap()
    return sum(words) & 0xFFFFFFFF == 0xB1B0AFBA


def _remove(folder: Path, owner: int) -> None:
    """Remove the font folder at exit, but only in the process that made it."""
    if os.getpid() == owner:
        shutil.rmtree(folder, ignore_errors=True)


class _Face:
    """One cut-down font file, read by fpdf2 once; its programs per set of glyphs, made once.

    Documents get copies of the font object fpdf2 made from the file (`add_to`): they share
    what is read from the file (metrics, character map, descriptor) and record the glyphs they
    use in a subset map of their own.
    """

    def __init__(self, path: Path, kept: int = 128) -> None:
        self.path = path
        self._data = path.read_bytes()
        scratch = FPDF()
        scratch.add_font("face", "", str(path))
        font = scratch.fonts["face"]
        assert isinstance(font, TTFFont)
        font.close()  # everything a document needs was read; the file is not opened again
        self._font = font
        # The codes every document's subset starts with, picked once: copies of this map
        # begin each document's (picking seventy codes for every font of every PDF cost more).
        self._first_codes = SubsetMap(font)
        for code in _ALWAYS_EMBEDDED:
            if code in font.cmap:
                self._first_codes.pick(code)
        # A program takes about 5 KB, an embedding 1 to 2 KB; `kept` of each covers the letters
        # beyond those always embedded (ä, ł, ñ ...) that a day's donors' names combine.
        self._programs: _Kept[frozenset[str], _Program] = _Kept(kept)
        # A document's embedding follows from the characters it picked and their codes; most
        # receipts pick the same ones in the same order, so most share an embedding.
        self._embeddings: _Kept[tuple[tuple[object, int], ...], FontEmbedding] = _Kept(kept)

    def add_to(self, pdf: FPDF, family: str, style: str) -> None:
        """Add this face to `pdf` as `family` in `style`, as `pdf.add_font` would."""
        font = _DocumentFont.__new__(_DocumentFont)
        for slot in TTFFont.__slots__:
            if hasattr(self._font, slot):
                setattr(font, slot, getattr(self._font, slot))
        font.face = self
        font.i = len(pdf.fonts) + 1
        font.fontkey = f"{family.lower()}{style}"
        font.emphasis = type(self._font.emphasis).coerce(style)
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font.subset = _subset_copy(self._first_codes, font)
        font.codes = {}
        pdf.fonts[font.fontkey] = font

    def embedding(self, font: _DocumentFont) -> FontEmbedding:
        """What a PDF embeds for this face as `font` used it in its document."""
        picked = font.subset._char_id_per_glyph
        key = tuple((glyph.unicode, code) for glyph, code in picked.items() if glyph is not None)
        return self._embeddings.get(key, lambda: self._embed(font))

    def _embed(self, font: _DocumentFont) -> FontEmbedding:
        used = sorted((code, glyph) for glyph, code in font.subset.items() if glyph is not None)
        glyphs = frozenset(glyph.glyph_name for _code, glyph in used)
        program = self._programs.get(glyphs, lambda: _Program.make(self._data, glyphs))
        return FontEmbedding(
            name=f"{program.tag}+{font.name}",
            widths=_widths((code, glyph.glyph_width) for code, glyph in used),
            to_unicode=_to_unicode([(code, glyph.unicode) for code, glyph in used]),
            cid_to_gid=_cid_to_gid(
                [(code, program.glyph_ids[glyph.glyph_name]) for code, glyph in used]
            ),
            program=program,
            descriptor=font.desc,
        )


class _Kept(Generic[_K, _V]):
    """The last `capacity` values made, by key. A value is made outside the lock: two threads
    may make the same one at once, and one of the two (equal) values is kept."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._values: OrderedDict[_K, _V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: _K, make: Callable[[], _V]) -> _V:
        """The value kept for `key`, or `make()`'s, kept from now on."""
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
                return value
        value = make()
        with self._lock:
            self._values[key] = value
            if len(self._values) > self._capacity:
                self._values.popitem(last=False)
        return value


def _subset_copy(subset: SubsetMap, font: TTFFont) -> SubsetMap:
    """A copy of `subset` for `font`, as if `font` had picked the same codes in the same order
    (fpdf2's SubsetMap keeps them in three attributes: glyph to code, next code, reserved)."""
    copied = SubsetMap.__new__(SubsetMap)
    copied.font = font
    copied._next = subset._next
    copied._reserved = list(subset._reserved)
    copied._char_id_per_glyph = dict(subset._char_id_per_glyph)
    return copied


class _DocumentFont(TTFFont):
    """A document's copy of a `_Face`'s font (see `_Face.add_to`), with the codes it picked."""

    __slots__ = ("codes", "face")
    face: _Face
    codes: dict[str, tuple[str, float]]


def font_codes(font: TTFFont) -> dict[str, tuple[str, float]]:
    """The document's record of each character drawn in `font`: its code (as a character) and
    width, looked up faster than through fpdf2's cached `SubsetMap.pick` (a fresh record for
    a font not from `FontSubsets`)."""
    return font.codes if isinstance(font, _DocumentFont) else {}


@dataclass(frozen=True, slots=True)
class _Program:
    """A font program for embedding: compressed, its length, and its glyph ids by name."""

    compressed: bytes
    length: int
    glyph_ids: dict[str, int]
    tag: str  # the subset's six-letter prefix to the font's name (ISO 32000-1, 9.6.4)

    @classmethod
    def make(cls, data: bytes, glyphs: frozenset[str]) -> _Program:
        """Subset the font file `data` to `glyphs` and save it."""
        options = ft_subset.Options()
        options.notdef_outline = True
        options.recommended_glyphs = True
        # The names fontTools keeps by default (the copyright notice among them), as fpdf2
        # embedded them; the licence text would add kilobytes to every receipt.
        options.hinting = False
        options.layout_features = []  # no shaping: fpdf2 does not use the layout tables
        options.drop_tables += ["FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "meta", "kern"]
        with TTFont(io.BytesIO(data), lazy=True, recalcTimestamp=False) as font:
            font.recalcBBoxes = False  # the cut-down file's boxes are right: no re-encoding
            subsetter = ft_subset.Subsetter(options)
            subsetter.populate(glyphs=sorted(glyphs))
            subsetter.subset(font)
            glyph_ids = {name: font.getGlyphID(name) for name in glyphs}
            saved = io.BytesIO()
            font.save(saved)
        program = saved.getvalue()
        digest = hashlib.sha256(program).digest()
        tag = "".join(chr(ord("A") + byte % 26) for byte in digest[:6])
        return cls(zlib.compress(program), len(program), glyph_ids, tag)


@dataclass(frozen=True, slots=True)
class FontEmbedding:
    """What a PDF embeds for one document font, shown through Identity-H (ISO 32000-1, 9.7,
    9.10.3): the subset's name, the widths of the codes used (the W array), the ToUnicode CMap
    and CID-to-glyph map (compressed), the font program and the face's descriptor."""

    name: str
    widths: str
    to_unicode: bytes
    cid_to_gid: bytes
    program: _Program
    descriptor: PDFFontDescriptor


def embeddings(pdf: FPDF) -> list[tuple[int, FontEmbedding]]:
    """Each font of `pdf` with its number (/F1, /F2 ...), ready to embed; refuses a font that
    is not from `FontSubsets` (fpdf2 would subset, and so change, the faces documents share)."""
    found: list[tuple[int, FontEmbedding]] = []
    for font in sorted(pdf.fonts.values(), key=lambda font: font.i):
        if not isinstance(font, _DocumentFont):
            raise ValueError(f"font {font.fontkey} is not from FontSubsets")
        if font.missing_glyphs:
            LOG.warning("font %s lacks %d characters", font.name, len(font.missing_glyphs))
        found.append((font.i, font.face.embedding(font)))
        font.subset.pick.cache_clear()  # fpdf2's caches hold on to the document's fonts
        font.subset.get_glyph.cache_clear()
    return found


def _widths(widths: Iterable[tuple[int, int]]) -> str:
    """The W array: each run of consecutive codes as `first [w1 w2 ...]` (ISO 32000-1, 9.7.4.3)."""
    runs: list[tuple[int, list[int]]] = []
    for code, width in widths:
        if runs and runs[-1][0] + len(runs[-1][1]) == code:
            runs[-1][1].append(width)
        else:
            runs.append((code, [width]))
    return "[" + " ".join(f"{first} [{' '.join(map(str, ws))}]" for first, ws in runs) + "]"


def _cid_to_gid(glyph_ids: list[tuple[int, int]]) -> bytes:
    """The CIDToGIDMap stream, compressed: for each code (CID) used, its glyph in the program.

    Two bytes per CID up to the highest one used (ISO 32000-1, 9.7.4.2; a reader maps CIDs past
    the end to glyph 0): a document's codes are numbered from 1, so a few hundred bytes rather
    than the 128 KB a map of all 65,536 CIDs takes, which cost a millisecond to compress for
    every font of every receipt.
    """
    size = max((code for code, _glyph in glyph_ids), default=0) + 1
    cid_to_gid = bytearray(2 * size)
    for code, glyph in glyph_ids:
        cid_to_gid[2 * code : 2 * code + 2] = glyph.to_bytes(2)
    return zlib.compress(bytes(cid_to_gid))


def _to_unicode(chars: list[tuple[int, object]]) -> bytes:
    """A ToUnicode CMap from two-byte codes to the text they show (ISO 32000-1, 9.10.3),
    compressed."""
    pairs = [
        f"<{code:04X}> <{''.join(chr(c) for c in text).encode('utf-16-be').hex().upper()}>"
        for code, text in chars
        if code and isinstance(text, tuple) and text
    ]
    blocks = [
        f"{len(pairs[start : start + 100])} beginbfchar\n"
        + "\n".join(pairs[start : start + 100])
        + "\nendbfchar\n"
        for start in range(0, len(pairs), 100)  # at most 100 entries a block
    ]
    cmap = (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        + "".join(blocks)
        + "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
    )
    return zlib.compress(cmap.encode("ascii"))


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


SUBSETS: Final = FontSubsets(shared=SHARED_FONT_DIR)


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
