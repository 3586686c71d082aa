"""`incasso dossiers|review|outbox list`: what the daemon did, for staff and scripts."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from daemon.commands.output import print_dossier, print_json, print_table


KIND_LABELS = {"intake": "nieuwe opdracht", "triage": "sortering", "followup": "aanvulling", "task": "taak"}


def add_parsers(commands: Any) -> None:
    dossiers = commands.add_parser("dossiers", help="dossiers bekijken")
    dossier_commands = dossiers.add_subparsers(dest="dossier_command", required=True, metavar="OPDRACHT")
    listing = dossier_commands.add_parser("list", help="alle dossiers")
    listing.add_argument("--status", help="alleen dossiers met deze status (active, review, closed)")
    listing.add_argument("--json", action="store_true", help="uitvoer als JSON")
    show = dossier_commands.add_parser("show", help="één dossier met vorderingen, documenten, brieven en gebeurtenissen")
    show.add_argument("number", help="dossiernummer, bijvoorbeeld 2026-000001-7")
    show.add_argument("--json", action="store_true", help="uitvoer als JSON")
    dossiers.set_defaults(handler=_dossiers)

    review = commands.add_parser("review", help="de controlelijst voor medewerkers")
    review_commands = review.add_subparsers(dest="review_command", required=True, metavar="OPDRACHT")
    review_list = review_commands.add_parser("list", help="openstaande controles met hun redenen")
    review_list.add_argument("--kind", choices=("intake", "triage", "followup", "task"), help="alleen deze soort")
    review_list.add_argument("--json", action="store_true", help="uitvoer als JSON")
    review.set_defaults(handler=_review)

    outbox = commands.add_parser("outbox", help="uitgaande e-mail en brieven")
    outbox_commands = outbox.add_subparsers(dest="outbox_command", required=True, metavar="OPDRACHT")
    outbox_list = outbox_commands.add_parser("list", help="uitgaande berichten met hun status")
    outbox_list.add_argument("--status", help="alleen deze status (pending, sending, sent, failed)")
    outbox_list.add_argument("--json", action="store_true", help="uitvoer als JSON")
    outbox.set_defaults(handler=_outbox)


def _dossiers(context: Any, args: argparse.Namespace) -> int:
    from dossiers.queries import dossier_detail, find_dossier, list_dossiers

    with context.session() as session:
        if args.dossier_command == "list":
            rows = list_dossiers(session, args.status)
            if args.json:
                print_json(rows)
            else:
                print_table(rows, ("number", "status", "phase", "client", "debtor", "principal"),
                             ("Dossiernummer", "Status", "Fase", "Opdrachtgever", "Debiteur", "Hoofdsom"))
            return 0
        dossier = find_dossier(session, args.number)
        if dossier is None:
            print(f"incasso: dossier {args.number} niet gevonden (controleer het nummer en het controlecijfer).", file=sys.stderr)
            return 1
        detail = dossier_detail(session, dossier)
        if args.json:
            print_json(detail)
        else:
            print_dossier(detail)
        return 0


def _review(context: Any, args: argparse.Namespace) -> int:
    from dossiers.queries import list_review

    with context.session() as session:
        rows = list_review(session, kind=args.kind)
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("Geen openstaande controles.")
        return 0
    for row in rows:
        if row["dossier"]:
            label = f"dossier {row['dossier']}"
        elif row["suggested_dossier"]:
            label = f"mogelijk dossier {row['suggested_dossier']}"
        else:
            label = "geen dossier"
        print(f"#{row['id']} [{KIND_LABELS.get(row['kind'], row['kind'])}]  {row['created_at'][:16]}  {label}  van {row['from'] or '?'}  \"{row['subject'] or ''}\"")
        for reason in row["reasons"]:
            print(f"      - {reason['message']}")
    return 0


def _outbox(context: Any, args: argparse.Namespace) -> int:
    from dossiers.queries import list_outbox

    with context.session() as session:
        rows = list_outbox(session, args.status)
    if args.json:
        print_json(rows)
    else:
        print_table(rows, ("id", "kind", "purpose", "status", "attempts", "subject", "last_error"),
                     ("Nr", "Soort", "Doel", "Status", "Pogingen", "Onderwerp", "Laatste fout"))
    return 0
