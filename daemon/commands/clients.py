"""`incasso clients add|list`: register clients and the senders whose mail is theirs."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from daemon.commands.output import print_json, print_table


def add_parsers(commands: Any) -> None:
    clients = commands.add_parser("clients", help="opdrachtgevers en hun afzenderadressen")
    client_commands = clients.add_subparsers(dest="client_command", required=True, metavar="OPDRACHT")
    add = client_commands.add_parser("add", help="een opdrachtgever of extra afzenderadres registreren")
    add.add_argument("email", help="e-mailadres waarvandaan de opdrachtgever mailt")
    add.add_argument("--name", required=True, help="naam van de opdrachtgever")
    add.add_argument("--kvk", help="KvK-nummer")
    add.add_argument("--domain", help="ook elk adres onder dit domein vertrouwen (geen openbare maildienst)")
    add.add_argument("--cannot-deduct-vat", action="store_true", help="de opdrachtgever kan de btw op incassokosten niet verrekenen")
    add.add_argument("--by", default="staff", help="naam van de medewerker (voor het logboek)")
    add.set_defaults(handler=_add)
    listing = client_commands.add_parser("list", help="alle opdrachtgevers met hun afzenders")
    listing.add_argument("--json", action="store_true", help="uitvoer als JSON")
    listing.set_defaults(handler=_list)


def _add(context: Any, args: argparse.Namespace) -> int:
    from dossiers.clients import ClientError, register_client

    with context.session() as session:
        try:
            registration = register_client(
                session,
                args.email,
                name=args.name,
                kvk=args.kvk,
                domain=args.domain,
                cannot_deduct_vat=args.cannot_deduct_vat,
                now=context.clock.now(),
                by=args.by,
            )
        except ClientError as error:
            print(f"incasso: {error}", file=sys.stderr)
            return 1
        session.commit()
        print(f"Opdrachtgever {registration.client.name} (nummer {registration.client.id}) geregistreerd.")
        if registration.released:
            print(f"{registration.released} bericht(en) van deze afzender gaan opnieuw door de intake.")
    return 0


def _list(context: Any, args: argparse.Namespace) -> int:
    from dossiers.clients import list_clients

    with context.session() as session:
        rows = list_clients(session)
    if args.json:
        print_json(rows)
        return 0
    for row in rows:
        row["senders"] = ", ".join([*row["addresses"], *(f"*@{domain}" for domain in row["domains"])])  # type: ignore[misc]
    print_table(rows, ("id", "name", "kvk", "senders"), ("Nr", "Naam", "KvK", "Afzenders"))
    return 0
