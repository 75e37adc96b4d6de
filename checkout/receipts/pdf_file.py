"""The bytes of a receipt's PDF: fpdf2 lays the pages out, this module writes the file.

fpdf2's output stage is general: it makes an object for every dictionary, finds their entries
by introspection and serialises them one value at a time, which took more than half of a
receipt's PDF time. A receipt needs few kinds of objects (ISO 32000-1, 7.7): the page tree
and catalog, pages with their content streams, for each font the five objects of a TrueType
font shown through Identity-H (`fonts.embeddings`), the resources, the document information
and the encryption dictionary. They are written here directly, each string and stream
encrypted with the document's key (`pdf_security`), followed by the cross-reference table.

Documents that use what this writer does not (images, links, annotations, outlines, embedded
files, fonts that are not from `fonts.FontSubsets`) are refused rather than written wrong.
"""

from __future__ import annotations

import secrets
import zlib
from datetime import UTC, datetime

from fpdf import FPDF
from fpdf.enums import PDFResourceType
from fpdf.output import OutputProducer

from checkout.receipts.fonts import FontEmbedding, embeddings
from checkout.receipts.pdf_security import Encryption, Protection


class ProtectedPDF(FPDF):
    """An FPDF written by `ReceiptOutput`, encrypted under `protection`."""

    protection: Protection

    def file_id(self) -> str:
        """The /ID pair as "<hex><hex>" (16 bytes each): random here; receipts derive theirs
        from what they are (see `pdf._ReceiptPDF`)."""
        random = secrets.token_hex(16).upper()
        return f"<{random}><{random}>"


class ReceiptOutput(OutputProducer):
    """`FPDF.output` for a `ProtectedPDF`: fpdf2 finishes the pages (footer, page count), this
    class writes the file."""

    def bufferize(self) -> bytearray:
        pdf = self.fpdf
        if not isinstance(pdf, ProtectedPDF):
            raise TypeError("ReceiptOutput writes ProtectedPDF documents only")
        _refuse_what_is_not_written(pdf)
        file_id = pdf.file_id()
        encryption = Encryption(pdf.protection, bytes.fromhex(file_id[1:33]))
        return _Writer(encryption).document(pdf, file_id)


def _refuse_what_is_not_written(pdf: FPDF) -> None:
    """A ValueError if `pdf` holds something this writer would leave out."""
    catalog = pdf._resource_catalog
    resources = {kind for _page, kind in catalog.resources_per_page} - {PDFResourceType.FONT}
    unwritten = {
        "resources but fonts": resources,
        "graphics states": catalog.graphics_styles,
        "links": pdf.links,
        "embedded files": pdf.embedded_files,
        "outline": pdf._outline,
        "annotations": [page.annots for page in pdf.pages.values() if page.annots],
    }
    found = [name for name, items in unwritten.items() if items]
    if found:
        raise ValueError(f"the receipt writer does not write {', '.join(found)}")


