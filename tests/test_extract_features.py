"""Extraction features and their neighbours: layout repairs, English, sentences, domains, scans, e-invoices."""

from __future__ import annotations

import io
import random
from dataclasses import replace
from datetime import date
from decimal import Decimal
from email.headerregistry import Address

import pypdfium2 as pdfium
import pytest

from benchmarks.extraction_accuracy import Run, generated_expected, print_run, run_generated, score
from daemon.examples.drawnpdf import TextItem, draw_pdf
from daemon.examples.mime import build_mime
from daemon.examples.models import ExampleAttachment
from daemon.examples.variants import LABELS_EN, LABELS_NL, InvoiceStyle, VariantInvoice, make_client, make_variant_invoice
from parsers.body import extract_body_claim
from parsers.extract import extract_claim, extract_document
from parsers.mail import parse_message
from parsers.ocr import ocr_available
from parsers.pdf import read_pdf
from parsers.report import claim_report
from tests.conftest import TODAY
from tests.shared_paths import SHARED, requires_shared

EINVOICES = SHARED / "corpus" / "einvoices"
INVOICES = SHARED / "corpus" / "invoices_pdf"


def _style(layout: str, language: str = "nl", **knobs: object) -> InvoiceStyle:
    wordings = LABELS_EN if language == "en" else LABELS_NL
    return InvoiceStyle(layout=layout, language=language, labels={key: options[0] for key, options in wordings.items()}, **knobs)  # type: ignore[arg-type]


def _variant(style: InvoiceStyle, seed: str = "features") -> VariantInvoice:
    rng = random.Random(seed)
    return make_variant_invoice(rng, make_client(rng), today=TODAY, style=style)


def _assert_read_right(variant: VariantInvoice) -> None:
    extraction = extract_document(variant.pdf, variant.filename, today=TODAY, ocr=False)
    run = Run("one")
    score(run, "one", extraction, generated_expected(variant.client, variant.debtor, variant.invoice))
    wrong = {path: stats for path, stats in run.fields.items() if stats.exact != stats.total}
    assert wrong == {}
    assert all(not stats.silent for stats in run.fields.values())


def _mail(variant: VariantInvoice, sender: str, attachments: tuple[ExampleAttachment, ...] | None = None) -> bytes:
    user, domain = sender.split("@")
    return build_mime(
        sender=Address("Administratie", user, domain),
        subject="Incasso-opdracht",
        moment=__import__("datetime").datetime(2026, 12, 3, 9, 0, tzinfo=__import__("datetime").timezone.utc),
        message_id="<features@example>",
        body="Graag deze factuur in behandeling nemen.",
        attachments=attachments or (ExampleAttachment(filename="factuur.pdf", role="invoice", content=variant.pdf),),
        boundary_prefix="=_features",
    )


# --- layout repairs ------------------------------------------------------------------


def test_fake_bold_read_once() -> None:
    pdf = draw_pdf([[TextItem(60, 60, "Factuur 2026-0042", 14, bold=True, overprint=3), TextItem(60, 90, "Totaal € 1.234,56", overprint=4)]])
    text = read_pdf(pdf).text
    assert "Factuur 2026-0042" in text
    assert "Totaal € 1.234,56" in text


def test_real_double_letters_kept() -> None:
    pdf = draw_pdf([[TextItem(60, 60, "Meeuwenlaan 33 Zee", 12)]])
    assert read_pdf(pdf).text.strip() == "Meeuwenlaan 33 Zee"


@pytest.mark.parametrize("angle", [90, 270])
def test_sideways_text_upright(angle: int) -> None:
    x = 30 if angle == 90 else 560
    top = 700 if angle == 90 else 100
    pdf = draw_pdf([[TextItem(60, 60, "Factuur"), TextItem(x, top, "KvK 12345678 IBAN NL91 ABNA 0417 1643 00", 8, angle=angle)]])
    lines = read_pdf(pdf).text.splitlines()
    assert "KvK 12345678 IBAN NL91 ABNA 0417 1643 00" in lines
    assert lines[0] == "Factuur"


