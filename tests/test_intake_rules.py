"""Intake rules: automatic mail is ignored, unsure values go to review, complete claims open."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from dossiers.intake_rules import automatic_reason, decide
from parsers.model import Extraction, Field, InvoiceFields, ParsedMail, Party, Problem

TODAY = date(2026, 12, 4)
SURE = 0.95


def sure(value: object) -> Field[object]:
    return Field(value, SURE, "attachment[0]:factuur.pdf#page=1")


def make_mail(**headers: str) -> ParsedMail:
    return ParsedMail(
        message_id="<m1@example.nl>",
        from_address=headers.pop("from_address", "administratie@example.nl"),
        from_name="Administratie",
        to_addresses=("info@alertincasso.nl",),
        reply_to="",
        subject="Factuur 2026-0012",
        date_header="",
        in_reply_to="",
        references=(),
        headers={key.replace("_", "-"): value for key, value in headers.items()},
        text_body="",
        html_body="",
        attachments=(),
    )


def complete_extraction() -> Extraction:
    debtor = Party(
        name=sure("Café De Zwaan V.O.F."),
        kind=sure("business"),
        street=sure("Kerkstraat 12"),
        postcode=sure("3511 AB"),
        city=sure("Utrecht"),
    )
    invoice = InvoiceFields(
        number=sure("2026-0012"),
        date=sure(date(2026, 9, 1)),
        due_date=sure(date(2026, 10, 1)),
        total=sure(Decimal("378.13")),
        currency=sure("EUR"),
        document_index=0,
    )
    return Extraction(client=Party(name=sure("Hoekstra B.V.")), debtor=debtor, invoices=(invoice,), documents=())


def test_complete_business_claim_opens_active_dossier() -> None:
    decision = decide(make_mail(), complete_extraction(), today=TODAY)
    assert decision.outcome == "dossier"
    assert decision.open_dossier is True
    assert decision.reasons == ()


def test_confirmed_consumer_debtor_opens_active_dossier() -> None:
    extraction = complete_extraction()
    extraction = replace(extraction, debtor=replace(extraction.debtor, kind=sure("consumer")))
    decision = decide(make_mail(), extraction, today=TODAY)
    assert decision.outcome == "dossier"
    assert decision.reasons == ()


def test_unsure_consumer_debtor_goes_to_review() -> None:
    extraction = complete_extraction()
    unsure = Field("consumer", 0.6, "attachment[0]:factuur.pdf#page=1", "geen rechtsvorm")
    extraction = replace(extraction, debtor=replace(extraction.debtor, kind=unsure))
    decision = decide(make_mail(), extraction, today=TODAY)
    assert decision.outcome == "review"
    assert decision.open_dossier is True
    assert [reason.code for reason in decision.reasons] == ["debtor_kind_unsure"]


def test_unsure_amount_is_never_acted_on() -> None:
    extraction = complete_extraction()
    invoice = replace(extraction.invoices[0], total=Field(Decimal("378.13"), 0.4, "ocr:page=1", "OCR"))
    decision = decide(make_mail(), replace(extraction, invoices=(invoice,)), today=TODAY)
    assert decision.outcome == "review"
    reason = decision.reasons[0]
    assert reason.code == "invoice_outstanding_unsure"
    assert reason.source == "ocr:page=1"
    assert "Openstaand bedrag" in reason.message


def test_no_invoice_opens_no_dossier() -> None:
    extraction = replace(complete_extraction(), invoices=())
    decision = decide(make_mail(), extraction, today=TODAY)
    assert decision.outcome == "review"
    assert decision.open_dossier is False
    assert decision.reasons[0].code == "no_invoice_found"


def test_not_yet_due_invoice_goes_to_review() -> None:
    extraction = complete_extraction()
    invoice = replace(extraction.invoices[0], due_date=sure(date(2026, 12, 20)))
    decision = decide(make_mail(), replace(extraction, invoices=(invoice,)), today=TODAY)
    assert [reason.code for reason in decision.reasons] == ["not_yet_due"]


def test_parser_problem_is_a_review_reason_unless_a_warning() -> None:
    extraction = replace(
        complete_extraction(),
        problems=(
            Problem("charset_fallback", "Tekenset gegokt", blocking=False),
            Problem("pdf_no_text_layer", "De PDF heeft geen tekstlaag", source="attachment[1]"),
        ),
    )
    decision = decide(make_mail(), extraction, today=TODAY)
    assert [reason.code for reason in decision.reasons] == ["pdf_no_text_layer"]


def test_missing_address_and_email_goes_to_review() -> None:
    extraction = complete_extraction()
    debtor = replace(extraction.debtor, street=Field(), postcode=Field(), city=Field())
    decision = decide(make_mail(), replace(extraction, debtor=debtor), today=TODAY)
    assert [reason.code for reason in decision.reasons] == ["debtor_address_missing"]


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({"auto_submitted": "auto-replied"}, "auto_reply"),
        ({"x_auto_response_suppress": "All"}, "auto_reply"),
        ({"precedence": "bulk"}, "bulk_mail"),
        ({"list_id": "<news.example.nl>"}, "bulk_mail"),
        ({"return_path": "<>"}, "bounce"),
        ({"from_address": "MAILER-DAEMON@mx.example.nl".lower()}, "bounce"),
        ({"x_incasso_loop": "info@alertincasso.nl"}, "own_mail"),
        ({"from_address": "info@alertincasso.nl"}, "own_mail"),
    ],
)
def test_automatic_mail_is_recognised(headers: dict[str, str], code: str) -> None:
    reason = automatic_reason(make_mail(**headers), frozenset({"info@alertincasso.nl"}))
    assert reason is not None
    assert reason.code == code


def test_person_mail_is_not_automatic() -> None:
    assert automatic_reason(make_mail(auto_submitted="no"), frozenset({"info@alertincasso.nl"})) is None
