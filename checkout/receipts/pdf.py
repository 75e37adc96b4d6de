"""A ReceiptDocument as a write-protected A4 PDF: one page, plus an annex for a statement.

`render_pdf` lays out the blocks `content.content_for` produces, in DejaVu Sans (see `fonts`),
with all text selectable; `pdf_file` writes the file. The PDF is encrypted with an empty user
password (anyone can open, print and copy the text) and an owner password that is never kept,
with permissions that forbid modification, annotations, form filling and page assembly. The
cipher is AES-128 (PDF 1.6, which every current reader opens), through the `cryptography`
package (`pdf_security`). Against editing the cipher matters little, since what protects the
receipt is the permission flags that readers honour.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, time
from functools import lru_cache, partial
from typing import Final

from fpdf import FPDF
from fpdf.drawing_primitives import DeviceCMYK, DeviceGray, DeviceRGB
from fpdf.enums import AccessPermission, Align, XPos, YPos
from fpdf.fonts import TTFFont

from checkout.receipts import content as c
from checkout.receipts.document import ReceiptDocument
from checkout.receipts.fonts import FAMILY, SUBSETS, font_codes, text_width
from checkout.receipts.pdf_file import ProtectedPDF, ReceiptOutput
from checkout.receipts.pdf_security import Protection

#: Everything a reader may do except change the document.
PERMISSIONS: Final = (
    AccessPermission.PRINT_LOW_RES
    | AccessPermission.PRINT_HIGH_RES
    | AccessPermission.COPY
    | AccessPermission.COPY_FOR_ACCESSIBILITY
)

#: The owner password of this process's PDFs: random, never stored or shown. It only guards
#: the permissions above, and nobody needs it: a receipt is never changed, only replaced.
_OWNER_PASSWORD: Final = secrets.token_urlsafe(24)

# Layout, in millimetres and points.
_MARGIN: Final = 20.0
_LABEL_WIDTH: Final = 62.0
_AMOUNT_WIDTH: Final = 32.0
_INK: Final = (33, 37, 41)
_MUTED: Final = (96, 102, 112)
_RULE: Final = (205, 210, 217)
_BODY: Final = 9.5
_SMALL: Final = 7.8


class _ReceiptPDF(ProtectedPDF):
    """An A4 page with a quiet footer: the receipt number, how to reach us, the page."""

    def __init__(self, document: ReceiptDocument, footer: str, pages: int) -> None:
        super().__init__(format="A4", unit="mm")
        self._document = document
        self._footer = footer
        self.expected_pages = pages

    def footer(self) -> None:
        """Number, contact and page ("1/2") at the foot of every page.

        A page's footer is drawn before the next page exists, so the total is the one the
        layout expects (`_expected_pages`); `render_pdf` lays out again if it was wrong. (fpdf2's
        total-pages alias would know it, but only lines without it take the fast `_write_line`.)
        """
        self.set_y(-14)
        _style(self, size=_SMALL, color=_MUTED)
        text = f"{self._document.number} · {self._footer} · {self.page_no()}/{self.expected_pages}"
        width = self.w - self.r_margin - self.x
        if not _write_line(self, text, width, 4, Align.C):
            self.cell(width, 4, text, align=Align.C)

    def file_id(self) -> str:
        """An identifier from the receipt's number and date, not the clock: same input, same PDF."""
        seed = f"{self._document.number}|{self._document.issued_on.isoformat()}"
        digest = hashlib.md5(seed.encode(), usedforsecurity=False).hexdigest().upper()
        return f"<{digest}><{digest}>"


def render_pdf(document: ReceiptDocument, *, owner_password: str | None = None) -> bytes:
    """The receipt as PDF bytes: A4, text selectable, modification forbidden.

    Without `owner_password` the process's own random one is used (never kept anywhere; one
    per process, so that its O value is computed once, see `pdf_security`). Two renderings of
    the same document differ in their encryption (AES starts each string and stream with a
    random initialisation vector), not in what they show: a receipt is rendered once and
    stored.
    """
    what = c.content_for(document)
    pdf = _laid_out(document, what, _expected_pages(what))
    if pdf.pages_count != pdf.expected_pages:  # text ran over a page: number them again
        pdf = _laid_out(document, what, pdf.pages_count)
    pdf.protection = Protection(owner_password or _OWNER_PASSWORD, int(PERMISSIONS))
    return bytes(pdf.output(output_producer_class=ReceiptOutput))