class _Writer:
    """Numbered objects, written in order, then the cross-reference table and trailer."""

    def __init__(self, encryption: Encryption) -> None:
        self._encryption = encryption
        self._bodies: list[bytes] = []  # object n is self._bodies[n - 1]

    def document(self, pdf: FPDF, file_id: str) -> bytearray:
        """The whole file for `pdf`'s pages, fonts and metadata."""
        pages_root, catalog, resources = self._reserve(), self._reserve(), self._reserve()
        pages = [self._page(contents, pages_root, resources) for contents in _contents(pdf)]
        fonts = [(index, self._font(font)) for index, font in embeddings(pdf)]
        width, height = pdf.default_page_dimensions
        kids = " ".join(f"{page} 0 R" for page in pages)
        self._set(
            pages_root,
            f"<</Type /Pages /Kids [{kids}] /Count {len(pages)}"
            f" /MediaBox [0 0 {width:.2f} {height:.2f}]>>",
        )
        font_refs = " ".join(f"/F{index} {number} 0 R" for index, number in fonts)
        self._set(resources, f"<</Font <<{font_refs}>>>>")
        lang = _set_text(pdf, "lang")
        language = f" /Lang {self._string(catalog, lang)}" if lang else ""
        self._set(
            catalog,
            f"<</Type /Catalog /Pages {pages_root} 0 R{language}"
            f" /OpenAction [{pages[0]} 0 R /FitH null] /PageLayout /OneColumn>>",
        )
        info = self._info(pdf)
        encrypt = self._add(self._encryption.dictionary().encode("ascii"))
        return self._file(catalog, info, encrypt, file_id)

    def _reserve(self) -> int:
        """A number for an object written later (`_set`)."""
        self._bodies.append(b"")
        return len(self._bodies)

    def _set(self, number: int, body: str) -> None:
        self._bodies[number - 1] = body.encode("ascii")

    def _add(self, body: bytes) -> int:
        self._bodies.append(body)
        return len(self._bodies)

    def _string(self, number: int, text: str) -> str:
        """A text string of object `number`, encrypted, as hex (ASCII as is, else UTF-16)."""
        data = text.encode("ascii") if text.isascii() else b"\xfe\xff" + text.encode("utf-16-be")
        return f"<{self._encryption.encrypt(number, data).hex().upper()}>"

    def _stream(self, compressed: bytes, entries: str = "") -> int:
        """A Flate-compressed stream object, encrypted."""
        number = len(self._bodies) + 1
        data = self._encryption.encrypt(number, compressed)
        head = f"<</Filter /FlateDecode /Length {len(data)}{entries}>>\nstream\n"
        return self._add(head.encode("ascii") + data + b"\nendstream")

    def _page(self, contents: bytes, pages_root: int, resources: int) -> int:
        """A page and its content stream."""
        page = self._reserve()
        stream = self._stream(zlib.compress(contents))
        self._set(
            page,
            f"<</Type /Page /Parent {pages_root} 0 R /Resources {resources} 0 R"
            f" /Contents {stream} 0 R>>",
        )
        return page

    def _font(self, font: FontEmbedding) -> int:
        """The Type0 font pages use, with its CIDFont, descriptor, program and maps."""
        type0, cid_font = self._reserve(), self._reserve()
        to_unicode = self._stream(font.to_unicode)
        cid_to_gid = self._stream(font.cid_to_gid)
        program = self._stream(font.program.compressed, f" /Length1 {font.program.length}")
        desc = font.descriptor
        descriptor = self._add(
            (
                f"<</Type /FontDescriptor /FontName /{font.name} /Flags {desc.flags.value}"
                f" /FontBBox {desc.font_b_box} /ItalicAngle {desc.italic_angle}"
                f" /Ascent {desc.ascent} /Descent {desc.descent} /CapHeight {desc.cap_height}"
                f" /StemV {desc.stem_v} /MissingWidth {desc.missing_width}"
                f" /FontFile2 {program} 0 R>>"
            ).encode("ascii")
        )
        self._set(
            type0,
            f"<</Type /Font /Subtype /Type0 /BaseFont /{font.name} /Encoding /Identity-H"
            f" /DescendantFonts [{cid_font} 0 R] /ToUnicode {to_unicode} 0 R>>",
        )
        system_info = (
            f"<</Registry {self._string(cid_font, 'Adobe')}"
            f" /Ordering {self._string(cid_font, 'Identity')} /Supplement 0>>"
        )
        self._set(
            cid_font,
            f"<</Type /Font /Subtype /CIDFontType2 /BaseFont /{font.name}"
            f" /CIDSystemInfo {system_info} /FontDescriptor {descriptor} 0 R"
            f" /CIDToGIDMap {cid_to_gid} 0 R /DW {desc.missing_width} /W {font.widths}>>",
        )
        return type0

    def _info(self, pdf: FPDF) -> int:
        """The document information dictionary: title, author, creator, creation date."""
        number = self._reserve()
        entries = {
            "Title": _set_text(pdf, "title"),
            "Author": _set_text(pdf, "author"),
            "Creator": _set_text(pdf, "creator"),
            "CreationDate": _date(getattr(pdf, "creation_date", None)),
        }
        self._set(
            number,
            "<<"
            + " ".join(
                f"/{key} {self._string(number, value)}" for key, value in entries.items() if value
            )
            + ">>",
        )
        return number

    def _file(self, catalog: int, info: int, encrypt: int, file_id: str) -> bytearray:
        """Header, objects, cross-reference table and trailer (ISO 32000-1, 7.5)."""
        out = bytearray(b"%PDF-1.6\n%\xe9\xeb\xf1\xbf\n")
        offsets = []
        for number, body in enumerate(self._bodies, start=1):
            offsets.append(len(out))
            out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
        start = len(out)
        size = len(self._bodies) + 1
        out += b"xref\n0 %d\n0000000000 65535 f \n" % size
        out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
        out += (
            f"trailer\n<</Size {size} /Root {catalog} 0 R /Info {info} 0 R"
            f" /Encrypt {encrypt} 0 R /ID [{file_id}]>>\nstartxref\n{start}\n%%EOF\n"
        ).encode("ascii")
        return out


def _contents(pdf: FPDF) -> list[bytes]:
    """Each page's content stream, in page order."""
    found = []
    for index in range(1, pdf.pages_count + 1):
        contents = pdf.pages[index].contents
        assert isinstance(contents, bytearray)  # fpdf2 makes it a stream object only at output
        found.append(bytes(contents))
    return found


def _set_text(pdf: FPDF, name: str) -> str | None:
    """Metadata set with FPDF's setters (set_title, set_lang ...), which create the attributes."""
    value = getattr(pdf, name, None)
    return value if isinstance(value, str) and value else None


def _date(moment: object) -> str | None:
    """A PDF date (ISO 32000-1, 7.9.4) in UTC."""
    if not isinstance(moment, datetime):
        return None
    return moment.astimezone(UTC).strftime("D:%Y%m%d%H%M%SZ")
