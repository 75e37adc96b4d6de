"""PDF libraries compared on a receipt's text, through their public APIs only (issue 16).

Usage: .venv/bin/python bench/pdf_candidates.py [--documents 40]
       (the fpdf2 rows need `pip install fpdf2` in the virtualenv; they are skipped without it)

Every candidate draws the same text, that of a real German Zuwendungsbestätigung for varied
donors (`content.content_for`), as wrapped paragraphs on an A4 page in DejaVu Sans regular and
bold, and writes it protected against modification with an empty user password:

- fpdf2: `add_font` for each document (fpdf2 has no public way to share a parsed font between
  documents), `multi_cell`, `set_encryption` (AES-128), `output`;
- fpdf2, fonts cut once: the same, on DejaVu files cut once per process with fontTools to a
  fixed character set (Latin, Greek, Cyrillic, punctuation: the same for every donor);
- ReportLab, its own encryption: fonts registered once per process (`registerFont`),
  `StandardEncryption` (RC4-128: ReportLab has no AES);
- ReportLab + pikepdf AES-128 (R4), and + pikepdf AES-256 (R6): the file written plain by
  ReportLab, then encrypted by qpdf through pikepdf.

Prints the median milliseconds per PDF; the chosen path is the receipts' own `render_pdf`,
printed last for comparison (its layout draws more than the paragraphs here).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.receipt_pdfs import FIRST, LAST, document
from checkout.offices import load_registry
from checkout.paths import CONFIG_DIR
from checkout.receipts import content
from checkout.receipts.pdf import render_pdf
from checkout.receipts.typefaces import BOLD, FONT_DIR, REGULAR

FACES = {"": FONT_DIR / f"{REGULAR}.ttf", "B": FONT_DIR / f"{BOLD}.ttf"}
#: What the fixed cut keeps: the same for every donor.
FIXED_SET = [*range(0x20, 0x7F), *range(0xA0, 0x250), *range(0x370, 0x530), *range(0x2000, 0x20B0)]


def paragraphs(names: list[str]) -> list[list[tuple[bool, str]]]:
    """For each donor, the receipt's texts as (bold, text) paragraphs."""
    office = next(o for o in load_registry(CONFIG_DIR / "offices.toml") if o.code == "DE")
    texts = []
    for name in names:
        blocks = content.content_for(document(office, name)).blocks
        texts.append([(isinstance(b, content.Title), t) for b in blocks for t in _texts(b)])
    return texts


def _texts(block: content.Block) -> list[str]:
    if isinstance(block, content.Title | content.Heading | content.Paragraph):
        return [block.text]
    if isinstance(block, content.Fields):
        return [" ".join(row) for row in block.rows]
    if isinstance(block, content.Party):
        return [block.label, *block.lines]
    if isinstance(block, content.Signature):
        return [block.place_and_date, block.name, block.title, block.caption]
    return []


def fpdf2_candidate(faces: dict[str, Path]) -> Callable[[list[tuple[bool, str]]], bytes]:
    from fpdf import FPDF
    from fpdf.enums import AccessPermission

    def render(texts: list[tuple[bool, str]]) -> bytes:
        pdf = FPDF(format="A4", unit="mm")
        for style, path in faces.items():
            pdf.add_font("dejavu", style, str(path))
        pdf.add_page()
        for bold, text in texts:
            pdf.set_font("dejavu", "B" if bold else "", 9.5)
            pdf.multi_cell(0, 4.6, text or " ", new_x="LMARGIN", new_y="NEXT")
        pdf.set_encryption(
            owner_password="owner",  # noqa: S106  (a bench: no document is kept)
            permissions=AccessPermission.PRINT_HIGH_RES | AccessPermission.COPY,
            encryption_method="AES_128",
        )
        return bytes(pdf.output())

    return render


def cut_fonts(folder: Path) -> dict[str, Path]:
    """DejaVu cut once to FIXED_SET with fontTools' public subsetter."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    cut = {}
    for style, path in FACES.items():
        font = TTFont(path)
        options = subset.Options()
        options.layout_features = []
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=FIXED_SET)
        subsetter.subset(font)
        cut[style] = folder / path.name
        font.save(cut[style])
    return cut


def reportlab_candidate(encrypt: str) -> Callable[[list[tuple[bool, str]]], bytes]:
    import pikepdf
    from reportlab.lib import pdfencrypt
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen.canvas import Canvas

    for name in (REGULAR, BOLD):
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / f"{name}.ttf")))

    def render(texts: list[tuple[bool, str]]) -> bytes:
        own = None
        if encrypt == "own":
            own = pdfencrypt.StandardEncryption("", "owner", canModify=0, strength=128)
        out = io.BytesIO()
        canvas = Canvas(out, pagesize=A4, encrypt=own, pageCompression=1)
        y = 800.0
        for bold, text in texts:
            face = BOLD if bold else REGULAR
            canvas.setFont(face, 9.5)
            for line in simpleSplit(text, face, 9.5, 480):
                canvas.drawString(57, y, line)
                y -= 13
        canvas.showPage()
        canvas.save()
        if encrypt == "own":
            return out.getvalue()
        allow = pikepdf.Permissions(modify_other=False, modify_form=False, modify_annotation=False)
        strength = {"aes128": {"R": 4}, "aes256": {"R": 6}}[encrypt]
        with pikepdf.open(io.BytesIO(out.getvalue())) as pdf:
            protected = io.BytesIO()
            pdf.save(protected, encryption=pikepdf.Encryption(owner="o", allow=allow, **strength))
            return protected.getvalue()

    return render


def median_ms(render: Callable[[object], bytes], inputs: list[object]) -> float:
    render(inputs[0])  # warm: fonts registered, modules imported
    timings = []
    for item in inputs:
        started = time.perf_counter()
        render(item)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=40)
    args = parser.parse_args()
    names = [f"{FIRST[n % len(FIRST)]} {LAST[n * 7 % len(LAST)]}" for n in range(args.documents)]
    texts: list[object] = list(paragraphs(names))
    rows: list[tuple[str, Callable[[object], bytes]]] = []
    try:
        import fpdf  # noqa: F401

        rows.append(("fpdf2 (add_font per document)", fpdf2_candidate(FACES)))  # type: ignore[arg-type]
        folder = Path(tempfile.mkdtemp())
        rows.append(("fpdf2, fonts cut once", fpdf2_candidate(cut_fonts(folder))))  # type: ignore[arg-type]
    except ImportError:
        print("fpdf2 is not installed: its rows are skipped (pip install fpdf2)")
    for label, kind in (
        ("ReportLab, own RC4-128", "own"),
        ("ReportLab + pikepdf AES-128", "aes128"),
        ("ReportLab + pikepdf AES-256", "aes256"),
    ):
        rows.append((label, reportlab_candidate(kind)))  # type: ignore[arg-type]
    office = next(o for o in load_registry(CONFIG_DIR / "offices.toml") if o.code == "DE")
    receipts: list[object] = [document(office, name) for name in names]
    print(f"{'candidate':<36} {'ms per PDF (median)':>20}")
    for label, render in rows:
        print(f"{label:<36} {median_ms(render, texts):20.1f}")
    chosen = median_ms(render_pdf, receipts)  # type: ignore[arg-type]
    print(f"{'chosen: receipts render_pdf':<36} {chosen:20.1f}")


if __name__ == "__main__":
    main()
