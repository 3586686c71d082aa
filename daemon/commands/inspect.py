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
    fields = review_commands.add_parser("fields", help="de uitgelezen velden van een controle, met zekerheid en vindplaats")
    fields.add_argument("item", type=int, metavar="CONTROLE", help="nummer van de controle")
    fields.add_argument("--json", action="store_true", help="uitvoer als JSON")
    fields.set_defaults(handler=_review_fields)
    approve = review_commands.add_parser("approve", help="goedkeuren: dossier openen of hervatten (opdrachtgever krijgt antwoord)")
    approve.add_argument("item", type=int, metavar="CONTROLE", help="nummer van de controle")
    approve.add_argument("--debtor-kind", choices=("bedrijf", "consument"), help="soort debiteur vastleggen")
    approve.add_argument("--by", default="medewerker", metavar="NAAM", help="wie goedkeurt (voor het logboek)")
    approve.set_defaults(handler=_review_approve)
    reject = review_commands.add_parser("reject", help="afwijzen met een reden; er wordt niets verstuurd")
    reject.add_argument("item", type=int, metavar="CONTROLE", help="nummer van de controle")
    reject.add_argument("--reason", required=True, help="waarom de controle wordt afgewezen")
    reject.add_argument("--by", default="medewerker", metavar="NAAM", help="wie afwijst (voor het logboek)")
    reject.set_defaults(handler=_review_reject)
    attach = review_commands.add_parser("attach", help="een gesorteerd bericht aan een bestaand dossier koppelen")
    attach.add_argument("item", type=int, metavar="CONTROLE", help="nummer van de controle")
    attach.add_argument("number", metavar="DOSSIERNUMMER", help="het dossier waar het bericht bij hoort")
    attach.add_argument("--by", default="medewerker", metavar="NAAM", help="wie koppelt (voor het logboek)")
    attach.set_defaults(handler=_review_attach)

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
        detail = dossier_detail(session, dossier, today=context.clock.today())
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


def _review_fields(context: Any, args: argparse.Namespace) -> int:
    from dossiers.models import ReviewItem
    from dossiers.review_actions import field_rows

    with context.session() as session:
        item = session.get(ReviewItem, args.item)
        if item is None:
            print(f"incasso: controle {args.item} niet gevonden.", file=sys.stderr)
            return 1
        rows = [row.__dict__ for row in field_rows(item)]
    if args.json:
        print_json(rows)
        return 0
    for row in rows:
        mark = "ok" if row["trusted"] else ("??" if row["value"] else "--")
        print(f"{mark}  {row['path']:32s} {row['value'][:40]:40s} {row['confidence']:.2f}  {row['note'][:50]}")
    return 0


def _review_approve(context: Any, args: argparse.Namespace) -> int:
    from daemon.replies import Replies
    from dossiers.review_actions import ReviewActionError, approve

    kind = {"bedrijf": "business", "consument": "consumer"}.get(args.debtor_kind or "", None)
    with context.session() as session:
        try:
            approval = approve(session, args.item, actor=args.by, now=context.clock.now(), today=context.clock.today(), debtor_kind=kind)
        except ReviewActionError as error:
            print(f"incasso: {error}", file=sys.stderr)
            return 1
        Replies(context.templates, context.settings, context.signer).after_approval(
            session, approval, now=context.clock.now(), received_on=context.clock.today()
        )
        session.commit()
        print(f"Controle {args.item} goedgekeurd: dossier {approval.dossier.number} is actief.")
    return 0


def _review_reject(context: Any, args: argparse.Namespace) -> int:
    from dossiers.review_actions import ReviewActionError, reject

    with context.session() as session:
        try:
            reject(session, args.item, args.reason, actor=args.by, now=context.clock.now())
        except ReviewActionError as error:
            print(f"incasso: {error}", file=sys.stderr)
            return 1
        session.commit()
    print(f"Controle {args.item} afgewezen.")
    return 0


def _review_attach(context: Any, args: argparse.Namespace) -> int:
    from dossiers.review_actions import ReviewActionError, attach

    with context.session() as session:
        try:
            dossier = attach(session, args.item, args.number, actor=args.by, now=context.clock.now())
        except ReviewActionError as error:
            print(f"incasso: {error}", file=sys.stderr)
            return 1
        session.commit()
        print(f"Controle {args.item} gekoppeld aan dossier {dossier.number}.")
    return 0