@pytest.mark.parametrize(
    ("layout", "knobs"),
    [
        ("footer_ids", {}),
        ("footer_ids", {"kvk_next_line": True}),
        ("sideways_ids", {}),
        ("letterhead_left", {"kvk_next_line": True, "fake_bold": True}),
        ("letterhead_right", {"euro_column": True, "amount_style": "plain"}),
        ("table_meta", {"due_as_term": True}),
        ("table_meta", {"date_style": "d mon. yyyy"}),
    ],
)
def test_layout_variants_read_right(layout: str, knobs: dict[str, object]) -> None:
    _assert_read_right(_variant(_style(layout, **knobs), seed=f"{layout}:{sorted(knobs)}"))


@pytest.mark.parametrize("date_style", ["d month yyyy", "dd/mm/yyyy", "yyyy-mm-dd"])
def test_english_invoice_of_dutch_firm(date_style: str) -> None:
    _assert_read_right(_variant(_style("letterhead_left", "en", date_style=date_style, amount_style="euro_nospace"), seed=date_style))


def test_total_row_with_columns_not_trusted() -> None:
    lines = [
        [TextItem(60, 60, "Invoice"), TextItem(60, 80, "Invoice number: A-1"), TextItem(60, 95, "Date: 01-10-2026")],
        [TextItem(60, 140, "Total"), TextItem(200, 140, "1"), TextItem(300, 140, "278.61"), TextItem(400, 140, "40.39"), TextItem(500, 140, "319.00")],
    ]
    extraction = extract_document(draw_pdf([lines[0] + lines[1]]), "invoice.pdf", today=TODAY, ocr=False)
    total = extraction.invoices[0].total
    assert not total.trusted
    assert "invoices[0].amount_total" in {entry["field"] for entry in claim_report(extraction)["review"]}


# --- mail body -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "number", "invoice_date", "amount"),
    [
        ("De factuur 2026-0012 van 3 maart ad € 1.234,56 staat nog open.", "2026-0012", date(2026, 3, 3), "1234.56"),
        ("Onze nota nr. F-2211 d.d. 12-10-2026 van EUR 450,00 is nog niet betaald.", "F-2211", date(2026, 10, 12), "450.00"),
        ("Invoice INV-77 dated 4 November 2026 for €1,200.00 remains unpaid.", "INV-77", date(2026, 11, 4), "1200.00"),
    ],
)
def test_claim_in_a_sentence(sentence: str, number: str, invoice_date: date, amount: str) -> None:
    fields, _, _ = extract_body_claim(f"Goedemiddag,\n\n{sentence}\n\nGroet,\nPiet", today=TODAY)
    assert fields.number.value == number
    assert fields.date.value == invoice_date
    assert fields.outstanding.value == Decimal(amount)


def test_sentence_date_without_year_unsure() -> None:
    fields, _, _ = extract_body_claim("factuur 2026-0012 van 3 maart ad € 1.234,56 staat nog open", today=TODAY)
    assert not fields.date.trusted
    assert "2026" in fields.date.note


def test_future_day_month_takes_last_year() -> None:
    fields, _, _ = extract_body_claim("factuur 88 van 20 december ad € 10,00 staat open", today=TODAY)
    assert fields.date.value == date(2025, 12, 20)


# --- sender domain -------------------------------------------------------------------


def test_sender_domain_matches_seller() -> None:
    variant = _variant(_style("letterhead_left"), seed="domain")
    extraction = extract_claim(parse_message(_mail(variant, variant.client.email)), today=TODAY, ocr=False)
    assert "sender_domain_mismatch" not in [problem.code for problem in extraction.problems]
    assert extraction.client.name.trusted


def test_sender_domain_mismatch_lowers_client() -> None:
    variant = _variant(_style("letterhead_left"), seed="domain")
    extraction = extract_claim(parse_message(_mail(variant, "boekhouding@ander-bedrijf.example")), today=TODAY, ocr=False)
    problem = next(problem for problem in extraction.problems if problem.code == "sender_domain_mismatch")
    assert problem.field == "client.name"
    assert "ander-bedrijf.example" in problem.message
    assert not extraction.client.name.trusted
    assert not extraction.client.kvk.trusted


def test_free_mail_sender_not_flagged() -> None:
    variant = _variant(_style("letterhead_left"), seed="domain")
    extraction = extract_claim(parse_message(_mail(variant, "jan.devries@gmail.com")), today=TODAY, ocr=False)
    assert "sender_domain_mismatch" not in [problem.code for problem in extraction.problems]


