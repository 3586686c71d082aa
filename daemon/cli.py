"""The `incasso` command: run the daemon and inspect dossiers, review and outbox.

Messages for staff are Dutch; `--json` output uses the field names of the read models
in `dossiers.queries` and is meant for scripts.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from daemon.settings import ConfigError, Settings, load_settings

logger = logging.getLogger("incasso")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="incasso", description="Intake- en incassodaemon van het incassobureau.")
    parser.add_argument("--config", type=Path, help="TOML-bestand met instellingen bovenop config/default.toml")
    parser.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"), help="logniveau (standaard INFO)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="OPDRACHT")

    run = commands.add_parser("run", help="de daemon starten (stoppen met Ctrl-C of SIGTERM)")
    run.add_argument("--once", action="store_true", help="één volledige ronde: ophalen, verwerken, brieven, verzenden; daarna stoppen")

    db = commands.add_parser("db", help="database beheren")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="OPDRACHT")
    db_commands.add_parser("upgrade", help="het databaseschema aanmaken of bijwerken")

    dossiers = commands.add_parser("dossiers", help="dossiers bekijken")
    dossier_commands = dossiers.add_subparsers(dest="dossier_command", required=True, metavar="OPDRACHT")
    listing = dossier_commands.add_parser("list", help="alle dossiers")
    listing.add_argument("--status", help="alleen dossiers met deze status (active, review, closed)")
    listing.add_argument("--json", action="store_true", help="uitvoer als JSON")
    show = dossier_commands.add_parser("show", help="één dossier met vorderingen, documenten, brieven en gebeurtenissen")
    show.add_argument("number", help="dossiernummer, bijvoorbeeld 2026-000001-7")
    show.add_argument("--json", action="store_true", help="uitvoer als JSON")

    review = commands.add_parser("review", help="de controlelijst voor medewerkers")
    review_commands = review.add_subparsers(dest="review_command", required=True, metavar="OPDRACHT")
    review_list = review_commands.add_parser("list", help="openstaande controles met hun redenen")
    review_list.add_argument("--json", action="store_true", help="uitvoer als JSON")

    outbox = commands.add_parser("outbox", help="uitgaande e-mail en brieven")
    outbox_commands = outbox.add_subparsers(dest="outbox_command", required=True, metavar="OPDRACHT")
    outbox_list = outbox_commands.add_parser("list", help="uitgaande berichten met hun status")
    outbox_list.add_argument("--status", help="alleen deze status (pending, sending, sent, failed)")
    outbox_list.add_argument("--json", action="store_true", help="uitvoer als JSON")

    demo = commands.add_parser("demo", help="voorbeeldgegevens")
    demo_commands = demo.add_subparsers(dest="demo_command", required=True, metavar="OPDRACHT")
    seed = demo_commands.add_parser("seed", help="voorbeeldmails in de lokale Maildir-inbox zetten")
    seed.add_argument("--count", type=int, default=8, help="aantal voorbeeldmails (standaard 8)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from daemon.logs import configure_logging

    args = build_parser().parse_args(argv)
    configure_logging(args.log_level)
    try:
        settings = load_settings(args.config)
    except ConfigError as error:
        print(f"incasso: ongeldige instelling: {error}", file=sys.stderr)
        return 2
    try:
        return _dispatch(args, settings)
    except ConfigError as error:
        print(f"incasso: ongeldige instelling: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    from daemon.context import DaemonContext
    from dossiers.migrate import upgrade

    context = DaemonContext.from_settings(settings)
    try:
        if args.command == "db":
            upgrade(context.engine)
            print("Databaseschema is bijgewerkt.")
            return 0
        if settings.uses_sqlite:
            upgrade(context.engine)
        if args.command == "run":
            return _run(context, once=args.once)
        if args.command == "dossiers":
            return _dossiers(context, args)
        if args.command == "review":
            return _review(context, args)
        if args.command == "outbox":
            return _outbox(context, args)
        if args.command == "demo":
            return _demo(context, args)
    finally:
        context.close()
    return 2


def _run(context: Any, *, once: bool) -> int:
    from daemon.app import make_daemon, make_workers, release_leases_of_dead_processes
    from daemon.runner import BackOff, run_until_idle
    from daemon.sources.base import SourceConfigError

    settings = context.settings
    source = f"IMAP {settings.imap.host}:{settings.imap.port}" if settings.imap else f"Maildir {settings.maildir}"
    transport = f"SMTP {settings.smtp.host}:{settings.smtp.port}" if settings.smtp else f"map {settings.outbox_dir}"
    logger.info("reading %s, sending via %s, database %s", source, transport, context.engine.url.render_as_string(hide_password=True))
    try:
        workers = make_workers(context)
    except (SourceConfigError, ValueError) as error:
        raise ConfigError(str(error)) from error
    release_leases_of_dead_processes(context)
    try:
        if once:
            try:
                totals = run_until_idle(workers.in_order())
            except BackOff as error:
                print(f"incasso: mailbox niet bereikbaar: {error.__cause__ or error}", file=sys.stderr)
                return 1
            logger.info("one pass done: %s", ", ".join(f"{name} {count}" for name, count in totals.items()))
            return 0
        daemon = make_daemon(context, workers)
        daemon.install_signal_handlers()
        daemon.run()
        return 0
    finally:
        workers.close()


def _dossiers(context: Any, args: argparse.Namespace) -> int:
    from dossiers.queries import dossier_detail, find_dossier, list_dossiers

    with context.session() as session:
        if args.dossier_command == "list":
            rows = list_dossiers(session, args.status)
            if args.json:
                _print_json(rows)
            else:
                _print_table(rows, ("number", "status", "phase", "client", "debtor", "principal"),
                             ("Dossiernummer", "Status", "Fase", "Opdrachtgever", "Debiteur", "Hoofdsom"))
            return 0
        dossier = find_dossier(session, args.number)
        if dossier is None:
            print(f"incasso: dossier {args.number} niet gevonden (controleer het nummer en het controlecijfer).", file=sys.stderr)
            return 1
        detail = dossier_detail(session, dossier)
        if args.json:
            _print_json(detail)
        else:
            _print_dossier(detail)
        return 0


def _review(context: Any, args: argparse.Namespace) -> int:
    from dossiers.queries import list_review

    with context.session() as session:
        rows = list_review(session)
    if args.json:
        _print_json(rows)
        return 0
    if not rows:
        print("Geen openstaande controles.")
        return 0
    for row in rows:
        label = f"dossier {row['dossier']}" if row["dossier"] else "geen dossier"
        print(f"#{row['id']}  {row['created_at'][:16]}  {label}  van {row['from'] or '?'}  \"{row['subject'] or ''}\"")
        for reason in row["reasons"]:
            print(f"      - {reason['message']}")
    return 0


def _outbox(context: Any, args: argparse.Namespace) -> int:
    from dossiers.queries import list_outbox

    with context.session() as session:
        rows = list_outbox(session, args.status)
    if args.json:
        _print_json(rows)
    else:
        _print_table(rows, ("id", "kind", "purpose", "status", "attempts", "subject", "last_error"),
                     ("Nr", "Soort", "Doel", "Status", "Pogingen", "Onderwerp", "Laatste fout"))
    return 0


def _demo(context: Any, args: argparse.Namespace) -> int:
    from daemon.examples import seed_maildir

    if context.settings.imap is not None:
        print("incasso: voorbeeldmails gaan alleen in de lokale Maildir; er is een IMAP-server ingesteld.", file=sys.stderr)
        return 2
    written = seed_maildir(context.settings.maildir, today=context.clock.today(), count=args.count)
    print(f"{written} voorbeeldmail(s) in {context.settings.maildir / 'new'} gezet.")
    return 0


def _print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _print_table(rows: list[dict[str, Any]], keys: tuple[str, ...], headers: tuple[str, ...]) -> None:
    if not rows:
        print("Geen regels.")
        return
    cells = [[str(row.get(key) if row.get(key) is not None else "") for key in keys] for row in rows]
    widths = [min(40, max(len(header), *(len(cell[index]) for cell in cells))) for index, header in enumerate(headers)]
    print("  ".join(header.ljust(width) for header, width in zip(headers, widths)))
    for cell in cells:
        print("  ".join(value[:width].ljust(width) for value, width in zip(cell, widths)))


def _print_dossier(detail: dict[str, Any]) -> None:
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


if __name__ == "__main__":
    sys.exit(main())
