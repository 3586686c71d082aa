"""`incasso extract`: the JSON shape and values of a mail, a PDF and e-invoices, through the real command."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from daemon.examples import build_example_mail, render_invoice_pdf
from daemon_helpers import run_cli
from tests.conftest import TODAY
from tests.shared_paths import SHARED, requires_shared

EINVOICES = SHARED / "corpus" / "einvoices"
CLIENT_KEYS = {"name", "kvk", "vat_id", "iban", "email", "street", "postcode", "city", "country"}
DEBTOR_KEYS = {"name", "kind", "contact", "street", "postcode", "city", "country", "kvk"}
INVOICE_KEYS = {"number", "date", "due_date", "amount_total", "amount_vat", "amount_outstanding", "currency"}


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"INCASSO_DATABASE_URL": f"sqlite:///{tmp_path / 'incasso.db'}", "INCASSO_TODAY": TODAY.isoformat()}


def _extract_json(files: list[Path], env: dict[str, str]) -> object:
    result = run_cli(["extract", "--no-ocr", *map(str, files), "--json"], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_mail_json_shape_and_values(tmp_path: Path, env: dict[str, str]) -> None:
    example = build_example_mail(0, seed=7, today=TODAY)
    path = tmp_path / "claim.eml"
    path.write_bytes(example.raw)

    report = _extract_json([path], env)

    assert isinstance(report, dict)
    assert set(report) == {"client", "debtor", "invoices", "documents", "body_only", "review"}
    assert set(report["client"]) == CLIENT_KEYS
    assert set(report["debtor"]) == DEBTOR_KEYS
    invoice = example.invoices[0]
    got = report["invoices"][0]
    assert set(got) == INVOICE_KEYS
    assert got["number"] == invoice.number
    assert got["date"] == invoice.date.isoformat()
    assert got["due_date"] == invoice.due_date.isoformat()
    assert got["amount_total"] == f"{invoice.total:.2f}"
    assert got["amount_vat"] == f"{invoice.vat:.2f}"
    assert got["amount_outstanding"] == f"{invoice.outstanding:.2f}"
    assert got["currency"] == "EUR"
    assert report["client"]["kvk"] == example.client.kvk
    assert report["client"]["iban"] == example.client.iban
    assert report["client"]["email"] == example.client.email
    assert report["debtor"]["name"] == example.debtor.name
    assert report["debtor"]["kind"] == "business"
    assert report["documents"] == [{"filename": example.attachments[0].filename, "kind": "invoice"}]
    assert report["body_only"] is False
    assert report["review"] == []


def test_pdf_and_array_in_file_order(tmp_path: Path, env: dict[str, str]) -> None:
    first = build_example_mail(1, seed=7, today=TODAY)
    second = build_example_mail(0, seed=7, today=TODAY)
    paths = []
    for name, example in (("a.pdf", first), ("b.pdf", second)):
        path = tmp_path / name
        path.write_bytes(render_invoice_pdf(example.client, example.debtor, example.invoices[0], layout="compact"))
        paths.append(path)

    reports = _extract_json(paths, env)

    assert isinstance(reports, list)
    assert [report["invoices"][0]["number"] for report in reports] == [first.invoices[0].number, second.invoices[0].number]
    assert [report["documents"][0]["filename"] for report in reports] == ["a.pdf", "b.pdf"]
    # A PDF without a mail has no sender, so its client e-mail is absent but not a review reason.
    assert reports[0]["client"]["email"] is None
    assert all(entry["field"] != "client.email" for entry in reports[0]["review"])


def test_body_only_claim(tmp_path: Path, env: dict[str, str]) -> None:
    raw = (
        "From: Bakkerij Smit <info@bakkerij-smit.example>\nTo: info@alertincasso.nl\nSubject: Incasso\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        "Goedemiddag,\n\nDebiteur: Jansen Transport B.V.\nAdres: Havenweg 4, 3011 AB Rotterdam\n"
        "Factuurnummer: 2026-0412\nFactuurdatum: 02-09-2026\nVervaldatum: 02-10-2026\n"
        "Openstaand bedrag: € 1.234,56\n\nMet vriendelijke groet,\nBakkerij Smit B.V.\nKvK 12345678\n"
    ).encode()
    path = tmp_path / "body.eml"
    path.write_bytes(raw)

    report = _extract_json([path], env)

    assert report["body_only"] is True
    assert report["invoices"][0]["number"] == "2026-0412"
    assert report["invoices"][0]["amount_outstanding"] == "1234.56"
    assert report["invoices"][0]["due_date"] == "2026-10-02"
    assert report["documents"] == []


def test_human_summary_in_dutch(tmp_path: Path, env: dict[str, str]) -> None:
    example = build_example_mail(4, seed=7, today=TODAY)  # a consumer debtor: always reviewed
    path = tmp_path / "consument.eml"
    path.write_bytes(example.raw)

    result = run_cli(["extract", "--no-ocr", str(path)], env)

    assert result.returncode == 0, result.stderr
    assert f"Factuur {example.invoices[0].number}" in result.stdout
    assert "Debiteur:" in result.stdout
    assert "(consument)" in result.stdout
    assert "Te controleren:" in result.stdout
    assert "debtor.kind" in result.stdout


def test_missing_file_fails_with_message(tmp_path: Path, env: dict[str, str]) -> None:
    result = run_cli(["extract", str(tmp_path / "nergens.pdf")], env)
    assert result.returncode == 1
    assert "nergens.pdf" in result.stderr


@pytest.mark.corpus
@requires_shared()
def test_credit_note_is_not_a_claim(env: dict[str, str]) -> None:
    report = _extract_json([EINVOICES / "siubl20_BR-NL-8_ok_381_creditnote.xml"], env)
    reasons = {entry["field"]: entry["reason"] for entry in report["review"]}
    assert "creditnota" in reasons["invoices[0].amount_outstanding"]
    assert report["invoices"][0]["amount_total"] == "227.00"


@pytest.mark.corpus
@requires_shared()
def test_cii_and_factur_x(env: dict[str, str]) -> None:
    cii, facturx = _extract_json(
        [EINVOICES / "nlcius_cii_ok_example.xml", EINVOICES / "facturx_mustang_validXRechnung.pdf"], env
    )
    assert cii["invoices"][0] == {
        "number": "1100512149",
        "date": "2014-11-10",
        "due_date": "2014-11-24",
        "amount_total": "1099.78",
        "amount_vat": "190.87",
        "amount_outstanding": "1099.78",
        "currency": "EUR",
    }
    assert cii["client"]["kvk"] == "17131139"
    assert cii["client"]["iban"] == "NL28RBOS0420242228"
    assert cii["review"] == []
    # The XML is the truth; the sample's printed page shows another number and total.
    assert facturx["invoices"][0]["number"] == "RE-20190610/507"
    assert Decimal(facturx["invoices"][0]["amount_total"]) == Decimal("571.04")
    assert {entry["field"] for entry in facturx["review"]} >= {"invoices[0].number", "invoices[0].amount_total"}