def test_charset_fallback_does_not_block() -> None:
    raw = b"From: a@b.example\nSubject: x\nContent-Type: text/plain; charset=x-unknown-1252\n\nFactuur 1 \x80 10,00\n"
    mail = parse_message(raw)
    problem = next(problem for problem in mail.problems if problem.code == "charset_fallback")
    assert problem.blocking is False


# --- scanned images ------------------------------------------------------------------


def _png_of(pdf: bytes, scale: float = 200 / 72) -> bytes:
    document = pdfium.PdfDocument(pdf)
    try:
        image = document[0].render(scale=scale, grayscale=True).to_pil()
    finally:
        document.close()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(200, 200))
    return buffer.getvalue()


def test_image_without_ocr_goes_to_review() -> None:
    variant = _variant(_style("letterhead_left"), seed="scan")
    extraction = extract_document(_png_of(variant.pdf), "factuur-scan.png", today=TODAY, ocr=False)
    assert "image_not_read" in [problem.code for problem in extraction.problems]
    assert claim_report(extraction)["review"]


@pytest.mark.slow
@pytest.mark.skipif(not ocr_available(), reason="Tesseract with Dutch data (tesseract-ocr-nld) is not installed")
def test_image_ocr_values_below_threshold() -> None:
    variant = _variant(_style("letterhead_left", amount_style="euro"), seed="scan")
    extraction = extract_document(_png_of(variant.pdf), "factuur-scan.png", today=TODAY, ocr=True)
    invoice = extraction.invoices[0]
    assert invoice.number.value == variant.invoice.number
    assert invoice.total.value == variant.invoice.total
    assert not invoice.total.trusted
    assert not invoice.number.trusted
    assert "image_ocr" in [problem.code for problem in extraction.problems]


def test_broken_image_is_a_problem() -> None:
    extraction = extract_document(b"\x89PNG\r\n\x1a\nnot really", "factuur.png", today=TODAY, ocr=False)
    assert "image_unreadable" in [problem.code for problem in extraction.problems]


# --- e-invoices ----------------------------------------------------------------------


@pytest.mark.corpus
@requires_shared()
def test_missing_payment_means_is_a_warning() -> None:
    extraction = extract_document((EINVOICES / "siubl20_BR-NL-11_error_no_paymentmeans.xml").read_bytes(), "f.xml", today=TODAY)
    problem = next(problem for problem in extraction.problems if problem.code == "einvoice_no_payment_means")
    assert problem.blocking is False
    assert extraction.invoices[0].outstanding.value == Decimal("121.00")
    assert extraction.invoices[0].outstanding.trusted


@pytest.mark.corpus
@requires_shared()
def test_corrupted_zugferd_gives_problem() -> None:
    data = (EINVOICES / "zugferd2_mustang_corruptedV2PDF_MALFORMED.pdf").read_bytes()
    extraction = extract_document(data, "f.pdf", today=TODAY, ocr=False)
    assert "einvoice_embedded_unreadable" in [problem.code for problem in extraction.problems]


@pytest.mark.corpus
@requires_shared()
@pytest.mark.parametrize(
    ("name", "number", "total"),
    [
        ("zugferd1_mustang_RE-20170509_505.pdf", "RE-20170509/505", None),
        ("facturx_akretion_invoice_EN16931.pdf", None, None),
    ],
)
def test_factur_x_and_zugferd_read_from_xml(name: str, number: str | None, total: str | None) -> None:
    extraction = extract_document((EINVOICES / name).read_bytes(), name, today=TODAY, ocr=False)
    assert extraction.documents[0].kind == "einvoice"
    invoice = extraction.invoices[0]
    assert invoice.number.present
    assert invoice.total.present
    assert "#xpath=" in invoice.total.source
    if number is not None:
        assert invoice.number.value == number


@pytest.mark.corpus
@requires_shared()
def test_pdf_with_embedded_ubl_uses_xml() -> None:
    extraction = extract_document((INVOICES / "i2d_AzureInterior.pdf").read_bytes(), "azure.pdf", today=TODAY, ocr=False)
    invoice = extraction.invoices[0]
    assert invoice.number.value == "INV/2023/03/0008"
    assert invoice.total.value == Decimal("279.84")
    assert "UBL-Invoice-2.1.xml#xpath=" in invoice.total.source


