"""`incasso correct REVIEW_ITEM FIELD VALUE`: store a staff correction of an extracted field.

The correction is kept per client (the sender of the reviewed mail) with the value
before and after. It also records where the right value is printed in the document and
the label in front of it, so the next invoice of that client is read better. An Event
`field_corrected` records it on the dossier.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from datetime import date
from decimal import Decimal
from typing import Any

logger = logging.getLogger(__name__)

_INVOICE_PATH = re.compile(r"^invoices\[(\d+)\]\.(\w+)$")
# Report names of invoice fields -> names in the stored extraction (InvoiceFields).
_STORED_NAMES = {"amount_total": "total", "amount_vat": "vat", "amount_outstanding": "outstanding"}


def add_parsers(commands: Any) -> None:
    correct = commands.add_parser("correct", help="een uitgelezen veld van een controle verbeteren (de daemon leert ervan)")
    correct.add_argument("review_item", type=int, metavar="CONTROLE", help="nummer van de controle (zie `incasso review list`)")
    correct.add_argument("field", metavar="VELD", help="veldpad zoals in `incasso extract`, bijvoorbeeld invoices[0].due_date of client.kvk")
    correct.add_argument("value", metavar="WAARDE", help="de juiste waarde; bedragen als 1.234,56 of 1234.56, datums als 03-04-2024 of 2024-04-03")
    correct.add_argument("--by", default="medewerker", metavar="NAAM", help="wie de correctie maakt (standaard 'medewerker')")
    correct.set_defaults(handler=_correct)


def _correct(context: Any, args: argparse.Namespace) -> int:
    from dossiers.models import InboundMessage, ReviewItem
    from dossiers.review_actions import ReviewActionError, correct_field, parse_field_value

    try:
        value = parse_field_value(args.field, args.value)
    except ReviewActionError as error:
        print(f"incasso: {error}", file=sys.stderr)
        return 2

    now = context.clock.now()
    with context.session() as session:
        item = session.get(ReviewItem, args.review_item)
        if item is None:
            print(f"incasso: controle {args.review_item} niet gevonden (zie `incasso review list`).", file=sys.stderr)
            return 1
        inbound = session.get(InboundMessage, item.inbound_id) if item.inbound_id else None
        sender = inbound.from_address if inbound is not None else ""
        before, _ = stored_value(item.extraction or {}, args.field)
        kind = _STORED_NAMES.get(args.field.rpartition(".")[2], args.field.rpartition(".")[2])
        source, label = _locate(session, inbound, item.extraction or {}, args.field, kind, value)
        try:
            correct_field(session, item.id, args.field, args.value, actor=args.by, now=now, source=source, label=label)
        except ReviewActionError as error:
            print(f"incasso: {error}", file=sys.stderr)
            return 1
        session.commit()

    shown_before = before if before is not None else "(leeg)"
    print(f"Controle {args.review_item}: {args.field} van {shown_before} naar {_text(value)} verbeterd door {args.by}.")
    if label:
        print(f"Gevonden in het document achter '{label}'; volgende facturen van {sender or 'deze afzender'} worden daar gelezen.")
    return 0


def stored_value(extraction: dict[str, Any], field: str) -> tuple[str | None, str]:
    """Return the value and source of a field path in a stored extraction (Extraction.to_json)."""
    match = _INVOICE_PATH.match(field)
    if match:
        invoices = extraction.get("invoices") or []
        position = int(match.group(1))
        if position >= len(invoices):
            return None, ""
        stored = invoices[position].get(_STORED_NAMES.get(match.group(2), match.group(2))) or {}
    else:
        party, _, name = field.partition(".")
        stored = (extraction.get(party) or {}).get(name) or {}
    value = stored.get("value") if isinstance(stored, dict) else None
    return (None if value is None else str(value)), (stored.get("source", "") if isinstance(stored, dict) else "")


def _locate(session: Any, inbound: Any, extraction: dict[str, Any], field: str, kind: str, value: object) -> tuple[str, str]:
    """Find the corrected value in the invoice document of the reviewed mail; ("", "") when not printed."""
    if inbound is None or not isinstance(value, (str, Decimal, date)):
        return "", ""
    from dossiers.blobs import get_blob
    from parsers.locate import locate_value
    from parsers.mail import parse_message
    from parsers.pdf import read_pdf

    match = _INVOICE_PATH.match(field)
    invoices = extraction.get("invoices") or []
    position = int(match.group(1)) if match else 0
    if position >= len(invoices) or invoices[position].get("document_index") is None:
        return "", ""
    index = invoices[position]["document_index"]
    mail = parse_message(get_blob(session, inbound.raw_sha256))
    attachment = next((item for item in mail.attachments if item.index == index), None)
    if attachment is None or attachment.content_type != "application/pdf":
        return "", ""
    pdf = read_pdf(attachment.payload, source=f"attachment[{index}]:{attachment.filename}")
    located = locate_value(pdf, kind, value)
    if located is None:
        return "", ""
    return located.source, located.label


def _text(value: object) -> str:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
