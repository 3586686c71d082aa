"""Staff actions on a review item: correct a field, approve, reject, or attach it.

Shared by the CLI and the web desk, so both apply the same rules. Every action runs in
the caller's transaction and leaves an Event with the member of staff as actor. A
correction is also stored per client, so the next invoice of that client is read
better (see dossiers.corrections).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dossiers.blobs import get_blob
from dossiers.corrections import record_correction
from dossiers.intake import finish_message, open_dossier, store_documents
from dossiers.intake_rules import IntakeDecision
from dossiers.matching import known_client
from dossiers.models import Claim, Document, Dossier, Event, InboundMessage, ReviewItem
from dossiers.numbers import parse_number
from parsers.dutch import is_valid_iban, is_valid_kvk, normalise_iban, normalise_kvk, parse_amount, parse_date
from parsers.mail import parse_message
from parsers.model import Extraction, Field, InvoiceFields, Party

logger = logging.getLogger(__name__)

_INVOICE_PATH = re.compile(r"^invoices\[(\d+)\]\.(\w+)$")
# Field paths as `incasso extract` reports them -> names in the stored extraction.
_STORED_NAMES = {"amount_total": "total", "amount_vat": "vat", "amount_outstanding": "outstanding"}
_DEBTOR_KINDS = {"bedrijf": "business", "business": "business", "consument": "consumer", "consumer": "consumer"}

PARTY_LABELS = {
    "name": "Naam",
    "kind": "Soort",
    "contact": "Contactpersoon",
    "kvk": "KvK-nummer",
    "vat_id": "Btw-id",
    "iban": "IBAN",
    "email": "E-mail",
    "phone": "Telefoon",
    "street": "Straat en huisnummer",
    "postcode": "Postcode",
    "city": "Plaats",
    "country": "Land",
}
INVOICE_LABELS = {
    "number": "Factuurnummer",
    "date": "Factuurdatum",
    "due_date": "Vervaldatum",
    "amount_total": "Totaalbedrag",
    "amount_vat": "Btw",
    "amount_outstanding": "Openstaand bedrag",
    "currency": "Valuta",
}
STAFF_CONFIDENCE = 1.0


class ReviewActionError(ValueError):
    """An action staff cannot take on this item; the message is Dutch and gives the reason."""


@dataclass(frozen=True)
class FieldRow:
    path: str
    label: str
    value: str
    confidence: float
    source: str
    note: str
    trusted: bool


@dataclass(frozen=True)
class Approval:
    dossier: Dossier
    newly_opened: bool
    inbound_id: int | None


def field_rows(item: ReviewItem) -> list[FieldRow]:
    """List every extracted field of the item with its confidence and place in the document."""
    data = item.extraction or {}
    rows: list[FieldRow] = []
    for party in ("client", "debtor"):
        for name, label in PARTY_LABELS.items():
            if party == "client" and name in ("kind", "contact"):
                continue
            stored = (data.get(party) or {}).get(name) or {}
            rows.append(_row(f"{party}.{name}", f"{'Opdrachtgever' if party == 'client' else 'Debiteur'}: {label}", stored))
    for index, invoice in enumerate(data.get("invoices") or []):
        for name, label in INVOICE_LABELS.items():
            stored = invoice.get(_STORED_NAMES.get(name, name)) or {}
            rows.append(_row(f"invoices[{index}].{name}", f"Factuur {index + 1}: {label}", stored))
    return rows


def parse_field_value(path: str, text: str) -> Any:
    """Parse what staff typed for `path`; raise ReviewActionError when it does not fit."""
    match = _INVOICE_PATH.match(path)
    name = match.group(2) if match else path.rpartition(".")[2]
    if not (match or path.startswith(("client.", "debtor."))):
        raise ReviewActionError(f"Onbekend veld {path!r}; gebruik bijvoorbeeld invoices[0].due_date, client.kvk of debtor.name.")
    if match and name.startswith("amount_"):
        amount = parse_amount(text)
        if amount is None:
            raise ReviewActionError(f"Ongeldig bedrag {text!r}; schrijf bijvoorbeeld 1.234,56.")
        return amount
    if match and name in ("date", "due_date"):
        parsed = parse_date(text)
        if parsed is None:
            raise ReviewActionError(f"Ongeldige datum {text!r}; schrijf bijvoorbeeld 03-04-2024.")
        return parsed
    if name == "kvk":
        if not is_valid_kvk(text):
            raise ReviewActionError(f"Ongeldig KvK-nummer {text!r}; een KvK-nummer heeft 8 cijfers.")
        return normalise_kvk(text)
    if name == "iban":
        if not is_valid_iban(text):
            raise ReviewActionError(f"Ongeldig IBAN {text!r}; de controle op het nummer klopt niet.")
        return normalise_iban(text)
    if path == "debtor.kind":
        if text.strip().lower() not in _DEBTOR_KINDS:
            raise ReviewActionError(f"Onbekende soort {text!r}; kies bedrijf of consument.")
        return _DEBTOR_KINDS[text.strip().lower()]
    if not text.strip():
        raise ReviewActionError("Lege waarde; vul de juiste waarde in.")
    return text.strip()


def correct_field(
    session: Session,
    item_id: int,
    path: str,
    value_text: str,
    *,
    actor: str,
    now: datetime,
    source: str = "",
    label: str = "",
) -> None:
    """Set one field of the item's extraction to what staff typed, and remember it per client.

    `source` and `label` give where the right value is printed in the document and the
    label in front of it, when the caller found it; the extractor learns from them.
    """
    item = _open_item(session, item_id)
    value = parse_field_value(path, value_text)
    data = dict(item.extraction or {"client": {}, "debtor": {}, "invoices": [], "documents": [], "problems": []})
    before, read_from = _stored(data, path)
    text = _text(value)
    _store(data, path, {"value": text, "confidence": STAFF_CONFIDENCE, "source": f"staff:{actor}", "note": "gecorrigeerd door een medewerker"})
    item.extraction = data  # a new dict, so the JSON column is written

    inbound = session.get(InboundMessage, item.inbound_id) if item.inbound_id else None
    correction = record_correction(
        session,
        client_email=inbound.from_address if inbound else "",
        field=path,
        value_before=before,
        value_after=text,
        corrected_by=actor,
        at=now,
        source=source or read_from or None,
        label=label or None,
        dossier_id=item.dossier_id,
        review_item_id=item.id,
    )
    session.add(
        Event(
            dossier_id=item.dossier_id,
            inbound_id=item.inbound_id,
            kind="field_corrected",
            actor=actor[:100],
            at=now,
            data={"field": path, "before": before, "after": text, "review_item": item.id, "correction": correction.id},
        )
    )


def approve(session: Session, item_id: int, *, actor: str, now: datetime, today: date, debtor_kind: str | None = None) -> Approval:
    """Accept the item as staff checked it.

    An intake or triage item with claim data opens its dossier (or completes the one
    already opened in review) from the checked fields; a follow-up or task item is
    marked handled and its dossier resumes when no other open item pauses it. Raises
    ReviewActionError when required claim data is still missing.
    """
    item = _open_item(session, item_id)
    if debtor_kind is not None:
        correct_field(session, item_id, "debtor.kind", debtor_kind, actor=actor, now=now)

    if item.kind in ("followup", "task"):
        dossier = _dossier_of(session, item)
        _resolve(item, "approved", now)
        _resume_if_free(session, dossier)
        session.add(Event(dossier_id=dossier.id, inbound_id=item.inbound_id, kind="review_handled", actor=actor, at=now, data={"item": item.id}))
        return Approval(dossier, newly_opened=False, inbound_id=item.inbound_id)

    extraction = _confirmed(extraction_from_json(item.extraction or {}))
    _require_complete(extraction)
    inbound = session.get(InboundMessage, item.inbound_id) if item.inbound_id else None

    if item.dossier_id is not None:
        dossier = _dossier_of(session, item)
        _replace_claims(session, dossier, extraction)
        _update_debtor(dossier, extraction.debtor)
        dossier.status = "active"
        dossier.phase_checked_on = None
        newly_opened = False
    else:
        if inbound is None:
            raise ReviewActionError("Bij deze controle hoort geen bericht; open het dossier handmatig.")
        client = known_client(session, inbound.from_address)
        if client is None:
            raise ReviewActionError(f"Afzender {inbound.from_address} is geen bekende opdrachtgever; registreer de afzender eerst.")
        documents = _documents_of(session, inbound, extraction, now)
        dossier = open_dossier(session, inbound, extraction, IntakeDecision("dossier", (), True), documents, client=client, now=now, today=today)
        finish_message(inbound, "dossier", "approved_by_staff", dossier.id, now)
        newly_opened = True

    _resolve(item, "approved", now)
    session.add(Event(dossier_id=dossier.id, inbound_id=item.inbound_id, kind="review_approved", actor=actor, at=now, data={"item": item.id}))
    session.flush()
    logger.info("review item %s approved; dossier %s %s", item.id, dossier.number, "opened" if newly_opened else "activated")
    return Approval(dossier, newly_opened, item.inbound_id)


def reject(session: Session, item_id: int, reason: str, *, actor: str, now: datetime) -> None:
    """Decline the item; a dossier opened for it in review is closed, nothing is sent."""
    if not reason.strip():
        raise ReviewActionError("Geef een reden op voor het afwijzen.")
    item = _open_item(session, item_id)
    _resolve(item, "rejected", now)
    if item.dossier_id is not None and item.kind == "intake":
        dossier = _dossier_of(session, item)
        if dossier.status == "review":
            dossier.status = "closed"
    session.add(
        Event(dossier_id=item.dossier_id, inbound_id=item.inbound_id, kind="review_rejected", actor=actor, at=now, data={"item": item.id, "reason": reason.strip()[:500]})
    )


def attach(session: Session, item_id: int, dossier_number: str, *, actor: str, now: datetime) -> Dossier:
    """Link a triaged message (and its attachments) to an existing dossier."""
    item = _open_item(session, item_id)
    number = parse_number(dossier_number)
    if number is None:
        raise ReviewActionError(f"{dossier_number!r} is geen geldig dossiernummer (controleer het controlecijfer).")
    dossier = session.execute(select(Dossier).where(Dossier.number == number)).scalar_one_or_none()
    if dossier is None:
        raise ReviewActionError(f"Dossier {number} bestaat niet.")
    inbound = session.get(InboundMessage, item.inbound_id) if item.inbound_id else None
    if inbound is not None:
        for document in _documents_of(session, inbound, extraction_from_json(item.extraction or {}), now).values():
            document.dossier_id = dossier.id
        inbound.outcome = "dossier"
        inbound.dossier_id = dossier.id
        inbound.reason = "attached_by_staff"
    item.dossier_id = dossier.id
    _resolve(item, "attached", now)
    session.add(Event(dossier_id=dossier.id, inbound_id=item.inbound_id, kind="message_attached", actor=actor, at=now, data={"item": item.id}))
    return dossier


def extraction_from_json(data: dict[str, Any]) -> Extraction:
    """Rebuild an Extraction from its stored JSON form (Extraction.to_json)."""

    def field(stored: Any, kind: str = "text") -> Field[Any]:
        if not isinstance(stored, dict) or stored.get("value") in (None, ""):
            return Field()
        value: Any = stored["value"]
        try:
            if kind == "date":
                value = date.fromisoformat(str(value))
            elif kind == "money":
                value = Decimal(str(value))
            elif kind == "int":
                value = int(value)
        except (ValueError, InvalidOperation):
            return Field(None, 0.0, str(stored.get("source", "")), f"onleesbare waarde {value!r}")
        return Field(value, float(stored.get("confidence", 0.0)), str(stored.get("source", "")), str(stored.get("note", "")))

    def party(stored: dict[str, Any]) -> Party:
        return Party(**{name: field(stored.get(name)) for name in Party.__dataclass_fields__})

    invoices = []
    for stored in data.get("invoices") or []:
        invoices.append(
            InvoiceFields(
                number=field(stored.get("number")),
                date=field(stored.get("date"), "date"),
                due_date=field(stored.get("due_date"), "date"),
                payment_term_days=field(stored.get("payment_term_days"), "int"),
                subtotal=field(stored.get("subtotal"), "money"),
                vat=field(stored.get("vat"), "money"),
                total=field(stored.get("total"), "money"),
                outstanding=field(stored.get("outstanding"), "money"),
                currency=field(stored.get("currency")),
                document_index=stored.get("document_index"),
            )
        )
    return Extraction(party(data.get("client") or {}), party(data.get("debtor") or {}), tuple(invoices), ())


def _confirmed(extraction: Extraction) -> Extraction:
    """Return the extraction with every present value raised to staff confidence."""

    def sure(value: Field[Any]) -> Field[Any]:
        return Field(value.value, STAFF_CONFIDENCE, value.source, value.note) if value.present else value

    def party(value: Party) -> Party:
        return Party(**{name: sure(getattr(value, name)) for name in Party.__dataclass_fields__})

    invoices = tuple(
        InvoiceFields(**{name: (sure(getattr(invoice, name)) if name != "document_index" else invoice.document_index) for name in InvoiceFields.__dataclass_fields__})
        for invoice in extraction.invoices
    )
    return Extraction(party(extraction.client), party(extraction.debtor), invoices, extraction.documents)


def _require_complete(extraction: Extraction) -> None:
    missing: list[str] = []
    debtor = extraction.debtor
    if not debtor.name.present:
        missing.append("naam van de debiteur")
    if debtor.kind.value not in ("business", "consumer"):
        missing.append("soort debiteur (bedrijf of consument)")
    if not (debtor.street.present and debtor.postcode.present and debtor.city.present) and not debtor.email.present:
        missing.append("adres of e-mailadres van de debiteur")
    if not extraction.invoices:
        missing.append("een factuur")
    for index, invoice in enumerate(extraction.invoices, start=1):
        if not invoice.number.present:
            missing.append(f"factuurnummer van factuur {index}")
        if not (invoice.outstanding.present or invoice.total.present):
            missing.append(f"bedrag van factuur {index}")
        if not invoice.date.present:
            missing.append(f"factuurdatum van factuur {index}")
        if not invoice.due_date.present:
            missing.append(f"vervaldatum van factuur {index}")
    if missing:
        raise ReviewActionError("Nog niet compleet: " + ", ".join(missing) + ".")


def _replace_claims(session: Session, dossier: Dossier, extraction: Extraction) -> None:
    session.execute(delete(Claim).where(Claim.dossier_id == dossier.id))
    for invoice in extraction.invoices:
        amount = invoice.outstanding.value if invoice.outstanding.present else invoice.total.value
        session.add(
            Claim(
                dossier_id=dossier.id,
                invoice_number=str(invoice.number.value)[:100],
                invoice_date=invoice.date.value,
                due_date=invoice.due_date.value,
                total=invoice.total.value,
                principal=amount,
                currency=invoice.currency.value or "EUR",
            )
        )
    session.flush()
    session.expire(dossier, ["claims"])


def _update_debtor(dossier: Dossier, party: Party) -> None:
    debtor = dossier.debtor
    for attribute in ("name", "kind", "contact", "street", "postcode", "city", "email", "kvk"):
        value = getattr(party, attribute)
        if value.present:
            setattr(debtor, attribute, str(value.value))


def _documents_of(session: Session, inbound: InboundMessage, extraction: Extraction, now: datetime) -> dict[int, Document]:
    existing = session.execute(select(Document).where(Document.inbound_id == inbound.id)).scalars().all()
    if existing:
        return {document.part_index: document for document in existing}
    mail = parse_message(get_blob(session, inbound.raw_sha256))
    return store_documents(session, inbound, mail, extraction, now)


def _resume_if_free(session: Session, dossier: Dossier) -> None:
    others = session.execute(
        select(ReviewItem.id).where(ReviewItem.dossier_id == dossier.id, ReviewItem.status == "open")
    ).first()
    if others is None and dossier.status == "review":
        dossier.status = "active"
        dossier.phase_checked_on = None


def _open_item(session: Session, item_id: int) -> ReviewItem:
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise ReviewActionError(f"Controle {item_id} bestaat niet.")
    if item.status != "open":
        raise ReviewActionError(f"Controle {item_id} is al afgehandeld ({item.status}).")
    return item


def _dossier_of(session: Session, item: ReviewItem) -> Dossier:
    dossier = session.get(Dossier, item.dossier_id) if item.dossier_id else None
    if dossier is None:
        raise ReviewActionError(f"Bij controle {item.id} hoort geen dossier.")
    return dossier


def _resolve(item: ReviewItem, status: str, now: datetime) -> None:
    item.status = status
    item.resolved_at = now


def _row(path: str, label: str, stored: Any) -> FieldRow:
    stored = stored if isinstance(stored, dict) else {}
    value = stored.get("value")
    confidence = float(stored.get("confidence", 0.0) or 0.0)
    present = value not in (None, "")
    return FieldRow(
        path=path,
        label=label,
        value="" if value is None else str(value),
        confidence=confidence,
        source=str(stored.get("source", "")),
        note=str(stored.get("note", "")),
        trusted=present and confidence >= 0.8,
    )


def _stored(data: dict[str, Any], path: str) -> tuple[str | None, str]:
    match = _INVOICE_PATH.match(path)
    if match:
        invoices = data.get("invoices") or []
        position = int(match.group(1))
        stored = (invoices[position].get(_STORED_NAMES.get(match.group(2), match.group(2))) or {}) if position < len(invoices) else {}
    else:
        party, _, name = path.partition(".")
        stored = (data.get(party) or {}).get(name) or {}
    value = stored.get("value") if isinstance(stored, dict) else None
    return (None if value is None else str(value)), (stored.get("source", "") if isinstance(stored, dict) else "")


def _store(data: dict[str, Any], path: str, value: dict[str, Any]) -> None:
    match = _INVOICE_PATH.match(path)
    if match:
        invoices = [dict(invoice) for invoice in data.get("invoices") or []]
        position = int(match.group(1))
        while len(invoices) <= position:
            invoices.append({"document_index": None})
        invoices[position][_STORED_NAMES.get(match.group(2), match.group(2))] = value
        data["invoices"] = invoices
        return
    party, _, name = path.partition(".")
    section = dict(data.get(party) or {})
    section[name] = value
    data[party] = section


def _text(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