@pytest.mark.corpus
@requires_shared()
def test_ubl_beside_its_pdf_is_one_claim() -> None:
    xml = (EINVOICES / "oca_efff_BE0505890632_160421_Inv_16117778.xml").read_bytes()
    pdf = (INVOICES / "oca_efff_BE0505890632_16117778_embedded.pdf").read_bytes()
    variant = _variant(_style("letterhead_left"), seed="twin")
    raw = _mail(
        variant,
        "facturen@exact.example",
        (ExampleAttachment("factuur.pdf", "invoice", pdf), ExampleAttachment("factuur.xml", "invoice", xml)),
    )
    extraction = extract_claim(parse_message(raw), today=TODAY, ocr=False)
    assert len(extraction.invoices) == 1
    assert extraction.invoices[0].number.value == "16117778"
    assert extraction.invoices[0].outstanding.value == Decimal("37.51")


def test_pdf_that_disagrees_with_its_xml_goes_to_review() -> None:
    variant = _variant(_style("letterhead_left"), seed="mismatch")
    invoice = variant.invoice
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:ID>{invoice.number}</cbc:ID><cbc:IssueDate>{invoice.date.isoformat()}</cbc:IssueDate>
 <cbc:DueDate>{invoice.due_date.isoformat()}</cbc:DueDate><cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
 <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
 <cac:TaxTotal><cbc:TaxAmount currencyID="EUR">{invoice.vat + 1}</cbc:TaxAmount></cac:TaxTotal>
 <cac:LegalMonetaryTotal><cbc:TaxExclusiveAmount currencyID="EUR">{invoice.subtotal}</cbc:TaxExclusiveAmount>
 <cbc:TaxInclusiveAmount currencyID="EUR">{invoice.total + 1}</cbc:TaxInclusiveAmount>
 <cbc:PayableAmount currencyID="EUR">{invoice.outstanding + 1}</cbc:PayableAmount></cac:LegalMonetaryTotal>
</Invoice>""".encode()
    raw = _mail(variant, variant.client.email, (ExampleAttachment("f.pdf", "invoice", variant.pdf), ExampleAttachment("f.xml", "invoice", xml)))
    extraction = extract_claim(parse_message(raw), today=TODAY, ocr=False)
    assert len(extraction.invoices) == 1
    assert extraction.invoices[0].total.value == invoice.total + 1
    mismatch = [problem for problem in extraction.problems if problem.code == "einvoice_pdf_mismatch"]
    assert [problem.field for problem in mismatch] == ["invoices[0].total"]


def test_generated_credit_note_not_a_claim() -> None:
    xml = b"""<?xml version="1.0"?><CreditNote xmlns="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:ID>CN-1</cbc:ID><cbc:IssueDate>2026-10-01</cbc:IssueDate><cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>
 <cac:LegalMonetaryTotal><cbc:PayableAmount currencyID="EUR">50.00</cbc:PayableAmount></cac:LegalMonetaryTotal></CreditNote>"""
    extraction = extract_document(xml, "credit.xml", today=TODAY)
    problem = next(problem for problem in extraction.problems if problem.code == "einvoice_credit_note")
    assert problem.blocking
    assert problem.field == "invoices[0].outstanding"


def test_doctype_in_xml_rejected() -> None:
    xml = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>'
    extraction = extract_document(xml, "bad.xml", today=TODAY)
    assert extraction.invoices == ()
    assert extraction.documents[0].kind == "other"


# --- the generated set ---------------------------------------------------------------


@pytest.mark.slow
def test_generated_set_exact_and_no_silent_errors(capsys: pytest.CaptureFixture[str]) -> None:
    run = run_generated(120, 4711, ocr=False)
    exact, total, silent = print_run(run)
    assert silent == 0, capsys.readouterr().out
    assert exact / total >= 0.98, capsys.readouterr().out


def test_review_lists_every_untrusted_field() -> None:
    variant = _variant(_style("letterhead_left"), seed="review")
    extraction = extract_document(variant.pdf, variant.filename, today=TODAY, ocr=False)
    lowered = replace(extraction, invoices=(replace(extraction.invoices[0], due_date=replace(extraction.invoices[0].due_date, confidence=0.5, note="test")),))
    fields = {entry["field"]: entry["reason"] for entry in claim_report(lowered)["review"]}
    assert "invoices[0].due_date" in fields
    assert "test" in fields["invoices[0].due_date"]
