"""Receipt PDFs rendered per second, in one process, for every receipt kind.

Usage: .venv/bin/python bench/receipt_pdfs.py [--seconds 5]

Each kind's document is built from its office in config/offices.toml (the same way the receipt
service builds it) and rendered again and again by `render_pdf`, encryption included. Donor
names vary, so that most receipts find their font subsets cached but some (a name with
characters outside Latin-1 and Latin Extended-A) do not; the last row renders receipts for
over a thousand different donors, whose names change the glyphs each PDF embeds. Target
(issue 6): at least 50 PDFs per second per worker on the 2-core machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from checkout.core.money import Money
from checkout.offices import Office, load_registry
from checkout.paths import CONFIG_DIR
from checkout.receipts.document import DonorOnReceipt, GiftLine, ReceiptDocument
from checkout.receipts.documents import gift_aid_confirmation, issuer_of
from checkout.receipts.pdf import render_pdf

NAMES = ("Erika Mustermann", "Jean-Luc Lefèvre", "Zoë Łukasiewicz", "Sean O'Brien")
UNUSUAL = ("山田 花子", "Αλέξανδρος Παπαδόπουλος", "Владимир Петров", "Nguyễn Thị Minh Khai")
#: Given names and surnames combined into many different donors, as a real day's receipts have.
FIRST = (
    *("Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hugo", "Ida", "Jonas"),
    *("Karl", "Lena", "Max", "Nora", "Otto", "Paula", "Quentin", "Rosa", "Sven", "Tilde"),
    *("Ulrich", "Vera", "Walter", "Xenia", "Yusuf", "Zoë", "Jörg", "Ülkü", "Øystein"),
    *("Chloé", "Siobhán", "Wojciech"),
)
LAST = (
    *("Müller", "Schmidt", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann", "Smith"),
    *("Jones", "Taylor", "Brown", "Williams", "Wilson", "Davies", "O'Connor", "Wright"),
    *("Thompson", "Evans", "Walker", "White", "Clarke", "Janssen", "Visser", "de Vries"),
    *("Bakker", "Dijkstra", "Tremblay", "Gagnon", "Côté", "Bouchard", "Nguyen", "Kowalski"),
    *("Łukasiewicz", "García", "Kaya", "van den Berg", "Fitzgerald-Quayle"),
)


def document(office: Office, name: str, statement: bool = False) -> ReceiptDocument:
    """A receipt (or a year's statement of 12 monthly gifts) of `office` for `name`."""
    currency = office.default_currency
    months = range(1, 13) if statement else range(5, 6)
    gifts = tuple(GiftLine(date(2026, m, 3), Money(2500, currency), f"P-{m}") for m in months)
    kind = office.receipt_kind
    return ReceiptDocument(
        kind=kind,
        number=f"{office.code}-2026-000123",
        issued_on=date(2026, 12, 31) if statement else date(2026, 5, 4),
        language=office.languages[0],
        issuer=issuer_of(office),
        donor=DonorOnReceipt(name, ("Ring 1", "10115 Berlin", "Deutschland")),
        gifts=gifts,
        period=(date(2026, 1, 1), date(2026, 12, 31)) if statement else None,
        advantage=Money.zero(currency) if kind == "ca_official_receipt" else None,
        gift_aid=gift_aid_confirmation(office, date(2026, 5, 3), "en")
        if kind == "uk_gift_aid"
        else None,
    )


def measure(documents: list[ReceiptDocument], seconds: float) -> tuple[float, float]:
    """Render round-robin for `seconds`; PDFs per second and the median milliseconds."""
    timings: list[float] = []
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        for doc in documents:
            begin = time.perf_counter()
            render_pdf(doc)
            timings.append(time.perf_counter() - begin)
    return len(timings) / sum(timings), statistics.median(timings) * 1000


def main() -> None:
    """Warm up, then measure each kind and a realistic mix."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    offices = list(load_registry(CONFIG_DIR / "offices.toml"))
    started = time.perf_counter()
    render_pdf(document(offices[0], NAMES[0]))
    print(f"first PDF in the process (fonts cut down): {time.perf_counter() - started:.2f} s")
    print(f"{'documents':<34} {'PDFs/s':>8} {'p50 ms':>8}")
    for office in offices:
        docs = [document(office, name) for name in NAMES]
        render_pdf(docs[0])
        rate, median = measure(docs, args.seconds / 4)
        print(f"{office.receipt_kind:<34} {rate:8.1f} {median:8.1f}")
    statements = [document(office, NAMES[0], statement=True) for office in offices]
    rate, median = measure(statements, args.seconds / 2)
    print(f"{'annual statements, 12 gifts':<34} {rate:8.1f} {median:8.1f}")
    mix = [document(o, n) for o in offices for n in NAMES] + [
        dataclasses.replace(document(offices[0], n)) for n in UNUSUAL
    ]
    rate, median = measure(mix, args.seconds)
    print(f"{'mix, 4 of 28 with unusual names':<34} {rate:8.1f} {median:8.1f}")
    varied = [
        document(offices[n % len(offices)], f"{FIRST[n % len(FIRST)]} {LAST[n * 7 % len(LAST)]}")
        for n in range(len(FIRST) * len(LAST))
    ]
    rate, median = measure(varied, args.seconds)
    print(f"{f'{len(varied)} different donors':<34} {rate:8.1f} {median:8.1f}")


if __name__ == "__main__":
    main()
