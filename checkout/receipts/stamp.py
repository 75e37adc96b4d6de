"""A void receipt shown again: a copy of the stored PDF stamped VOID on every page.

The stored original stays as it was sent (its SHA-256 is kept beside it). What staff or the
donor download later is this copy: the stamp, drawn by ReportLab on a page of its own, laid
over each page of the original by pikepdf (qpdf), and the copy protected as receipts are.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Final

import pikepdf
from babel.dates import format_date
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from checkout.receipts import content, typefaces
from checkout.receipts import wording as w
from checkout.receipts.pdf import protect

_RED: Final = (0.75, 0.1, 0.1)


def stamp_text(kind: str, language: str, voided_on: date, replacement: str | None) -> str:
    """The stamp's words, e.g. "VOID since 12 May 2026 · replaced by DE-2026-000130"."""
    locales = content.LOCALES[kind]
    language = language if language in locales else next(iter(locales))
    texts = w.COMMON[language]
    when = format_date(voided_on, "long", locale=locales[language])
    words = texts["void_stamp"].format(date=when)
    if replacement:
        words += " · " + texts["void_replaced_by"].format(number=replacement)
    return words


def stamped_void(pdf: bytes, words: str, issued_on: date) -> bytes:
    """A protected copy of `pdf` with VOID across every page and `words` along its top."""
    stamp = pikepdf.open(io.BytesIO(_stamp_page(words)))
    with pikepdf.open(io.BytesIO(pdf)) as original, stamp:
        for page in original.pages:
            page.add_overlay(stamp.pages[0], pikepdf.Rectangle(page.mediabox))
        out = io.BytesIO()
        original.save(out)
    return protect(out.getvalue(), issued_on)


def _stamp_page(words: str) -> bytes:
    """An A4 page holding only the stamp: a large VOID across it, the words at its top."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=1)
    typefaces.covered(typefaces.BOLD)  # registered
    canvas.saveState()
    canvas.setFillColorRGB(*_RED, alpha=0.35)
    canvas.translate(A4[0] / 2, A4[1] / 2)
    canvas.rotate(35)
    canvas.setFont(typefaces.BOLD, 120)
    canvas.drawCentredString(0, -40, "VOID")
    canvas.restoreState()
    canvas.setFillColorRGB(*_RED)
    size = 11.0
    while typefaces.width(words, typefaces.BOLD, size) > A4[0] - 60 and size > 6:
        size -= 0.5
    text = canvas.beginText(30, A4[1] - 26)
    for face, piece in typefaces.runs(words, typefaces.BOLD):
        text.setFont(face, size)
        text.textOut(piece)
    canvas.drawText(text)
    canvas.showPage()
    canvas.save()
    return out.getvalue()
