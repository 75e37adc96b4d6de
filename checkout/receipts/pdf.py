"""A ReceiptDocument as a write-protected A4 PDF: one page, plus an annex for a statement.

ReportLab draws the blocks `content.content_for` produces, through its public canvas API, in
the faces `typefaces` registers once per process; all text is selectable. pikepdf (qpdf) then
protects the file: AES-128 with an empty user password (anyone can open, print and copy the
text) and a random owner password that is never kept, with permissions that forbid
modification, annotations, form filling and page assembly. What protects a receipt is the
permission flags readers honour and the SHA-256 we keep of the bytes sent.

Layout is two steps: `_Layout` places every line on its page (so each footer can say "1/2"),
then `_paint` draws the pages. Outside production every page carries a SPECIMEN mark.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Final

import pikepdf
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from checkout.receipts import content as c
from checkout.receipts import typefaces
from checkout.receipts.document import ReceiptDocument

#: Everything a reader may do except change the document.
PERMISSIONS: Final = pikepdf.Permissions(
    accessibility=True,
    extract=True,
    print_lowres=True,
    print_highres=True,
    modify_annotation=False,
    modify_assembly=False,
    modify_form=False,
    modify_other=False,
)
SPECIMEN: Final = "SPECIMEN"

# Layout, in millimetres (sizes in points).
_PAGE_W, _PAGE_H = A4[0] / mm, A4[1] / mm
_MARGIN: Final = 20.0
_TOP: Final = 18.0
_BOTTOM: Final = 20.0
_TEXT_W: Final = _PAGE_W - 2 * _MARGIN
_LABEL_WIDTH: Final = 62.0
_AMOUNT_WIDTH: Final = 32.0
_PAD: Final = 1.0  # space between a cell's edge and its text
_INK: Final = (33, 37, 41)
_MUTED: Final = (96, 102, 112)
_RULE: Final = (205, 210, 217)
_BODY: Final = 9.5
_SMALL: Final = 7.8


@dataclass(frozen=True, slots=True)
class _Style:
    size: float = _BODY
    bold: bool = False
    color: tuple[int, int, int] = _INK

    @property
    def face(self) -> str:
        return typefaces.BOLD if self.bold else typefaces.REGULAR

    def width(self, text: str) -> float:
        """The width of `text` in millimetres."""
        return typefaces.width(text, self.face, self.size) / float(mm)


@dataclass(frozen=True, slots=True)
class _Line:
    """A line of text whose baseline starts at (x, y), in mm from the page's top left."""

    x: float
    y: float
    text: str
    style: _Style


@dataclass(frozen=True, slots=True)
class _Rule:
    x1: float
    x2: float
    y: float


@dataclass
class _Page:
    lines: list[_Line] = field(default_factory=list)
    rules: list[_Rule] = field(default_factory=list)


def render_pdf(document: ReceiptDocument, *, specimen: bool = False) -> bytes:
    """The receipt as PDF bytes: A4, text selectable, modification forbidden.

    `specimen` marks every page SPECIMEN (every PDF made outside production). Two renderings
    of the same document differ in their encryption (a random owner password and AES's random
    initialisation vectors), not in what they show: a receipt is rendered once and stored.
    """
    what = c.content_for(document)
    layout = _Layout()
    for block in what.blocks:
        _draw(layout, block)
    footer = f"{document.number} · {what.footer}"
    return protect(_paint(layout.pages, footer, what, document, specimen), document.issued_on)


def protect(pdf: bytes, issued_on: date) -> bytes:
    """`pdf` encrypted (AES-128) so that it opens without a password and cannot be changed,
    dated `issued_on` (not the clock: the same document gives the same content)."""
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        stamp = pikepdf.String(f"D:{issued_on:%Y%m%d}000000Z")
        opened.docinfo[pikepdf.Name.CreationDate] = stamp
        opened.docinfo[pikepdf.Name.ModDate] = stamp
        out = io.BytesIO()
        opened.save(out, encryption=_encryption())
        return out.getvalue()


def _encryption() -> pikepdf.Encryption:
    """A fresh owner password each time: nobody needs it, a receipt is replaced, not edited."""
    owner = secrets.token_urlsafe(24)
    return pikepdf.Encryption(owner=owner, user="", R=4, aes=True, allow=PERMISSIONS)


