"""Printing for staff: JSON for scripts, aligned Dutch tables for people."""

from __future__ import annotations

import json
import sys
from typing import Any


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def print_table(rows: list[dict[str, Any]], keys: tuple[str, ...], headers: tuple[str, ...]) -> None:
    if not rows:
        print("Geen regels.")
        return
    cells = [[str(row.get(key) if row.get(key) is not None else "") for key in keys] for row in rows]
    widths = [min(40, max(len(header), *(len(cell[index]) for cell in cells))) for index, header in enumerate(headers)]
    print("  ".join(header.ljust(width) for header, width in zip(headers, widths)))
    for cell in cells:
        print("  ".join(value[:width].ljust(width) for value, width in zip(cell, widths)))


def print_dossier(detail: dict[str, Any]) -> None:
    print(f"Dossier {detail['number']}  status {detail['status']}  fase {detail['phase']}")
    print(f"Opdrachtgever: {detail['client']['name']} <{detail['client']['email']}>")
    debtor = detail["debtor"]
    print(f"Debiteur: {debtor['name']} ({debtor['kind']}), {debtor['street'] or '?'}, {debtor['postcode'] or '?'} {debtor['city'] or '?'}")
    for claim in detail["claims"]:
        print(f"  factuur {claim['invoice_number']}  {claim['invoice_date']}  vervalt {claim['due_date']}  open {claim['principal']}")
    for letter in detail["letters"]:
        print(f"  brief fase {letter['phase']} ({letter['kind']}, {letter['channel']}) {letter['issued_on']}, termijn tot {letter['deadline']}, totaal {letter['total']}")
    for event in detail["events"]:
        print(f"  {event['at'][:19]}  {event['kind']}")
