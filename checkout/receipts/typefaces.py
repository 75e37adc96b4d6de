"""The fonts receipts are set in, registered with ReportLab once per process.

Donors' names come in any script and the 14 standard PDF fonts know only Latin-1, so receipts
use DejaVu Sans (static/fonts), with Droid Sans Fallback for the Chinese, Japanese and Korean
characters DejaVu lacks. ReportLab reads a font file once, when it is registered
(`pdfmetrics.registerFont`), and cuts each document's subset itself when it writes that
document; its per-document record of the characters used is dropped once the document is
written. What is kept here for the process is the same for every donor: the registered faces
and the set of characters each face covers (read with fontTools). The fallback face is
registered only when a receipt first needs it: its character map is large.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Final

from fontTools.ttLib import TTFont as FontFile
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from checkout.paths import STATIC_DIR

LOG = logging.getLogger(__name__)

FONT_DIR: Final = STATIC_DIR / "fonts"
REGULAR: Final = "DejaVuSans"
BOLD: Final = "DejaVuSans-Bold"
FALLBACK: Final = "DroidSansFallback"


@cache
def covered(face: str) -> frozenset[int]:
    """The code points `face` draws; registers the face with ReportLab on first use."""
    path = FONT_DIR / f"{face}.ttf"
    pdfmetrics.registerFont(TTFont(face, str(path)))
    with FontFile(path, lazy=True) as font:
        return frozenset(font.getBestCmap())


def runs(text: str, face: str) -> list[tuple[str, str]]:
    """`text` cut into (face, piece) runs: `face` where it has the character, else the fallback.

    A character neither face has stays with `face` (a reader shows an empty box); only their
    number is logged, since the text may be a donor's name.
    """
    own = covered(face)
    if text.isascii() or all(ord(char) in own for char in text):  # DejaVu has all of ASCII
        return [(face, text)] if text else []
    pieces: list[tuple[str, str]] = []
    missing = 0
    for char in text:
        chosen = face
        if ord(char) not in own and not char.isspace():
            if ord(char) in covered(FALLBACK):
                chosen = FALLBACK
            else:
                missing += 1
        if pieces and pieces[-1][0] == chosen:
            pieces[-1] = (chosen, pieces[-1][1] + char)
        else:
            pieces.append((chosen, char))
    if missing:
        LOG.warning("receipt text: %d characters no receipt font has", missing)
    return pieces


def width(text: str, face: str, size: float) -> float:
    """The width of `text` in points, each run in the face that draws it."""
    return sum(float(pdfmetrics.stringWidth(piece, name, size)) for name, piece in runs(text, face))