class _Layout:
    """Lines placed from the top of the first page down, a new page when one is full."""

    def __init__(self) -> None:
        self.pages: list[_Page] = [_Page()]
        self.y = _TOP

    def gap(self, height: float) -> None:
        self.y += height

    def new_page(self) -> None:
        self.pages.append(_Page())
        self.y = _TOP

    def room_for(self, height: float) -> None:
        """Start a new page unless `height` more fits on this one."""
        if self.y + height > _PAGE_H - _BOTTOM:
            self.new_page()

    def text(
        self,
        text: str,
        style: _Style,
        line: float,
        *,
        x: float = _MARGIN,
        width: float = _TEXT_W,
        right: bool = False,
    ) -> None:
        """`text` wrapped to `width` from `x`, one line each `line` mm; right-aligned if asked."""
        for row in _wrap(style, text, width):
            self.room_for(line)
            shift = width - style.width(row) if right else 0.0
            baseline = self.y + 0.5 * line + 0.3 * style.size * 25.4 / 72
            self.pages[-1].lines.append(_Line(x + shift, baseline, row, style))
            self.y += line

    def rule(self, x1: float = _MARGIN, x2: float = _PAGE_W - _MARGIN) -> None:
        self.pages[-1].rules.append(_Rule(x1, x2, self.y))


def _wrap(style: _Style, text: str, width: float) -> list[str]:
    """Break `text` into lines no wider than `width` mm, at spaces (a longer word is cut)."""
    space = style.width(" ")
    lines: list[str] = []
    words: list[str] = []
    used = 0.0
    for word in text.split(" "):
        size = style.width(word)
        if words and used + space + size > width:
            lines.append(" ".join(words))
            words, used = [], 0.0
        if size > width:  # a word longer than a line (an e-mail address): cut it anywhere
            *pieces, word = _cut(style.width, word, width)
            lines.extend(pieces)
            size = style.width(word)
        used += size + (space if words else 0.0)
        words.append(word)
    lines.append(" ".join(words))
    return lines


def _cut(measure: Callable[[str], float], word: str, width: float) -> list[str]:
    """Cut one over-long word into pieces that fit `width`."""
    pieces = [""]
    for char in word:
        if pieces[-1] and measure(pieces[-1] + char) > width:
            pieces.append("")
        pieces[-1] += char
    return pieces


def _draw(layout: _Layout, block: c.Block) -> None:
    """Place one block below the previous one."""
    if isinstance(block, c.Title):
        _draw_title(layout, block)
    elif isinstance(block, c.Heading):
        layout.gap(2.5)
        layout.text(block.text, _Style(10.5, bold=True), 5.2)
        layout.gap(1)
    elif isinstance(block, c.Paragraph):
        _draw_paragraph(layout, block)
    elif isinstance(block, c.Fields):
        _draw_fields(layout, block)
    elif isinstance(block, c.Party):
        _draw_party(layout, block)
    elif isinstance(block, c.Table):
        _draw_table(layout, block)
    elif isinstance(block, c.Signature):
        _draw_signature(layout, block)
    elif isinstance(block, c.PageBreak):
        layout.new_page()


def _draw_title(layout: _Layout, block: c.Title) -> None:
    """The title, between two thin rules."""
    long = len(block.text) > 80
    layout.gap(2)
    layout.rule()
    layout.gap(2.5)
    layout.text(block.text, _Style(11.5 if long else 14, bold=True), 5.4 if long else 7)
    layout.gap(2)
    layout.rule()
    layout.gap(3)


def _draw_paragraph(layout: _Layout, block: c.Paragraph) -> None:
    """Running text; small print in grey."""
    if block.small:
        layout.text(block.text, _Style(_SMALL, color=_MUTED), 3.5)
        layout.gap(1.5)
        return
    layout.text(block.text, _Style(bold=block.bold), 4.6)
    layout.gap(2.2)


def _draw_fields(layout: _Layout, block: c.Fields) -> None:
    """Label (grey) and value side by side, one row each."""
    value_x = _MARGIN + _LABEL_WIDTH
    for label, value in block.rows:
        layout.room_for(4.6)
        top = layout.y
        layout.text(label, _Style(8.5, color=_MUTED), 4.6, width=_LABEL_WIDTH - 3)
        bottom, layout.y = layout.y, top
        layout.text(value, _Style(), 4.6, x=value_x, width=_PAGE_W - _MARGIN - value_x)
        layout.y = max(layout.y, bottom) + 0.6
    layout.gap(2)


def _draw_party(layout: _Layout, block: c.Party) -> None:
    """A name and address: the label small, the name bold."""
    if block.label:
        layout.text(block.label, _Style(_SMALL, color=_MUTED), 3.6)
    name, *rest = block.lines
    layout.text(name, _Style(11 if not block.label else _BODY, bold=True), 5)
    for line in rest:
        layout.text(line, _Style(8.8), 4.1)
    layout.gap(3)


