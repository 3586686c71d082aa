"""Learning from staff corrections: the next invoice of the same client is read better."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import date, datetime, timezone
from email.headerregistry import Address

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from daemon.examples.mime import build_mime
from daemon.examples.models import ExampleAttachment
from daemon.examples.variants import LABELS_NL, InvoiceStyle, VariantInvoice, make_client, make_variant_invoice
from daemon_helpers import run_cli
from dossiers.blobs import put_blob
from dossiers.corrections import FieldCorrection, client_hints, record_correction
from dossiers.db import make_engine, make_session_factory
from dossiers.migrate import upgrade
from dossiers.models import Event, InboundMessage, ReviewItem
from parsers.extract import extract_claim, extract_document
from parsers.locate import locate_value
from parsers.mail import parse_message
from parsers.model import Extraction
from parsers.pdf import read_pdf
from tests.conftest import TODAY

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=timezone.utc)
# Labels the generic rules do not know: the client prints its invoice number as
# "Ons kenmerk" and its due date as "Uiterlijk voldaan op".
STYLE = InvoiceStyle(
    layout="letterhead_left",
    language="nl",
    labels={**{key: options[0] for key, options in LABELS_NL.items()}, "number": "Ons kenmerk", "due_date": "Uiterlijk voldaan op"},
    decoy_reference=False,
)


@pytest.fixture
def session(sqlite_url: str) -> Iterator[Session]:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    with make_session_factory(engine)() as session:
        yield session
    engine.dispose()


def _invoices(count: int) -> list[VariantInvoice]:
    client = make_client(random.Random("learning-client"))
    return [make_variant_invoice(random.Random(f"learning:{index}"), client, today=TODAY, style=STYLE) for index in range(count)]


def _read(invoice: VariantInvoice, hints: object = None) -> Extraction:
    return extract_document(invoice.pdf, invoice.filename, today=TODAY, ocr=False, hints=hints)  # type: ignore[arg-type]


def _correct(session: Session, invoice: VariantInvoice, field: str, kind: str, value: object, text: str) -> None:
    located = locate_value(read_pdf(invoice.pdf, source="attachment[0]:factuur.pdf"), kind, value)
    assert located is not None
    record_correction(
        session,
        client_email=invoice.client.email,
        field=field,
        value_before=None,
        value_after=text,
        corrected_by="test",
        at=NOW,
        source=located.source,
        label=located.label,
    )


def _trusted_right(extraction: Extraction, invoice: VariantInvoice) -> int:
    fields = extraction.invoices[0]
    checks = [
        (fields.number, invoice.invoice.number),
        (fields.due_date, invoice.invoice.due_date),
        (fields.date, invoice.invoice.date),
        (fields.total, invoice.invoice.total),
    ]
    return sum(1 for field, want in checks if field.trusted and field.value == want)


def test_unknown_labels_missed_without_hints() -> None:
    first = _invoices(1)[0]
    extraction = _read(first)
    assert not extraction.invoices[0].number.present
    assert not extraction.invoices[0].due_date.present


def test_locate_finds_label_of_value() -> None:
    first = _invoices(1)[0]
    located = locate_value(read_pdf(first.pdf, source="f.pdf"), "number", first.invoice.number)
    assert located is not None
    assert located.label == "Ons kenmerk"
    assert located.source.startswith("f.pdf#page=1;x0=")


def test_two_corrections_teach_labels(session: Session) -> None:
    first, second, third = _invoices(3)
    before = _read(third)

    for invoice in (first, second):
        _correct(session, invoice, "invoices[0].number", "number", invoice.invoice.number, invoice.invoice.number)
        _correct(session, invoice, "invoices[0].due_date", "due_date", invoice.invoice.due_date, invoice.invoice.due_date.isoformat())
    session.commit()
    hints = client_hints(session, third.client.email)
    after = _read(third, hints)

    assert {(label.field, label.label, label.corrections) for label in hints.labels} == {
        ("number", "ons kenmerk", 2),
        ("due_date", "uiterlijk voldaan op", 2),
    }
    assert after.invoices[0].number.value == third.invoice.number
    assert after.invoices[0].number.trusted
    assert after.invoices[0].due_date.value == third.invoice.due_date
    assert after.invoices[0].due_date.trusted
    assert _trusted_right(after, third) == _trusted_right(before, third) + 2


def test_one_correction_is_not_enough(session: Session) -> None:
    first, second = _invoices(2)
    _correct(session, first, "invoices[0].number", "number", first.invoice.number, first.invoice.number)
    session.commit()

    after = _read(second, client_hints(session, second.client.email))

    assert not after.invoices[0].number.trusted


def test_known_client_values_fill_client(session: Session) -> None:
    first = _invoices(1)[0]
    client = first.client
    for field, value in (("client.kvk", client.kvk), ("client.iban", client.iban), ("client.name", client.name)):
        record_correction(session, client_email=client.email, field=field, value_before=None, value_after=str(value), corrected_by="test", at=NOW)
    session.commit()
    raw = (
        f"From: {client.email}\nTo: info@alertincasso.nl\nSubject: Incasso\nContent-Type: text/plain; charset=utf-8\n\n"
        "Debiteur: Jansen Transport B.V.\nAdres: Havenweg 4, 3011 AB Rotterdam\nFactuurnummer: 2026-0412\n"
        "Factuurdatum: 02-09-2026\nVervaldatum: 02-10-2026\nOpenstaand bedrag: € 1.234,56\n"
    ).encode()
    mail = parse_message(raw)

    without = extract_claim(mail, today=TODAY, ocr=False)
    with_hints = extract_claim(mail, today=TODAY, ocr=False, hints=client_hints(session, client.email))

    assert not without.client.kvk.present
    assert with_hints.client.kvk.value == client.kvk
    assert with_hints.client.kvk.trusted
    assert with_hints.client.iban.value == client.iban
    assert with_hints.client.name.value == client.name
    assert with_hints.client.name.trusted


def test_contradicting_document_value_is_questioned(session: Session) -> None:
    first = _invoices(1)[0]
    record_correction(session, client_email=first.client.email, field="client.iban", value_before=None, value_after="NL91ABNA0417164300", corrected_by="test", at=NOW)
    session.commit()

    extraction = _read(first, client_hints(session, first.client.email))

    assert extraction.client.iban.value == first.client.iban
    assert not extraction.client.iban.trusted
    assert "NL91ABNA0417164300" in extraction.client.iban.note


def test_invalid_field_path_rejected(session: Session) -> None:
    with pytest.raises(ValueError, match="invalid field path"):
        record_correction(session, client_email="a@b.example", field="invoice.total", value_before=None, value_after="1", corrected_by="x", at=NOW)


def test_correct_command_stores_and_logs(sqlite_url: str) -> None:
    invoice = _invoices(1)[0]
    raw = build_mime(
        sender=Address("Administratie", *invoice.client.email.split("@")),
        subject="Incasso-opdracht",
        moment=NOW,
        message_id="<learning-1@example>",
        body="Graag deze factuur incasseren.",
        attachments=(ExampleAttachment(filename="factuur.pdf", role="invoice", content=invoice.pdf),),
        boundary_prefix="=_learning",
    )
    mail = parse_message(raw)
    extraction = extract_claim(mail, today=TODAY, ocr=False)
    engine = make_engine(sqlite_url)
    upgrade(engine)
    with make_session_factory(engine)() as session:
        digest = put_blob(session, raw, NOW)
        inbound = InboundMessage(
            source_key="test:1", mailbox="INBOX", server_key="1", raw_sha256=digest, size=len(raw),
            from_address=mail.from_address, fetched_at=NOW, status="done",
        )
        session.add(inbound)
        session.flush()
        item = ReviewItem(inbound_id=inbound.id, status="open", reasons=[], extraction=extraction.to_json(), created_at=NOW)
        session.add(item)
        session.commit()
        item_id = item.id
    env = {"INCASSO_DATABASE_URL": sqlite_url, "INCASSO_TODAY": TODAY.isoformat()}

    result = run_cli(["correct", str(item_id), "invoices[0].number", invoice.invoice.number, "--by", "Anna"], env)
    bad = run_cli(["correct", str(item_id), "invoices[0].amount_total", "veel"], env)
    missing = run_cli(["correct", "999", "invoices[0].number", "1"], env)

    assert result.returncode == 0, result.stderr
    assert "Ons kenmerk" in result.stdout
    assert bad.returncode == 2
    assert "Ongeldig bedrag" in bad.stderr
    assert missing.returncode == 1
    with make_session_factory(engine)() as session:
        correction = session.execute(select(FieldCorrection)).scalar_one()
        event = session.execute(select(Event).where(Event.kind == "field_corrected")).scalar_one()
    engine.dispose()
    assert correction.client_email == invoice.client.email
    assert correction.value_before is None
    assert correction.value_after == invoice.invoice.number
    assert correction.label == "Ons kenmerk"
    assert correction.corrected_by == "Anna"
    assert correction.source is not None and "#page=1;" in correction.source
    assert event.actor == "Anna"
    assert json.loads(json.dumps(event.data))["after"] == invoice.invoice.number
    assert event.data["field"] == "invoices[0].number"
