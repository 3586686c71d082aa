"""`incasso extract FILE...`: show what intake would store for a mail, PDF, XML or image.

Staff and scripts use it to see how a document is read before it goes through the
mailbox. The output uses the shape of `parsers.report.claim_report`; several files give
a JSON array in the order of the arguments.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from daemon.commands.output import print_json

logger = logging.getLogger(__name__)

_KIND_NL = {"invoice": "factuur", "terms": "algemene voorwaarden", "reminder": "herinnering", "other": "overig"}


def add_parsers(commands: Any) -> None:
    extract = commands.add_parser("extract", help="een mail (.eml), PDF, e-factuur (XML) of scan uitlezen zonder iets op te slaan")
    extract.add_argument("files", nargs="+", type=Path, metavar="BESTAND", help="een of meer .eml-, .pdf-, .xml-, .png- of .jpg-bestanden")
    extract.add_argument("--json", action="store_true", help="uitvoer als JSON (een lijst bij meer bestanden)")
    extract.add_argument("--no-ocr", action="store_true", help="geen OCR op scans, ook als Tesseract er is")
    extract.add_argument("--no-hints", action="store_true", help="geen kennis uit eerdere correcties van de afzender gebruiken")
    extract.set_defaults(handler=_extract, migrate=False)


def _extract(context: Any, args: argparse.Namespace) -> int:
    reports: list[dict[str, Any]] = []
    for path in args.files:
        try:
            data = path.read_bytes()
        except OSError as error:
            print(f"incasso: {path} kan niet gelezen worden: {error.strerror or error}", file=sys.stderr)
            return 1
        reports.append(_report(context, path, data, ocr=not args.no_ocr, use_hints=not args.no_hints))

    if args.json:
        print_json(reports[0] if len(reports) == 1 else reports)
        return 0
    for number, (path, report) in enumerate(zip(args.files, reports)):
        if number:
            print()
        _print_summary(path, report)
    return 0


def _report(context: Any, path: Path, data: bytes, *, ocr: bool, use_hints: bool) -> dict[str, Any]:
    from parsers.extract import extract_claim, extract_document
    from parsers.mail import parse_message
    from parsers.report import claim_report

    today = context.clock.today()
    if path.suffix.lower() == ".eml" or _looks_like_mail(data):
        mail = parse_message(data)
        hints = _hints(context, mail.from_address) if use_hints else None
        extraction = extract_claim(mail, today=today, ocr=ocr, hints=hints)
        names = {attachment.index: attachment.filename for attachment in mail.attachments}
        return claim_report(extraction, names)
    extraction = extract_document(data, path.name, today=today, ocr=ocr)
    return claim_report(extraction, {0: path.name})


def _looks_like_mail(data: bytes) -> bool:
    head = data[:2048].lower()
    return not head.lstrip().startswith((b"%pdf", b"<?xml", b"<")) and (b"\nfrom:" in b"\n" + head and b"\nsubject:" in b"\n" + head)


def _hints(context: Any, sender: str) -> Any:
    """Load what staff corrections taught about this sender; None when the store has no record."""
    if not sender:
        return None
    from sqlalchemy.exc import SQLAlchemyError

    from dossiers.corrections import client_hints

    try:
        with context.session() as session:
            return client_hints(session, sender)
    except SQLAlchemyError as error:
        # A store that was never migrated has no corrections table; read without hints.
        logger.info("no client hints available: %s", type(error).__name__)
        return None


def _print_summary(path: Path, report: dict[str, Any]) -> None:
    client = report["client"]
    debtor = report["debtor"]
    print(f"Bestand: {path.name}")
    client_ids = ", ".join(f"{label} {client[key]}" for key, label in (("kvk", "KvK"), ("iban", "IBAN")) if client[key])
    print(f"Opdrachtgever: {client['name'] or '?'}" + (f" ({client_ids})" if client_ids else "") + (f" <{client['email']}>" if client["email"] else ""))
    if report["invoices"]:
        kind = {"business": "bedrijf", "consumer": "consument"}.get(debtor["kind"] or "", "soort onbekend")
        address = ", ".join(part for part in (debtor["street"], " ".join(p for p in (debtor["postcode"], debtor["city"]) if p)) if part)
        print(f"Debiteur: {debtor['name'] or '?'} ({kind})" + (f", {address}" if address else ""))
    for invoice in report["invoices"]:
        print(
            f"Factuur {invoice['number'] or '?'} van {_date(invoice['date'])}, vervalt {_date(invoice['due_date'])}: "
            f"totaal {_euro(invoice['amount_total'])}, btw {_euro(invoice['amount_vat'])}, open {_euro(invoice['amount_outstanding'])}"
        )
    if report["body_only"]:
        print("De vordering staat alleen in de tekst van de mail.")
    if report["documents"]:
        print("Documenten: " + "; ".join(f"{doc['filename']} ({_KIND_NL.get(doc['kind'], doc['kind'])})" for doc in report["documents"]))
    if not report["review"]:
        print("Alles zeker gelezen; geen controle nodig.")
        return
    print("Te controleren:")
    for entry in report["review"]:
        field = f"{entry['field']}: " if entry["field"] else ""
        print(f"  - {field}{entry['reason']}")


def _date(value: str | None) -> str:
    if not value:
        return "?"
    year, month, day = value.split("-")
    return f"{day}-{month}-{year}"


def _euro(value: str | None) -> str:
    if value is None:
        return "?"
    whole, _, cents = value.partition(".")
    sign = "-" if whole.startswith("-") else ""
    digits = whole.lstrip("-")
    groups = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return f"€ {sign}{'.'.join(groups)},{cents}"