def _draw_table(layout: _Layout, block: c.Table) -> None:
    """Gifts in rows; the amount column right-aligned; the total bold under a rule."""
    others = len(block.columns) - 1
    width = (_TEXT_W - _AMOUNT_WIDTH) / others
    widths = (*([width] * others), _AMOUNT_WIDTH)
    _row(layout, block.columns, widths, _Style(_SMALL, bold=True, color=_MUTED), 3.6)
    layout.rule()
    for row in block.rows:
        _row(layout, row, widths, _Style(9), 4.8)
    layout.rule()
    _row(layout, block.total, widths, _Style(9, bold=True), 5.2)
    layout.gap(2)


def _row(
    layout: _Layout, cells: tuple[str, ...], widths: tuple[float, ...], style: _Style, line: float
) -> None:
    """One table row; cells wrap, the row is as tall as its tallest cell."""
    layout.room_for(line)
    top = bottom = layout.y
    x = _MARGIN
    for index, (text, width) in enumerate(zip(cells, widths, strict=True)):
        layout.y = top
        right = index == len(cells) - 1
        layout.text(text, style, line, x=x + _PAD, width=width - 2 * _PAD, right=right)
        bottom = max(bottom, layout.y)
        x += width
    layout.y = bottom + 0.8


def _draw_signature(layout: _Layout, block: c.Signature) -> None:
    """Place and date, the signatory's name and title, a line to sign on, and the caption."""
    layout.room_for(30)  # the signature block stays together
    layout.gap(2)
    layout.text(block.place_and_date, _Style(), 4.6)
    if block.sign_here:
        layout.gap(9)  # room for a handwritten signature
        layout.rule(_MARGIN, _MARGIN + 85)
        layout.gap(1.5)
    else:
        layout.gap(1)
    layout.text(block.name, _Style(bold=True), 4.6)
    layout.text(block.title, _Style(8.8), 4.2)
    layout.gap(1.8)
    if block.caption:
        layout.text(block.caption, _Style(_SMALL, color=_MUTED), 3.6)
    layout.gap(2.5)


def _paint(
    pages: list[_Page], footer: str, what: c.Content, document: ReceiptDocument, specimen: bool
) -> bytes:
    """Draw the laid-out pages, each with its footer (and the SPECIMEN mark if asked)."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1, invariant=1, lang=what.language)
    canvas.setTitle(what.title)
    canvas.setAuthor(document.issuer.legal_name)
    canvas.setCreator("donation-checkout")
    footer_style = _Style(_SMALL, color=_MUTED)
    for number, page in enumerate(pages, start=1):
        if specimen:
            _specimen_mark(canvas)
        for rule in page.rules:
            _line(canvas, rule.x1, rule.x2, rule.y)
        text = f"{footer} · {number}/{len(pages)}"
        x = (_PAGE_W - footer_style.width(text)) / 2
        _write(canvas, [*page.lines, _Line(x, _PAGE_H - 14 + 2.5, text, footer_style)])
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def _write(canvas: Canvas, lines: list[_Line]) -> None:
    """A page's lines in one text object, each run in the face that has its characters."""
    text = canvas.beginText()
    color: tuple[int, int, int] | None = None
    for line in lines:
        if line.style.color != color:
            color = line.style.color
            text.setFillColorRGB(*(part / 255 for part in color))
        text.setTextOrigin(line.x * mm, (_PAGE_H - line.y) * mm)
        for face, piece in typefaces.runs(line.text, line.style.face):
            text.setFont(face, line.style.size)
            text.textOut(piece)
    canvas.drawText(text)


def _line(canvas: Canvas, x1: float, x2: float, y: float) -> None:
    canvas.setStrokeColorRGB(*(part / 255 for part in _RULE))
    canvas.setLineWidth(0.25 * mm)
    canvas.line(x1 * mm, (_PAGE_H - y) * mm, x2 * mm, (_PAGE_H - y) * mm)


def _specimen_mark(canvas: Canvas) -> None:
    """A large pale SPECIMEN across the page, under the text."""
    canvas.saveState()
    canvas.setFillColorRGB(0.85, 0.2, 0.2, alpha=0.18)
    typefaces.covered(typefaces.BOLD)  # registered
    canvas.setFont(typefaces.BOLD, 80)
    canvas.translate(_PAGE_W / 2 * mm, _PAGE_H / 2 * mm)
    canvas.rotate(45)
    canvas.drawCentredString(0, -28, SPECIMEN)
    canvas.restoreState()
