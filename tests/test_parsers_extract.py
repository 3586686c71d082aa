"""Claim extraction end to end: failure cases, carrier mails, real invoices, example mails."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

import pytest

from parsers.body import body_debtor, parse_signature
from parsers.dutch import parse_amount
from parsers.einvoice import read_ubl_invoice
from parsers.extract import extract_claim
from parsers.invoice import extract_invoice_fields
from parsers.mail import parse_message
from parsers.model import ACCEPT_CONFIDENCE, Extraction
from parsers.pdf import read_pdf
from tests.shared_paths import SHARED, requires_shared

CASES = SHARED / "cases"
INVOICES = SHARED / "corpus" / "invoices_pdf"
EINVOICES = SHARED / "corpus" / "einvoices"
TODAY = date(2024, 9, 2)
CLIENT = "Installatiebedrijf Hoekstra B.V."


def _extract(path: Path, *, ocr: bool = False) -> Extraction:
    return extract_claim(parse_message(path.read_bytes()), today=TODAY, ocr=ocr)


def _codes(extraction: Extraction) -> list[str]:
    return [problem.code for problem in extraction.problems]


def _expected(case: str) -> dict:
    return json.loads((CASES / f"{case}.expected.json").read_text(encoding="utf-8"))


@pytest.mark.corpus
@requires_shared()
@pytest.mark.parametrize("case", ["case01", "case02", "case04"])
def test_mail_cases_open_dossier(case: str) -> None:
    expected = _expected(case)
    extraction = _extract(next(CASES.glob(f"{case}-*.eml")))
    invoice = extraction.invoices[0]
    want = expected["invoices"][0]
    assert invoice.number.value == want["number"]
    assert invoice.date.value == date.fromisoformat(want["date"])
    assert invoice.due_date.value == date.fromisoformat(want["due_date"])
    assert invoice.total.value == Decimal(want["total_incl_vat"])
    assert invoice.total.trusted
    assert extraction.client.name.value == expected["client"]["company"]
    assert extraction.client.kvk.value == expected["client"]["kvk"]
    assert extraction.client.email.value == expected["client"]["email"]
    for key in ("name", "contact", "street", "postcode", "city"):
        assert getattr(extraction.debtor, key).value == expected["debtor"][key], key
    assert extraction.debtor.kind.value == "business"
    assert _codes(extraction) == []


@pytest.mark.corpus
@requires_shared()
def test_inline_logo_not_a_document() -> None:
    extraction = _extract(next(CASES.glob("case02-*.eml")))
    kinds = [(document.attachment_index, document.kind) for document in extraction.documents]
    assert kinds == [(0, "invoice"), (1, "image")]


@pytest.mark.corpus
@requires_shared()
def test_claim_in_body_windows_1252() -> None:
    expected = _expected("case07")
    extraction = _extract(next(CASES.glob("case07-*.eml")))
    invoice = extraction.invoices[0]
    assert invoice.document_index is None
    assert invoice.number.value == "2024-0703"
    assert invoice.date.value == date(2024, 7, 3)
    assert invoice.due_date.value == date(2024, 8, 2)
    assert invoice.total.value == Decimal("1250.00")
    for key in ("name", "street", "postcode", "city", "email"):
        assert getattr(extraction.debtor, key).value == expected["debtor"][key], key
    assert extraction.client.name.value == CLIENT
    assert not extraction.client.kvk.present
    assert "charset_fallback" in _codes(extraction)
    assert "debtor_kind_unsure" in _codes(extraction)


@pytest.mark.corpus
@requires_shared()
@pytest.mark.parametrize(("case", "number", "total"), [("case11", "2024-1111", "1234.56"), ("case15", "2024-1515", "349.69")])
def test_carriers_with_text_layer(case: str, number: str, total: str) -> None:
    extraction = _extract(CASES / "carriers" / f"{case}-carrier.eml")
    invoice = extraction.invoices[0]
    assert extraction.client.name.value == CLIENT
    assert extraction.client.kvk.value == "12345678"
    assert extraction.client.iban.value == "NL91ABNA0417164300"
    assert invoice.number.value == number
    assert invoice.total.value == Decimal(total)
    assert invoice.total.trusted
    assert _codes(extraction) == []


@pytest.mark.corpus
@requires_shared()
def test_split_amounts_add_up() -> None:
    extraction = _extract(CASES / "carriers" / "case11-carrier.eml")
    invoice = extraction.invoices[0]
    assert invoice.subtotal.value == Decimal("1020.30")
    assert invoice.vat.value == Decimal("214.26")
    assert invoice.subtotal.value + invoice.vat.value == invoice.total.value
    assert invoice.date.value == date(2024, 4, 3)
    assert invoice.due_date.value == date(2024, 5, 3)
    assert invoice.payment_term_days.value == 30


@pytest.mark.corpus
@requires_shared()
@pytest.mark.parametrize(("case", "code"), [("case13", "pdf_text_layer_unreadable"), ("case17", "pdf_no_text_layer")])
def test_carriers_without_text_go_to_review(case: str, code: str) -> None:
    extraction = _extract(CASES / "carriers" / f"{case}-carrier.eml", ocr=False)
    assert code in _codes(extraction)
    for invoice in extraction.invoices:
        assert not invoice.total.trusted
        assert not invoice.number.trusted


@pytest.mark.corpus
@requires_shared()
@pytest.mark.slow
@pytest.mark.parametrize(("case", "number", "total"), [("case13", "2024-1313", "241.40"), ("case17", "2024-1717", "726.00")])
def test_carriers_ocr_below_threshold(case: str, number: str, total: str) -> None:
    from parsers.ocr import ocr_available

    if not ocr_available():
        pytest.skip("tesseract with Dutch data (nld) is not installed")
    extraction = _extract(CASES / "carriers" / f"{case}-carrier.eml", ocr=True)
    invoice = extraction.invoices[0]
    assert invoice.number.value == number
    assert invoice.total.value == Decimal(total)
    assert invoice.total.confidence < ACCEPT_CONFIDENCE
    assert invoice.number.confidence < ACCEPT_CONFIDENCE
    assert extraction.client.kvk.value == "12345678"


# Invoice number and total per real invoice; None where the document prints no invoice
# number (a payment overview) and a Problem must say so.
CORPUS_EXPECTED = {
    "i2d_coolblue1.pdf": ("993548900", "717.97"),
    "i2d_coolblue2.pdf": ("992288600", "4904.94"),
    "i2d_saeco.pdf": ("VF1005193039", "49.99"),
    "i2d_camelot-bol100649863.pdf": ("8587333880016", "189.00"),
    "i2d_camelot-example.pdf": (None, "22.50"),
    "eluinstra_UBL_1.1_render.pdf": ("1587968432", "0.11"),
    "oca_efff_BE0505890632_16117778_embedded.pdf": ("16117778", "37.51"),
}


@pytest.mark.corpus
@requires_shared()
def test_corpus_invoices_table() -> None:
    rows = []
    for name, (number, total) in CORPUS_EXPECTED.items():
        pdf = read_pdf((INVOICES / name).read_bytes(), source=name, ocr=False)
        invoice, seller, buyer, problems = extract_invoice_fields(pdf, 0, today=TODAY)
        codes = [problem.code for problem in problems]
        rows.append(f"{name:48} {invoice.number.value!s:16} {invoice.total.value!s:>9} {invoice.total.confidence:.2f} {','.join(codes)}")
        assert invoice.number.value == number, name
        if number is None:
            assert "invoice_number_missing" in codes, name
        assert invoice.total.value == Decimal(total), name
        expected_file = INVOICES / "expected" / name.replace(".pdf", ".json")
        if expected_file.exists():
            expected = json.loads(expected_file.read_text(encoding="utf-8"))[0]
            assert invoice.total.value == parse_amount(f"{expected['amount']:.2f}"), name
            assert invoice.date.value == date.fromisoformat(expected["date"]), name
    print("\n" + "\n".join(rows))


@pytest.mark.corpus
@requires_shared()
def test_inconsistent_totals_go_to_review() -> None:
    pdf = read_pdf((INVOICES / "eluinstra_UBL_1.1_render.pdf").read_bytes(), ocr=False)
    invoice, _, _, problems = extract_invoice_fields(pdf, 0, today=TODAY)
    assert not invoice.total.trusted
    assert "invoice_total_unsure" in [problem.code for problem in problems]


@pytest.mark.corpus
@requires_shared()
def test_corpus_sellers_and_buyers() -> None:
    pdf = read_pdf((INVOICES / "i2d_coolblue1.pdf").read_bytes(), ocr=False)
    _, seller, buyer, _ = extract_invoice_fields(pdf, 0, today=TODAY)
    assert seller.name.value == "Coolblue B.V."
    assert seller.kvk.value == "24330087"
    assert seller.vat_id.value == "NL810433941B01"
    assert seller.iban.value == "NL50INGB0683251309"
    assert buyer.name.value == "Pino Bluebird"
    assert buyer.postcode.value == "1025 RX"
    assert buyer.kind.value == "consumer"
    assert not buyer.kind.trusted

    pdf = read_pdf((INVOICES / "i2d_camelot-bol100649863.pdf").read_bytes(), ocr=False)
    invoice, seller, buyer, _ = extract_invoice_fields(pdf, 0, today=TODAY)
    assert seller.kvk.value == "32147382"
    assert buyer.name.value == "Dhr. M el Mathari"
    assert buyer.city.value == "Hilversum"
    assert invoice.outstanding.value == Decimal("0.00")


@pytest.mark.corpus
@requires_shared()
def test_non_invoice_pdf_no_invoice_found() -> None:
    message = EmailMessage()
    message["From"] = "klant@example.nl"
    message["Subject"] = "Bijlage"
    message.set_content("Zie bijlage.")
    message.add_attachment((INVOICES / "oca_unknown_invoice_NEGATIVE.pdf").read_bytes(), maintype="application", subtype="pdf", filename="document.pdf")
    extraction = extract_claim(parse_message(message.as_bytes()), today=TODAY, ocr=False)
    assert extraction.invoices == ()
    assert "no_invoice_found" in _codes(extraction)
    no_invoice = next(problem for problem in extraction.problems if problem.code == "no_invoice_found")
    assert no_invoice.message == "Geen factuur gevonden in de bijlagen of de tekst van de mail"


@pytest.mark.corpus
@requires_shared()
def test_ubl_invoice_fields() -> None:
    data = (EINVOICES / "siubl20_ok_minimal.xml").read_bytes()
    invoice, seller, buyer, problems = read_ubl_invoice(data, 0, source="attachment[0]")
    assert invoice.number.value == "12115118"
    assert invoice.date.value == date(2015, 1, 9)
    assert invoice.outstanding.present
    assert seller.name.value == "SimplerInvoicing"
    assert problems == []


def test_ubl_doctype_rejected() -> None:
    data = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>'
    _, _, _, problems = read_ubl_invoice(data, 0, source="attachment[0]")
    assert [problem.code for problem in problems] == ["einvoice_unreadable"]


def test_body_debtor_labels() -> None:
    debtor = body_debtor(
        "Debiteur: Bakkerij Jansen B.V. (t.a.v. Piet Jansen)\nAdres: Dorpsstraat 1, 1234AB AMSTERDAM\nE-mail: Info@Bakkerij.example\n"
    )
    assert debtor.name.value == "Bakkerij Jansen B.V."
    assert debtor.contact.value == "Piet Jansen"
    assert debtor.street.value == "Dorpsstraat 1"
    assert debtor.postcode.value == "1234 AB"
    assert debtor.city.value == "Amsterdam"
    assert debtor.email.value == "info@bakkerij.example"
    assert debtor.kind.value == "business"
    assert debtor.kind.trusted


def test_signature_company_kvk_phone() -> None:
    client = parse_signature("Graag incasseren.\n\nMet vriendelijke groet,\n\nSanne de Vries\nDe Vries Techniek B.V.\nKvK 87654321\nTel. 020-1234567\n")
    assert client.name.value == "De Vries Techniek B.V."
    assert client.kvk.value == "87654321"
    assert client.phone.value == "020-1234567"


def test_body_claim_ignores_quoted_reply() -> None:
    text = "Zie onder.\n\nOp 1 mei 2024 schreef Jan:\n> Factuurnummer: 99\n> Openstaand bedrag: € 10,00\n"
    message = EmailMessage()
    message["From"] = "klant@example.nl"
    message.set_content(text)
    extraction = extract_claim(parse_message(message.as_bytes()), today=TODAY, ocr=False)
    assert extraction.invoices == ()
    assert "no_invoice_found" in _codes(extraction)


def test_future_invoice_date_unsure() -> None:
    text = "Debiteur: Jan Jansen\nAdres: Dorpsstraat 1, 1234 AB Ede\nFactuurnummer: 12\nFactuurdatum: 01-01-2030\nOpenstaand bedrag: € 10,00\n"
    message = EmailMessage()
    message["From"] = "klant@example.nl"
    message.set_content(text)
    extraction = extract_claim(parse_message(message.as_bytes()), today=TODAY, ocr=False)
    invoice = extraction.invoices[0]
    assert invoice.date.value == date(2030, 1, 1)
    assert not invoice.date.trusted
    assert "invoice_date_unsure" in _codes(extraction)


def test_due_date_from_payment_term() -> None:
    text = "Debiteur: Jan Jansen\nFactuurnummer: 12\nFactuurdatum: 01-03-2024\nBetalingstermijn: 14 dagen\nTotaal: € 10,00\n"
    message = EmailMessage()
    message["From"] = "klant@example.nl"
    message.set_content(text)
    invoice = extract_claim(parse_message(message.as_bytes()), today=TODAY, ocr=False).invoices[0]
    assert invoice.payment_term_days.value == 14
    assert invoice.due_date.value == date(2024, 3, 15)


def _example_mails():  # type: ignore[no-untyped-def]
    examples = pytest.importorskip("daemon.examples")
    return examples.build_example_mails(16, today=date(2026, 3, 2)) + examples.build_example_mails(56, seed=7, today=date(2026, 3, 2))


def test_example_mails_ground_truth() -> None:
    today = date(2026, 3, 2)
    for example in _example_mails():
        extraction = extract_claim(parse_message(example.raw), today=today, ocr=False)
        label = f"{example.kind} {example.filename}"
        got = [(item.number.value, item.date.value, item.due_date.value, item.total.value, item.outstanding.value) for item in extraction.invoices]
        want = [(item.number, item.date, item.due_date, item.total, item.outstanding) for item in example.invoices]
        if example.kind == "auto_reply":
            continue
        assert got == want, label
        if not example.invoices:
            assert "no_invoice_found" in _codes(extraction), label
            continue
        assert extraction.client.name.value == example.client.name, label
        assert extraction.client.kvk.value == example.client.kvk, label
        assert extraction.debtor.name.value == example.debtor.name, label
        assert extraction.debtor.kind.value == example.debtor.kind, label
        assert extraction.debtor.postcode.value == example.debtor.postcode, label
        assert extraction.debtor.city.value == example.debtor.city, label
        roles = [document.kind for document in extraction.documents]
        assert roles == [attachment.role for attachment in example.attachments], label
        for invoice in extraction.invoices:
            assert invoice.total.trusted, label
            assert invoice.number.trusted, label
        if example.debtor.kind == "consumer":
            assert "debtor_kind_unsure" in _codes(extraction), label
        else:
            assert _codes(extraction) == [], label


def test_backlog_mails_ground_truth() -> None:
    examples = pytest.importorskip("daemon.examples")
    today = date(2026, 3, 2)
    for example in examples.build_backlog_mails(60, seed=7, today=today):
        extraction = extract_claim(parse_message(example.raw), today=today, ocr=False)
        got = [(item.number.value, item.total.value, item.outstanding.value) for item in extraction.invoices]
        want = [(item.number, item.total, item.outstanding) for item in example.invoices]
        assert got == want, example.filename
        if example.expect == "dossier":
            assert _codes(extraction) == [], example.filename