def _expected_pages(what: c.Content) -> int:
    """The pages the content asks for: one, and one more after each page break."""
    return 1 + sum(isinstance(block, c.PageBreak) for block in what.blocks)


def _laid_out(document: ReceiptDocument, what: c.Content, pages: int) -> _ReceiptPDF:
    """The pages drawn, footers numbered "n/`pages`" (the last one at output)."""
    pdf = _ReceiptPDF(document, what.footer, pages)
    SUBSETS.add_to(pdf, _all_text(what, document))
    _set_up(pdf, document, what)
    for block in what.blocks:
        _draw(pdf, block)
    return pdf


def _all_text(what: c.Content, document: ReceiptDocument) -> str:
    """Every character the PDF will print, so the fonts can be cut down to them."""
    parts = [what.footer, document.number, "0123456789/ ·"]  # the page numbers too
    for block in what.blocks:
        parts.extend(_texts(block))
    return "".join(parts)


def _texts(block: c.Block) -> list[str]:
    """The strings in one block."""
    if isinstance(block, c.Title | c.Heading | c.Paragraph):
        return [block.text]
    if isinstance(block, c.Fields):
        return [text for row in block.rows for text in row]
    if isinstance(block, c.Party):
        return [block.label, *block.lines]
    if isinstance(block, c.Table):
        return [*block.columns, *(text for row in block.rows for text in row), *block.total]
    if isinstance(block, c.Signature):
        return [block.place_and_date, block.name, block.title, block.caption]
    return []


def _set_up(pdf: FPDF, document: ReceiptDocument, what: c.Content) -> None:
    """Page, margins, metadata and a creation date from the issue date."""
    pdf.set_margins(_MARGIN, 18, _MARGIN)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_creation_date(datetime.combine(document.issued_on, time(0), tzinfo=UTC))
    pdf.set_lang(what.language)
    pdf.set_title(what.title)
    pdf.set_author(document.issuer.legal_name)
    pdf.set_creator("donation-checkout")
    pdf.add_page()


def _style(
    pdf: FPDF, *, size: float = _BODY, bold: bool = False, color: tuple[int, ...] = _INK
) -> None:
    """Font size, weight and colour for what comes next."""
    pdf.set_font(FAMILY, "B" if bold else "", size)
    pdf.set_text_color(*color)


def _gap(pdf: FPDF, height: float) -> None:
    """Vertical space."""
    pdf.ln(height)


def _text(pdf: FPDF, text: str, line: float, width: float = 0, align: Align = Align.L) -> None:
    """Text wrapped to `width` (the rest of the line if 0), one cell per line, from here down."""
    x = pdf.get_x()
    width = width or pdf.w - pdf.r_margin - x
    for row in _wrap(pdf, text, width):
        pdf.set_x(x)
        if not _write_line(pdf, row, width, line, align):
            pdf.cell(width, line, row, align=align, new_x=XPos.LEFT, new_y=YPos.NEXT)


