"""`incasso db upgrade`: create or upgrade the schema."""

from __future__ import annotations

import argparse
from typing import Any


def add_parsers(commands: Any) -> None:
    db = commands.add_parser("db", help="database beheren")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="OPDRACHT")
    upgrade = db_commands.add_parser("upgrade", help="het databaseschema aanmaken of bijwerken")
    upgrade.set_defaults(handler=_upgrade, migrate=False)


def _upgrade(context: Any, args: argparse.Namespace) -> int:
    from dossiers.migrate import upgrade

    upgrade(context.engine)
    print("Databaseschema is bijgewerkt.")
    return 0
