"""`incasso demo seed`: put the example client mails into the local Maildir."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_parsers(commands: Any) -> None:
    demo = commands.add_parser("demo", help="voorbeeldgegevens")
    demo_commands = demo.add_subparsers(dest="demo_command", required=True, metavar="OPDRACHT")
    seed = demo_commands.add_parser("seed", help="voorbeeldmails in de lokale Maildir-inbox zetten")
    seed.add_argument("--count", type=int, default=8, help="aantal voorbeeldmails (standaard 8)")
    seed.set_defaults(handler=_demo)


def _demo(context: Any, args: argparse.Namespace) -> int:
    from daemon.examples import seed_maildir

    if context.settings.imap is not None:
        print("incasso: voorbeeldmails gaan alleen in de lokale Maildir; er is een IMAP-server ingesteld.", file=sys.stderr)
        return 2
    written = seed_maildir(context.settings.maildir, today=context.clock.today(), count=args.count)
    print(f"{written} voorbeeldmail(s) in {context.settings.maildir / 'new'} gezet.")
    registered = register_example_clients(context)
    print(f"{registered} voorbeeldopdrachtgever(s) geregistreerd als bekende afzender.")
    return 0


def register_example_clients(context: Any) -> int:
    """Register the example mails' clients, so their claims are not held as unknown senders."""
    from daemon.examples.parties import CLIENTS
    from dossiers.clients import register_client

    with context.session() as session:
        for profile in CLIENTS:
            party = profile.party
            register_client(session, party.email, name=party.name, kvk=party.kvk, now=context.clock.now(), by="demo")
        session.commit()
    return len(CLIENTS)