def _write_line(pdf: FPDF, row: str, width: float, line: float, align: Align) -> bool:
    """Write one line as `pdf.cell(width, line, row, align=align, new_x=LEFT, new_y=NEXT)`
    does, operator for operator, when that line needs none of what makes `cell` slow; False
    (nothing written) when it does.

    `cell` splits the text into styled fragments, looks for fallback fonts, handles borders,
    links, underlining and word spacing; a receipt's lines need none of that, and about thirty
    `cell` calls were a third of its PDF's time. Lines with a character the current face lacks
    (a name in another script), a page-number alias, or that would break the page go
    through `cell`. `tests/unit/test_receipt_pdf.py` checks both write the same operators.
    """
    font, color = pdf.current_font, pdf.text_color
    if (
        not isinstance(font, TTFFont)
        or color is None
        or color == pdf.fill_color  # `cell` would set no colour and write no q ... Q
        or font.is_symbol
        or not row  # `cell` writes nothing for it
        or pdf.str_alias_nb_pages in row
        or pdf.will_page_break(line)
    ):
        return False
    known = font_codes(font)
    codes, units = [], 0.0
    for char in row:
        code_and_width = known.get(char)
        if code_and_width is None:
            unicode = ord(char)
            if unicode not in font.glyph_ids:
                return False
            code_and_width = known[char] = (chr(font.subset.pick(unicode) or 0), font.cw[unicode])
        codes.append(code_and_width[0])
        units += code_and_width[1]
    text_width = units * pdf.font_size_pt * 0.001 / pdf.k
    if align == Align.R:
        dx = width - pdf.c_margin - text_width
    elif align == Align.C:
        dx = (width - text_width) / 2
    else:
        dx = pdf.c_margin
    if not pdf.current_font_is_set_on_page:  # set_font only notes the font; text sets it
        pdf._out(pdf._set_font_for_page(font, pdf.font_size_pt))
    k = pdf.k
    baseline = pdf.h - pdf.y - 0.5 * line - 0.3 * pdf.font_size
    pdf._out(
        f"q BT {(pdf.x + dx) * k:.2f} {baseline * k:.2f} Td {_fill_operator(color)}"
        f" ({font.escape_text(''.join(codes))}) Tj ET Q"
    )
    pdf._lasth = line
    pdf.y += line
    return True


@lru_cache(maxsize=16)
def _fill_operator(color: DeviceRGB | DeviceGray | DeviceCMYK) -> str:
    """The operator that sets `color` for text, as `cell` writes it."""
    return color.serialize().lower()


def _wrap(pdf: FPDF, text: str, width: float) -> list[str]:
    """Break `text` into lines no wider than `width` in the current font, at spaces.

    fpdf2's multi_cell measures each candidate line again for every character it adds, which
    made the long legal paragraphs the slowest part of a receipt; without kerning a line is as
    wide as its words and spaces, so each word is measured once (and cached across receipts).
    """
    measure = partial(text_width, "B" in pdf.font_style, pdf.font_size_pt)
    space = measure(" ")
    lines: list[str] = []
    words: list[str] = []
    used = 0.0
    for word in text.split(" "):
        size = measure(word)
        if words and used + space + size > width:
            lines.append(" ".join(words))
            words, used = [], 0.0
        if size > width:  # a word longer than a line (an e-mail address): cut it anywhere
            *pieces, word = _cut(measure, word, width)
            lines.extend(pieces)
            size = measure(word)
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


def _draw(pdf: FPDF, block: c.Block) -> None:
    """Lay one block out below the previous one."""
    if isinstance(block, c.Title):
        _draw_title(pdf, block)
    elif isinstance(block, c.Heading):
        _gap(pdf, 2.5)
        _style(pdf, size=10.5, bold=True)
        _text(pdf, block.text, 5.2)
        _gap(pdf, 1)
    elif isinstance(block, c.Paragraph):
        _draw_paragraph(pdf, block)
    elif isinstance(block, c.Fields):
        _draw_fields(pdf, block)
    elif isinstance(block, c.Party):
        _draw_party(pdf, block)
    elif isinstance(block, c.Table):
        _draw_table(pdf, block)
    elif isinstance(block, c.Signature):
        _draw_signature(pdf, block)
    elif isinstance(block, c.PageBreak):
        pdf.add_page()


def _draw_title(pdf: FPDF, block: c.Title) -> None:
    """The title, between two thin rules."""
    _gap(pdf, 2)
    _rule(pdf)
    _gap(pdf, 2.5)
    _style(pdf, size=11.5 if len(block.text) > 80 else 14, bold=True)
    _text(pdf, block.text, 5.4 if len(block.text) > 80 else 7)
    _gap(pdf, 2)
    _rule(pdf)
    _gap(pdf, 3)


