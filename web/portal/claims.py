"""A new claim typed into the portal, handed to the same intake as a claim sent by e-mail.

The form becomes an RFC 5322 message from the client's registered address, with the
invoice PDFs attached and the typed facts as "Label: waarde" lines that the mail body
parser reads. It is stored with `dossiers.inbound.store_raw` under the source key
``portal#<uuid>``, so the intake worker processes it exactly like mail: it opens a
dossier and replies, or puts it in review for staff.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from sqlalchemy.orm import Session

from dossiers.inbound import RawMessage, store_raw
from dossiers.models import Client, Event
from web.portal.actions import PortalActionError, Upload, check_upload, clean_filename

logger = logging.getLogger(__name__)

MAX_INVOICES = 5


@dataclass(frozen=True)
class InvoiceInput:
    number: str
    invoice_date: date | None
    due_date: date | None
    amount: Decimal | None
    pdf: Upload | None


@dataclass(frozen=True)
class DebtorInput:
    name: str
    kind: str  # "business" | "consumer"
    contact: str
    street: str
    postcode_city: str
    email: str
    kvk: str


def _line(label: str, value: str) -> str:
    # One line per fact: a line break typed into a field must not start a new label.
    return f"{label}: {' '.join(value.split())}"


def claim_body(client: Client, debtor: DebtorInput, invoices: list[InvoiceInput], note: str) -> str:
    lines = ["Geachte heer, mevrouw,", "", "Via het cliëntenportaal draag ik de volgende vordering ter incasso over.", ""]
    lines.append(_line("Debiteur", debtor.name))
    if debtor.contact:
        lines.append(_line("T.a.v.", debtor.contact))
    if debtor.street:
        lines.append(_line("Adres", debtor.street))
    if debtor.postcode_city:
        lines.append(_line("Postcode en plaats", debtor.postcode_city))
    if debtor.email:
        lines.append(_line("E-mail", debtor.email))
    if debtor.kvk:
        lines.append(_line("KvK", debtor.kvk))
    lines.append(_line("Soort debiteur", "consument" if debtor.kind == "consumer" else "bedrijf"))
    for invoice in invoices:
        lines.append("")
        lines.append(_line("Factuurnummer", invoice.number))
        if invoice.invoice_date:
            lines.append(_line("Factuurdatum", f"{invoice.invoice_date:%d-%m-%Y}"))
        if invoice.due_date:
            lines.append(_line("Vervaldatum", f"{invoice.due_date:%d-%m-%Y}"))
        if invoice.amount is not None:
            lines.append(_line("Openstaand bedrag", f"€ {invoice.amount:.2f}".replace(".", ",")))
    if note.strip():
        lines += ["", "Toelichting:", note.strip()[:2000]]
    lines += ["", "Met vriendelijke groet,", client.name]
    if client.kvk:
        lines.append(f"KvK {client.kvk}")
    return "\n".join(lines) + "\n"


def validate_claim(debtor: DebtorInput, invoices: list[InvoiceInput]) -> None:
    if not debtor.name.strip():
        raise PortalActionError("Vul de naam van de debiteur in.")
    if debtor.kind not in ("business", "consumer"):
        raise PortalActionError("Kies of de debiteur een bedrijf of een consument is.")
    if not invoices:
        raise PortalActionError("Vul minstens één factuur in.")
    if len(invoices) > MAX_INVOICES:
        raise PortalActionError(f"Hoogstens {MAX_INVOICES} facturen per opdracht.")
    for invoice in invoices:
        if not invoice.number.strip():
            raise PortalActionError("Elke factuur heeft een factuurnummer nodig.")
        if invoice.amount is not None and invoice.amount <= 0:
            raise PortalActionError(f"Het bedrag van factuur {invoice.number} moet groter dan nul zijn.")
        if invoice.pdf is None and (invoice.amount is None or invoice.due_date is None):
            raise PortalActionError(f"Voeg bij factuur {invoice.number} de PDF toe, of vul het bedrag en de vervaldatum in.")
        if invoice.pdf is not None and check_upload(invoice.pdf) != "application/pdf":
            raise PortalActionError(f"De bijlage bij factuur {invoice.number} is geen PDF.")


def submit_claim(
    session: Session, client: Client, debtor: DebtorInput, invoices: list[InvoiceInput], note: str, *, actor: str, now: datetime, domain: str, intake_address: str
) -> int:
    """Store the claim as an inbound message for the intake worker and return its id."""
    validate_claim(debtor, invoices)
    message = EmailMessage()
    # The client's registered address, so intake recognises the client as for its mail.
    message["From"] = Address(display_name=client.name, addr_spec=client.email)
    message["To"] = Address(addr_spec=intake_address)
    numbers = ", ".join(invoice.number for invoice in invoices)
    subject = f"Nieuwe opdracht via het portaal: factuur {numbers}"[:200]
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid("portal", domain=domain)
    message["X-Incasso-Portal-User"] = actor[:100]
    message.set_content(claim_body(client, debtor, invoices, note))
    for invoice in invoices:
        if invoice.pdf is not None:
            message.add_attachment(
                invoice.pdf.data, maintype="application", subtype="pdf", filename=clean_filename(invoice.pdf.filename, "application/pdf")
            )
    raw = message.as_bytes(policy=SMTP)
    key = uuid.uuid4().hex
    inbound_id = store_raw(
        session,
        RawMessage(
            source_key=f"portal#{key}",
            server_key=key,
            mailbox="portal",
            uidvalidity=0,
            uid=None,
            raw=raw,
            message_id=str(message["Message-ID"]),
            from_address=client.email,
            subject=subject,
        ),
        now,
    )
    if inbound_id is None:  # a fresh uuid never collides; kept for the type checker
        raise PortalActionError("De opdracht is al ontvangen.")
    session.add(Event(inbound_id=inbound_id, kind="portal_claim_submitted", actor=actor[:100], at=now, data={"client_id": client.id, "invoices": len(invoices)}))
    logger.info("portal claim stored as inbound message %s for client %s", inbound_id, client.id)
    return inbound_id
