"""Measure claim extraction: field accuracy, share accepted without review, silent errors, speed.

Runs the extractor over (a) generated invoices with ground truth: drawn layouts with
varied labels, date and amount styles (`daemon.examples.variants`) and the WeasyPrint
example layouts, and (b) the real files in ../shared/corpus and ../shared/cases when
they are present, with expected values from the corpus' expected JSON files and from
the table below (read off the XML and the PDFs by hand).

A silent error is a field whose value is wrong while the extraction does not list it
for review: intake would act on it. Per field the script prints the share exact, the
share accepted without review, and the silent errors, then the extraction time per page.

Usage: python benchmarks/extraction_accuracy.py [--count 300] [--seed 2026] [--no-corpus] [--ocr]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from daemon.examples.invoices import make_invoice  # noqa: E402
from daemon.examples.parties import CLIENTS, make_business_debtor, make_consumer_debtor  # noqa: E402
from daemon.examples.render import LAYOUTS, render_invoice_pdf  # noqa: E402
from daemon.examples.variants import build_variant_invoices  # noqa: E402
from parsers.extract import extract_claim, extract_document  # noqa: E402
from parsers.mail import parse_message  # noqa: E402
from parsers.model import Extraction  # noqa: E402
from parsers.report import claim_report  # noqa: E402

SHARED = REPO.parent / "shared"
TODAY = date(2026, 12, 4)

# Expected values read by hand from the e-invoice XML files (LegalMonetaryTotal, IssueDate,
# DueDate or PaymentDueDate) and from the printed case PDFs; None means "not checked".
EINVOICE_EXPECTED: dict[str, dict[str, str | None]] = {
    "en16931_ubl-tc434-example1.xml": {"number": "12115118", "date": "2015-01-09", "due_date": "2015-01-09", "amount_total": "250.33", "amount_outstanding": "250.33"},
    "logius_peppol_bis3_basisfactuur_rijk.xml": {"number": "P01", "date": "2020-11-13", "due_date": "2020-12-01", "amount_total": "3926.50", "amount_vat": "676.50", "amount_outstanding": "3926.50"},
    "nlcius_cii_ok_example.xml": {"number": "1100512149", "date": "2014-11-10", "due_date": "2014-11-24", "amount_total": "1099.78", "amount_vat": "190.87", "amount_outstanding": "1099.78", "client.kvk": "17131139", "client.iban": "NL28RBOS0420242228"},
    "oca_efff_BE0505890632_160421_Inv_16117778.xml": {"number": "16117778", "date": "2016-04-21", "due_date": "2016-04-28", "amount_total": "37.51", "amount_vat": "6.51", "amount_outstanding": "37.51"},
    "pb3_NL-R-002_error.xml": {"number": "10000005", "date": "2021-02-23", "amount_total": "24178.37", "amount_outstanding": "24178.37"},
    "siubl20_BR-NL-11_error_no_paymentmeans.xml": {"number": "12115118", "date": "2015-01-09", "due_date": "2015-01-09", "amount_total": "121.00", "amount_vat": "21.00", "amount_outstanding": "121.00"},
    "siubl20_gaccount_ok_sample.xml": {"number": "12115118", "date": "2015-01-09", "due_date": "2015-01-09", "amount_total": "771.98", "amount_vat": "133.98", "amount_outstanding": "771.98"},
    "siubl20_ok_additionaldocumentreference.xml": {"number": "12115118", "date": "2015-01-09", "due_date": "2015-01-09", "amount_total": "227.00", "amount_outstanding": "227.00"},
    "siubl20_ok_full.xml": {"number": "TOSL108", "date": "2009-12-15", "amount_total": "1728.70", "amount_outstanding": "729.00"},
    "siubl20_ok_minimal.xml": {"number": "12115118", "date": "2015-01-09", "due_date": "2015-01-09", "amount_total": "242.00", "amount_vat": "42.00", "amount_outstanding": "242.00"},
    "facturx_mustang_validXRechnung.pdf": {"number": "RE-20190610/507", "date": "2019-06-10", "due_date": "2019-07-01", "amount_total": "571.04", "amount_outstanding": "571.04"},
}
# invoice2data's expected-file keys -> report field paths.
I2D_KEYS = {
    "invoice_number": "number",
    "date": "date",
    "date_due": "due_date",
    "amount": "amount_total",
    "amount_tax": "amount_vat",
    "partner_coc": "client.kvk",
    "iban": "client.iban",
}


@dataclass
class FieldStats:
    """Counts for one field over a run."""

    total: int = 0
    exact: int = 0
    accepted: int = 0
    silent: list[str] = field(default_factory=list)
    missing: int = 0


@dataclass
class Run:
    """The results of one set of documents."""

    name: str
    fields: dict[str, FieldStats] = field(default_factory=lambda: defaultdict(FieldStats))
    seconds: float = 0.0
    pages: int = 0
    documents: int = 0


def report_value(report: dict[str, Any], path: str) -> Any:
    """Return a value of the extract report by short path ("number", "client.kvk", "debtor.name")."""
    if "." in path:
        party, _, name = path.partition(".")
        return report[party].get(name)
    invoices = report["invoices"]
    return invoices[0].get(path) if invoices else None


def review_path(path: str) -> str:
    return path if "." in path else f"invoices[0].{path}"


def score(run: Run, label: str, extraction: Extraction, expected: dict[str, str | None]) -> None:
    """Compare one extraction with its expected values and add the counts to `run`."""
    report = claim_report(extraction)
    in_review = {entry["field"] for entry in report["review"]}
    document_review = any(not entry["field"] for entry in report["review"])
    for path, want in expected.items():
        if want is None:
            continue
        stats = run.fields[path]
        stats.total += 1
        got = report_value(report, path)
        reviewed = review_path(path) in in_review or document_review
        if got is None:
            stats.missing += 1
        if got == want:
            stats.exact += 1
        if not reviewed and got is not None:
            stats.accepted += 1
            if got != want:
                stats.silent.append(f"{label}: {path} read {got!r}, expected {want!r}")


def timed(run: Run, pages: int, work: Any) -> Extraction:
    start = time.perf_counter()
    extraction = work()
    run.seconds += time.perf_counter() - start
    run.pages += pages
    run.documents += 1
    return extraction


def generated_expected(client: Any, debtor: Any, invoice: Any) -> dict[str, str | None]:
    return {
        "client.name": client.name,
        "client.kvk": client.kvk,
        "client.vat_id": client.vat_id,
        "client.iban": client.iban,
        "debtor.name": debtor.name,
        "debtor.kind": debtor.kind,
        "debtor.street": debtor.street,
        "debtor.postcode": debtor.postcode,
        "debtor.city": debtor.city,
        "number": invoice.number,
        "date": invoice.date.isoformat(),
        "due_date": invoice.due_date.isoformat(),
        "amount_total": f"{invoice.total:.2f}",
        "amount_vat": f"{invoice.vat:.2f}",
        "amount_outstanding": f"{invoice.outstanding:.2f}",
    }


def run_generated(count: int, seed: int, *, ocr: bool) -> Run:
    """Extract `count` generated invoices: two thirds drawn variants, one third WeasyPrint layouts."""
    run = Run(f"generated ({count} invoices, seed {seed})")
    drawn = count - count // 3
    for index, variant in enumerate(build_variant_invoices(drawn, seed=seed, today=TODAY)):
        extraction = timed(run, 1, lambda: extract_document(variant.pdf, variant.filename, today=TODAY, ocr=ocr))
        label = f"variant {index} ({variant.style.layout}, {variant.style.language})"
        score(run, label, extraction, generated_expected(variant.client, variant.debtor, variant.invoice))
    for index in range(count // 3):
        rng = random.Random(f"weasy:{seed}:{index}")
        profile = CLIENTS[index % len(CLIENTS)]
        debtor = make_consumer_debtor(rng) if rng.random() < 0.25 else make_business_debtor(rng, rng.choice(("B.V.", "V.O.F.")))
        invoice = make_invoice(rng, profile, today=TODAY, sequence=100 + index, partial_payment=rng.random() < 0.2)
        layout = LAYOUTS[index % len(LAYOUTS)]
        pdf = render_invoice_pdf(profile.party, debtor, invoice, layout=layout)
        extraction = timed(run, 1, lambda: extract_document(pdf, f"Factuur {invoice.number}.pdf", today=TODAY, ocr=ocr))
        score(run, f"weasyprint {index} ({layout})", extraction, generated_expected(profile.party, debtor, invoice))
    return run


def run_corpus(*, ocr: bool) -> Run:
    """Extract the real invoices and e-invoices of the shared corpus and the PDF failure cases."""
    run = Run("corpus (real Dutch and e-invoice files, failure cases)")
    einvoices = SHARED / "corpus" / "einvoices"
    for name, expected in EINVOICE_EXPECTED.items():
        path = einvoices / name
        data = path.read_bytes()
        extraction = timed(run, 1, lambda: extract_document(data, name, today=TODAY, ocr=ocr))
        score(run, name, extraction, expected)

    invoices = SHARED / "corpus" / "invoices_pdf"
    for expected_file in sorted((invoices / "expected").glob("*.json")):
        pdf_path = invoices / f"{expected_file.stem}.pdf"
        raw = json.loads(expected_file.read_text(encoding="utf-8"))
        record = raw[0] if isinstance(raw, list) else raw
        expected = {path: _i2d_value(key, record.get(key)) for key, path in I2D_KEYS.items() if record.get(key) not in (None, "")}
        data = pdf_path.read_bytes()
        extraction = timed(run, _pages(data), lambda: extract_document(data, pdf_path.name, today=TODAY, ocr=ocr))
        score(run, pdf_path.name, extraction, expected)

    cases = SHARED / "cases"
    for case in ("case11", "case13", "case15", "case17"):
        want = json.loads((cases / f"{case}.expected.json").read_text(encoding="utf-8"))
        facts = want.get("expected_if_ocr_fallback", want)
        invoice = facts["invoices"][0]
        expected = {
            "client.name": facts["client"]["company"],
            "client.kvk": facts["client"]["kvk"],
            "client.iban": facts["client"]["iban"],
            "debtor.name": facts["debtor"]["name"],
            "debtor.street": facts["debtor"]["street"],
            "debtor.postcode": facts["debtor"]["postcode"],
            "debtor.city": facts["debtor"]["city"],
            "number": invoice["number"],
            "date": invoice["date"],
            "due_date": invoice["due_date"],
            "amount_total": invoice["total_incl_vat"],
        }
        mail = parse_message((cases / "carriers" / f"{case}-carrier.eml").read_bytes())
        extraction = timed(run, 1, lambda: extract_claim(mail, today=TODAY, ocr=ocr))
        score(run, case, extraction, expected)
    return run


def _i2d_value(key: str, value: Any) -> str | None:
    if key == "invoice_number":
        # invoice2data keeps the "#" of "Invoice No: #BLR…"; it marks a number, it is not part of it.
        return str(value).lstrip("#")
    if key in ("amount", "amount_tax"):
        return f"{Decimal(str(value)):.2f}"
    if key == "iban":
        return str(value).replace(" ", "").upper()
    return str(value)


def _pages(data: bytes) -> int:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        return min(len(document), 10)
    finally:
        document.close()


def print_run(run: Run) -> tuple[int, int, int]:
    """Print the per-field table of a run; return (fields exact, fields checked, silent errors)."""
    print(f"\n## {run.name}\n")
    print(f"{'field':<22} {'n':>5} {'exact %':>8} {'accepted %':>11} {'missing':>8} {'silent':>7}")
    exact = total = silent = 0
    for path in sorted(run.fields):
        stats = run.fields[path]
        exact += stats.exact
        total += stats.total
        silent += len(stats.silent)
        print(
            f"{path:<22} {stats.total:>5} {100 * stats.exact / stats.total:>8.1f} "
            f"{100 * stats.accepted / stats.total:>11.1f} {stats.missing:>8} {len(stats.silent):>7}"
        )
    print(f"{'all fields':<22} {total:>5} {100 * exact / max(total, 1):>8.1f} {'':>11} {'':>8} {silent:>7}")
    print(f"\n{run.documents} documents, {run.pages} pages, {1000 * run.seconds / max(run.pages, 1):.1f} ms per page")
    for line in [line for stats in run.fields.values() for line in stats.silent][:30]:
        print(f"  SILENT {line}")
    return exact, total, silent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300, help="number of generated invoices (default 300)")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the generated set (default 2026)")
    parser.add_argument("--no-corpus", action="store_true", help="skip the files in ../shared")
    parser.add_argument("--ocr", action="store_true", help="allow Tesseract on scans (slow); without it scans go to review")
    args = parser.parse_args()

    print_run(run_generated(args.count, args.seed, ocr=args.ocr))
    if not args.no_corpus and SHARED.is_dir():
        print_run(run_corpus(ocr=args.ocr))
    return 0


if __name__ == "__main__":
    sys.exit(main())