def _draw_paragraph(pdf: FPDF, block: c.Paragraph) -> None:
    """Running text; small print in grey."""
    if block.small:
        _style(pdf, size=_SMALL, color=_MUTED)
        _text(pdf, block.text, 3.5)
        _gap(pdf, 1.5)
        return
    _style(pdf, bold=block.bold)
    _text(pdf, block.text, 4.6)
    _gap(pdf, 2.2)


def _draw_fields(pdf: FPDF, block: c.Fields) -> None:
    """Label (grey) and value side by side, one row each."""
    for label, value in block.rows:
        top = pdf.get_y()
        _style(pdf, size=8.5, color=_MUTED)
        _text(pdf, label, 4.6, width=_LABEL_WIDTH - 3)
        bottom = pdf.get_y()
        pdf.set_xy(_MARGIN + _LABEL_WIDTH, top)
        _style(pdf)
        _text(pdf, value, 4.6)
        pdf.set_y(max(pdf.get_y(), bottom) + 0.6)
    _gap(pdf, 2)


def _draw_party(pdf: FPDF, block: c.Party) -> None:
    """A name and address: the label small, the name bold."""
    if block.label:
        _style(pdf, size=_SMALL, color=_MUTED)
        _text(pdf, block.label, 3.6)
    name, *rest = block.lines
    _style(pdf, size=11 if not block.label else _BODY, bold=True)
    _text(pdf, name, 5)
    _style(pdf, size=8.8)
    for line in rest:
        _text(pdf, line, 4.1)
    _gap(pdf, 3)


def _draw_table(pdf: FPDF, block: c.Table) -> None:
    """Gifts in rows; the amount column right-aligned; the total bold under a rule."""
    others = len(block.columns) - 1
    width = (pdf.epw - _AMOUNT_WIDTH) / others
    widths = (*([width] * others), _AMOUNT_WIDTH)
    _style(pdf, size=_SMALL, bold=True, color=_MUTED)
    _row(pdf, block.columns, widths, 3.6)
    _rule(pdf)
    _style(pdf, size=9)
    for row in block.rows:
        _row(pdf, row, widths, 4.8)
    _rule(pdf)
    _style(pdf, size=9, bold=True)
    _row(pdf, block.total, widths, 5.2)
    _gap(pdf, 2)


def _row(pdf: FPDF, cells: tuple[str, ...], widths: tuple[float, ...], line: float) -> None:
    """One table row; cells wrap, the row is as tall as its tallest cell."""
    top, bottom = pdf.get_y(), pdf.get_y()
    x = pdf.l_margin
    for index, (text, width) in enumerate(zip(cells, widths, strict=True)):
        pdf.set_xy(x, top)
        align = Align.R if index == len(cells) - 1 else Align.L
        _text(pdf, text, line, width=width - 2, align=align)
        bottom = max(bottom, pdf.get_y())
        x += width
    pdf.set_xy(pdf.l_margin, bottom + 0.8)


def _draw_signature(pdf: FPDF, block: c.Signature) -> None:
    """Place and date, the signatory's name and title over a line, and the caption."""
    _gap(pdf, 2)
    _style(pdf)
    _text(pdf, block.place_and_date, 4.6)
    _gap(pdf, 1)
    _style(pdf, bold=True)
    _text(pdf, block.name, 4.6)
    _style(pdf, size=8.8)
    _text(pdf, block.title, 4.2)
    pdf.set_draw_color(*_RULE)
    pdf.line(_MARGIN, pdf.get_y() + 1, _MARGIN + 85, pdf.get_y() + 1)
    _gap(pdf, 1.8)
    if block.caption:
        _style(pdf, size=_SMALL, color=_MUTED)
        _text(pdf, block.caption, 3.6)
    _gap(pdf, 2.5)


def _rule(pdf: FPDF) -> None:
    """A thin grey line across the page."""
    pdf.set_draw_color(*_RULE)
    pdf.set_line_width(0.25)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
